"""``/engine-rest/external-task`` queries: ``GET``/``POST`` the list and the count (one
filter set, Camunda's names: query parameters or an ExternalTaskQueryDto body with its
``sorting`` list) and ``topic-names``.

Read from ``store.external_tasks`` (the rows fetch-and-lock hands out), with the privilege
of the rest of the external-task API. Registered before ``external_tasks`` so its
literal paths win over ``{id}``. Baton's ids: ``processDefinitionId`` and
``processDefinitionKey`` are the definition key, ``executionId`` the instance id.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.routes.camunda.external_tasks import WORK, ExternalTaskOut, fields
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting
from store import external_tasks

router = APIRouter(prefix="/engine-rest/external-task", tags=["camunda external tasks"])

_INT_MAX = 2**31 - 1
_LONG = 2**63 - 1
SortBy = Literal[
    "id", "lockExpirationTime", "processInstanceId", "processDefinitionId",
    "processDefinitionKey", "taskPriority", "createTime",
]  # fmt: skip
SortOrder = Literal["asc", "desc"]
FirstResult = Annotated[int, Query(alias="firstResult", ge=0, le=_INT_MAX)]
MaxResults = Annotated[int, Query(alias="maxResults", ge=0, le=1000)]


class SortingIn(CamundaIn):
    sortBy: SortBy = Field(description="The column to sort by.")
    sortOrder: SortOrder = Field(description="asc or desc.")


class ExternalTaskQueryIn(CamundaIn):
    """Camunda's ExternalTaskQueryDto (the body of ``POST /external-task``)."""

    externalTaskId: str | None = Field(default=None, description="One task id.")
    externalTaskIdIn: list[str] | None = Field(default=None, description="Any of these ids.")
    topicName: str | None = Field(default=None, description="The topic.")
    workerId: str | None = Field(default=None, description="Locked by this worker.")
    locked: bool | None = Field(default=None, description="Only tasks locked now.")
    notLocked: bool | None = Field(default=None, description="Only tasks not locked now.")
    withRetriesLeft: bool | None = Field(default=None, description="Only retries > 0.")
    noRetriesLeft: bool | None = Field(default=None, description="Only retries = 0.")
    activityId: str | None = Field(default=None, description="The task's element id.")
    activityIdIn: list[str] | None = Field(default=None, description="Any of these elements.")
    executionId: str | None = Field(default=None, description="The instance id (no executions).")
    processInstanceId: str | None = Field(default=None, description="The instance.")
    processInstanceIdIn: list[str] | None = Field(default=None, description="Any of these.")
    processDefinitionId: str | None = Field(default=None, description="The definition key.")
    processDefinitionKey: str | None = Field(default=None, description="The definition key.")
    priorityHigherThanOrEquals: int | None = Field(
        default=None, ge=-_LONG, le=_LONG, description="Priority at least this."
    )
    priorityLowerThanOrEquals: int | None = Field(
        default=None, ge=-_LONG, le=_LONG, description="Priority at most this."
    )
    sorting: list[SortingIn] | None = Field(default=None, description="Sort keys, in order.")


def _both(*sets: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """What every given set allows (None: no restriction)."""
    found: set[str] | None = None
    for one in sets:
        if one is not None:
            found = set(one) if found is None else found & set(one)
    return None if found is None else tuple(sorted(found))


def _one(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else (value,)


def _list(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


async def _query(
    store: StoreDep, q: ExternalTaskQueryIn, first: int, size: int
) -> tuple[list[ExternalTaskOut], int]:
    retries = True if q.withRetriesLeft else False if q.noRetriesLeft else None
    more = external_tasks.TaskQuery(
        task_ids=_both(_one(q.externalTaskId), _list(q.externalTaskIdIn)),
        activity_ids=_both(_one(q.activityId), _list(q.activityIdIn)),
        process_instance_ids=_both(
            _one(q.processInstanceId), _one(q.executionId), _list(q.processInstanceIdIn)
        ),
        definition_keys=_both(_one(q.processDefinitionId), _one(q.processDefinitionKey)),
        retries_left=retries,
        priority_at_least=q.priorityHigherThanOrEquals,
        priority_at_most=q.priorityLowerThanOrEquals,
        sort=tuple((s.sortBy, s.sortOrder == "desc") for s in q.sorting or ()),
    )
    rows, total = await external_tasks.page(
        store,
        topic=q.topicName,
        process_instance_id=None,
        offset=first,
        limit=size,
        worker_id=q.workerId,
        locked=True if q.locked else False if q.notLocked else None,
        more=more,
    )
    return [ExternalTaskOut(**fields(r)) for r in rows], total


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in text.split(",") if p]


def _query_params(
    external_task_id: Annotated[str | None, Query(alias="externalTaskId")] = None,
    external_task_id_in: Annotated[str | None, Query(alias="externalTaskIdIn")] = None,
    topic_name: Annotated[str | None, Query(alias="topicName")] = None,
    worker_id: Annotated[str | None, Query(alias="workerId")] = None,
    locked: Annotated[bool | None, Query()] = None,
    not_locked: Annotated[bool | None, Query(alias="notLocked")] = None,
    with_retries_left: Annotated[bool | None, Query(alias="withRetriesLeft")] = None,
    no_retries_left: Annotated[bool | None, Query(alias="noRetriesLeft")] = None,
    activity_id: Annotated[str | None, Query(alias="activityId")] = None,
    activity_id_in: Annotated[str | None, Query(alias="activityIdIn")] = None,
    execution_id: Annotated[str | None, Query(alias="executionId")] = None,
    process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
    process_instance_id_in: Annotated[str | None, Query(alias="processInstanceIdIn")] = None,
    process_definition_id: Annotated[str | None, Query(alias="processDefinitionId")] = None,
    process_definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    priority_at_least: Annotated[
        int | None, Query(alias="priorityHigherThanOrEquals", ge=-_LONG, le=_LONG)
    ] = None,
    priority_at_most: Annotated[
        int | None, Query(alias="priorityLowerThanOrEquals", ge=-_LONG, le=_LONG)
    ] = None,
    sort_by: Annotated[SortBy | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> ExternalTaskQueryIn:
    check_sorting(sort_by, sort_order)
    sorting = (
        [SortingIn(sortBy=sort_by, sortOrder=sort_order)]
        if sort_by is not None and sort_order is not None
        else None
    )
    return ExternalTaskQueryIn(
        externalTaskId=external_task_id,
        externalTaskIdIn=_split(external_task_id_in),
        topicName=topic_name,
        workerId=worker_id,
        locked=locked,
        notLocked=not_locked,
        withRetriesLeft=with_retries_left,
        noRetriesLeft=no_retries_left,
        activityId=activity_id,
        activityIdIn=_split(activity_id_in),
        executionId=execution_id,
        processInstanceId=process_instance_id,
        processInstanceIdIn=_split(process_instance_id_in),
        processDefinitionId=process_definition_id,
        processDefinitionKey=process_definition_key,
        priorityHigherThanOrEquals=priority_at_least,
        priorityLowerThanOrEquals=priority_at_most,
        sorting=sorting,
    )


QueryParams = Annotated[ExternalTaskQueryIn, Depends(_query_params)]


@router.get(
    "",
    response_model=list[ExternalTaskOut],
    summary="Camunda: external tasks (locked or not)",
)
async def list_external_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
    q: QueryParams,
    first_result: FirstResult = 0,
    max_results: MaxResults = 1000,
) -> list[ExternalTaskOut]:
    return (await _query(store, q, first_result, max_results))[0]


@router.post(
    "",
    response_model=list[ExternalTaskOut],
    summary="Camunda: query external tasks with an ExternalTaskQueryDto body",
)
async def query_external_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
    body: ExternalTaskQueryIn,
    first_result: FirstResult = 0,
    max_results: MaxResults = 1000,
) -> list[ExternalTaskOut]:
    return (await _query(store, body, first_result, max_results))[0]


@router.get("/count", response_model=CountOut, summary="Camunda: how many external tasks")
async def count_external_tasks(
    store: StoreDep, _: Annotated[Principal, Requires(WORK)], q: QueryParams
) -> CountOut:
    return CountOut(count=(await _query(store, q, 0, 0))[1])


@router.post(
    "/count",
    response_model=CountOut,
    summary="Camunda: count external tasks with an ExternalTaskQueryDto body",
)
async def count_external_tasks_by_body(
    store: StoreDep, _: Annotated[Principal, Requires(WORK)], body: ExternalTaskQueryIn
) -> CountOut:
    return CountOut(count=(await _query(store, body, 0, 0))[1])


@router.get(
    "/topic-names",
    response_model=list[str],
    summary="Camunda: the topics of the external tasks (each flag narrows)",
)
async def topic_names(
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
    with_locked: Annotated[bool, Query(alias="withLockedTasks")] = False,
    with_unlocked: Annotated[bool, Query(alias="withUnlockedTasks")] = False,
    with_retries_left: Annotated[bool, Query(alias="withRetriesLeft")] = False,
) -> list[str]:
    return await external_tasks.topic_names(
        store, locked=with_locked, unlocked=with_unlocked, retries_left=with_retries_left
    )
