"""Camunda's ``PUT /engine-rest/external-task/retries`` (and ``retries-sync``): set the
retries of many external tasks at once (Cockpit's bulk "increment retries"), by id and
by process instance.

Each task goes through ``operations.service_tasks.set_retries``, as the single-task call
does: a waiting task gets the new count, a task that failed for good has its incident
retried. Every named task is looked up before any changes, so an unknown id changes
nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn
from operations import service_tasks
from store import external_tasks

router = APIRouter(prefix="/engine-rest/external-task", tags=["camunda external tasks"])

WORK = "bpms:service-task:work"
_INT_MAX = 2**31 - 1
MAX_TASKS = 1000  # one request changes at most this many tasks


class BulkRetriesIn(CamundaIn):
    """Camunda's SetRetriesForExternalTasksDto (the query forms are not read)."""

    retries: int = Field(ge=0, le=_INT_MAX, description="The new retries of every task.")
    externalTaskIds: list[str] | None = Field(
        default=None, max_length=MAX_TASKS, description="The tasks, by id."
    )
    processInstanceIds: list[str] | None = Field(
        default=None, max_length=MAX_TASKS, description="Every task of these instances."
    )


@router.put(
    "/retries",
    status_code=204,
    response_class=Response,
    summary="Camunda: set the retries of several external tasks",
    description=(
        "`externalTaskIds` and every task of `processInstanceIds`; failed tasks among them "
        "have their incident retried (which needs `bpms:incident:retry` too). "
        "`externalTaskQuery`, `processInstanceQuery` and `historicProcessInstanceQuery` are "
        "not read: name the tasks or instances."
    ),
    responses={404: {"description": "A named task does not exist"}},
)
async def set_retries_of_many(
    body: BulkRetriesIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires(WORK)],
) -> Response:
    if not body.externalTaskIds and not body.processInstanceIds:
        raise ApiProblem("externalTaskIds and processInstanceIds are empty", status=400)
    ids = list(dict.fromkeys(body.externalTaskIds or []))
    for task_id in ids:
        await service_tasks.get(store, task_id)  # 404 before anything changes
    for instance_id in body.processInstanceIds or []:
        rows, _ = await external_tasks.page(
            store, topic=None, process_instance_id=instance_id, offset=0, limit=MAX_TASKS
        )
        ids.extend(r.id for r in rows if r.id not in ids)
    if len(ids) > MAX_TASKS:
        raise ApiProblem(f"more than {MAX_TASKS} external tasks in one request", status=400)
    for task_id in ids:
        await service_tasks.set_retries(
            store,
            client,
            settings,
            task_id,
            body.retries,
            may_retry_incident=principal.can("bpms:incident:retry"),
        )
    return Response(status_code=204)


@router.put(
    "/retries-sync",
    status_code=204,
    response_class=Response,
    summary="Camunda: set the retries of several external tasks (the synchronous form)",
    description="As `PUT /external-task/retries`, which is synchronous in Baton too.",
    responses={404: {"description": "A named task does not exist"}},
)
async def set_retries_of_many_sync(
    body: BulkRetriesIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires(WORK)],
) -> Response:
    return await set_retries_of_many(body, store, client, settings, principal)
