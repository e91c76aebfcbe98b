"""Camunda's ``/engine-rest/task``: the task query, one task, its identity links.

A Camunda Tasklist or a generated client drives user tasks through these calls; each is
a translation over what ``/v1/bpms/tasks`` uses -- the read model for queries
(``store.queries``). The task commands are in ``task_commands``, the variables a task
sees in ``task_variables``; both share this module's ``task_row`` and ``no_task``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting
from api.routes.camunda.variables import format_date, parse_date
from store import definitions, queries
from store.db import DefinitionNotFound, Store
from store.models import TaskRecord

router = APIRouter(prefix="/engine-rest/task", tags=["camunda task"])

TaskSorting = Literal[
    "instanceId", "dueDate", "assignee", "created", "id", "name", "nameCaseInsensitive",
    "priority",
]  # fmt: skip
SortOrder = Literal["asc", "desc"]

#: Camunda's task sortBy → the read-model column (``store.queries.task_window``).
_SORTS: dict[str, str] = {
    "instanceId": "instance",
    "dueDate": "due",
    "assignee": "assignee",
    "created": "created",
    "id": "id",
    "name": "name",
    "nameCaseInsensitive": "name_ci",
    "priority": "priority",
}

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such task"}}


class TaskOut(BaseModel):
    """Camunda's TaskDto."""

    id: str = Field(description="The task id.")
    name: str | None = Field(default=None, description="The user task's name.")
    assignee: str | None = Field(default=None, description="Who holds the task.")
    owner: str | None = Field(default=None, description="Who delegated it (the owner).")
    created: str = Field(description="When the task was created, in Camunda's date format.")
    lastUpdated: str | None = Field(default=None, description="Not tracked (null).")
    due: str | None = Field(default=None, description="Due date, in Camunda's date format.")
    followUp: str | None = Field(default=None, description="Follow-up date (always null).")
    delegationState: str | None = Field(default=None, description="PENDING, RESOLVED or null.")
    description: str | None = Field(default=None, description="Always null in Baton.")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    parentTaskId: str | None = Field(default=None, description="Always null: no subtasks.")
    priority: int = Field(description="The task's priority.")
    processDefinitionId: str | None = Field(
        default=None, description="key:version:<deployment id> of the definition it belongs to."
    )
    processInstanceId: str = Field(description="The instance that holds the task.")
    caseExecutionId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseDefinitionId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    taskDefinitionKey: str = Field(description="The user task's element id.")
    suspended: bool = Field(description="Whether the task is suspended.")
    formKey: str | None = Field(default=None, description="camunda:formKey of the task.")
    camundaFormRef: dict[str, Any] | None = Field(default=None, description="Always null.")
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")
    taskState: str = Field(description="Camunda's task state: Created, Completed or Deleted.")


#: Baton's task state as Camunda's (7.21+ ``taskState``): open tasks are Created.
TASK_STATES = {
    c.TaskState.CREATED.value: "Created",
    c.TaskState.ASSIGNED.value: "Created",
    c.TaskState.SUSPENDED.value: "Created",
    c.TaskState.COMPLETED.value: "Completed",
    c.TaskState.CANCELED.value: "Deleted",
}


class SortingIn(CamundaIn):
    sortBy: TaskSorting = Field(description="What to sort by.")
    sortOrder: SortOrder = Field(default="asc", description="asc or desc.")


class TaskQueryIn(CamundaIn):
    """Camunda's TaskQueryDto: the filters of ``GET /task`` as a body, ``sorting`` a list."""

    taskId: str | None = None
    taskIdIn: list[str] | None = None
    processInstanceId: str | None = None
    processInstanceIdIn: list[str] | None = None
    processInstanceBusinessKey: str | None = None
    processDefinitionKey: str | None = None
    processDefinitionKeyIn: list[str] | None = None
    taskDefinitionKey: str | None = None
    name: str | None = None
    nameLike: str | None = None
    assignee: str | None = None
    owner: str | None = None
    candidateUser: str | None = None
    candidateGroup: str | None = None
    candidateGroups: list[str] | None = None
    includeAssignedTasks: bool = False
    involvedUser: str | None = None
    unassigned: bool | None = None
    assigned: bool | None = None
    delegationState: Literal["PENDING", "RESOLVED"] | None = None
    dueBefore: str | None = None
    dueAfter: str | None = None
    createdBefore: str | None = None
    createdAfter: str | None = None
    active: bool | None = None
    suspended: bool | None = None
    sorting: list[SortingIn] | None = None


def _date(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text.replace(" ", "+"))  # a "+" in a query string arrives as " "
    except ValueError as err:
        raise ApiProblem(
            f"Cannot set query parameter '{name}' to value '{text}': {err}", status=400
        ) from err


def _window(q: TaskQueryIn) -> queries.TaskWindow:
    """The read-model query a Camunda task query is."""
    groups = tuple(q.candidateGroups or ()) + ((q.candidateGroup,) if q.candidateGroup else ())
    state = None
    if q.suspended:
        state = c.TaskState.SUSPENDED.value
    task_ids: tuple[str, ...] | None = tuple(q.taskIdIn) if q.taskIdIn is not None else None
    if q.taskId is not None:
        task_ids = (q.taskId,) if task_ids is None or q.taskId in task_ids else ()
    instances = tuple(q.processInstanceIdIn) if q.processInstanceIdIn is not None else None
    base = queries.TaskFilter(
        assignee=q.assignee,
        process_instance_id=q.processInstanceId,
        definition_key=q.processDefinitionKey,
        business_key=q.processInstanceBusinessKey,
        state=state,
        unassigned=q.unassigned,
        candidate_user=q.candidateUser,
        candidate_groups=groups,
        include_assigned=q.includeAssignedTasks,
        due_before=_date("dueBefore", q.dueBefore),
        due_after=_date("dueAfter", q.dueAfter),
        created_before=_date("createdBefore", q.createdBefore),
        created_after=_date("createdAfter", q.createdAfter),
    )
    window = queries.TaskWindow(
        base=base,
        task_ids=task_ids,
        instance_ids=instances,
        definition_keys=(
            tuple(q.processDefinitionKeyIn) if q.processDefinitionKeyIn is not None else None
        ),
        element_id=q.taskDefinitionKey,
        name=q.name,
        name_like=q.nameLike,
        owner=q.owner,
        involved_user=q.involvedUser,
        delegation_state=q.delegationState,
        assigned=q.assigned,
        active_only=bool(q.active),  # open and not suspended: CREATED or ASSIGNED
    )
    return window


def split(text: str | None) -> list[str] | None:
    return None if text is None else [part for part in text.split(",") if part]


def _query_params(
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    task_id_in: Annotated[str | None, Query(alias="taskIdIn")] = None,
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    instance_in: Annotated[str | None, Query(alias="processInstanceIdIn")] = None,
    business_key: Annotated[str | None, Query(alias="processInstanceBusinessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    definition_key_in: Annotated[str | None, Query(alias="processDefinitionKeyIn")] = None,
    element: Annotated[str | None, Query(alias="taskDefinitionKey")] = None,
    name: Annotated[str | None, Query()] = None,
    name_like: Annotated[str | None, Query(alias="nameLike")] = None,
    assignee: Annotated[str | None, Query()] = None,
    owner: Annotated[str | None, Query()] = None,
    candidate_user: Annotated[str | None, Query(alias="candidateUser")] = None,
    candidate_group: Annotated[str | None, Query(alias="candidateGroup")] = None,
    candidate_groups: Annotated[str | None, Query(alias="candidateGroups")] = None,
    include_assigned: Annotated[bool, Query(alias="includeAssignedTasks")] = False,
    involved_user: Annotated[str | None, Query(alias="involvedUser")] = None,
    unassigned: Annotated[bool | None, Query()] = None,
    assigned: Annotated[bool | None, Query()] = None,
    delegation_state: Annotated[
        Literal["PENDING", "RESOLVED"] | None, Query(alias="delegationState")
    ] = None,
    due_before: Annotated[str | None, Query(alias="dueBefore")] = None,
    due_after: Annotated[str | None, Query(alias="dueAfter")] = None,
    created_before: Annotated[str | None, Query(alias="createdBefore")] = None,
    created_after: Annotated[str | None, Query(alias="createdAfter")] = None,
    active: Annotated[bool | None, Query()] = None,
    suspended: Annotated[bool | None, Query()] = None,
) -> TaskQueryIn:
    """``GET /task``'s query parameters as Camunda's TaskQueryDto (lists comma-separated)."""
    return TaskQueryIn(
        taskId=task_id,
        taskIdIn=split(task_id_in),
        processInstanceId=instance,
        processInstanceIdIn=split(instance_in),
        processInstanceBusinessKey=business_key,
        processDefinitionKey=definition_key,
        processDefinitionKeyIn=split(definition_key_in),
        taskDefinitionKey=element,
        name=name,
        nameLike=name_like,
        assignee=assignee,
        owner=owner,
        candidateUser=candidate_user,
        candidateGroup=candidate_group,
        candidateGroups=split(candidate_groups),
        includeAssignedTasks=include_assigned,
        involvedUser=involved_user,
        unassigned=unassigned,
        assigned=assigned,
        delegationState=delegation_state,
        dueBefore=due_before,
        dueAfter=due_after,
        createdBefore=created_before,
        createdAfter=created_after,
        active=active,
        suspended=suspended,
    )


QueryDep = Annotated[TaskQueryIn, Depends(_query_params)]


class DefinitionIds:
    """Camunda definition ids (``key:version:<deployment id>``) of instances, each
    looked up once per answer: the read models keep key and version, not the deployment."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.known: dict[tuple[str, int], str | None] = {}

    async def id(self, key: str, version: int) -> str | None:
        """The definition id of ``key`` at ``version`` (None if it is not deployed)."""
        if (key, version) not in self.known:
            try:
                found = await definitions.find(self.store, key, version)
                self.known[key, version] = f"{found.key}:{found.version}:{found.deployment_id}"
            except DefinitionNotFound:
                self.known[key, version] = None
        return self.known[key, version]

    async def of(self, rows: list[TaskRecord]) -> dict[str, str | None]:
        """Instance id → definition id, for the instances holding these tasks."""
        versions = await queries.instance_versions(
            self.store, {r.process_instance_id for r in rows}
        )
        out: dict[str, str | None] = {}
        for row in rows:
            version = versions.get(row.process_instance_id)
            found = None if version is None else await self.id(row.definition_key, version)
            out[row.process_instance_id] = found
        return out


def task_out(row: TaskRecord, definition: str | None) -> TaskOut:
    """One read-model row as Camunda's TaskDto."""
    created = queries.as_utc(row.created) or row.created
    due = queries.as_utc(row.due)
    return TaskOut(
        id=row.id,
        name=row.name,
        assignee=row.assignee,
        owner=row.owner,
        created=format_date(created),
        due=format_date(due) if due else None,
        delegationState=row.delegation_state,
        executionId=row.process_instance_id,
        priority=row.priority,
        processDefinitionId=definition,
        processInstanceId=row.process_instance_id,
        taskDefinitionKey=row.element_id,
        suspended=row.state == c.TaskState.SUSPENDED.value,
        formKey=row.form_key,
        taskState=TASK_STATES.get(row.state, row.state),
    )


async def tasks_out(store: Store, rows: list[TaskRecord]) -> list[TaskOut]:
    ids = await DefinitionIds(store).of(rows)
    return [task_out(r, ids[r.process_instance_id]) for r in rows]


async def _query(
    store: Store,
    q: TaskQueryIn,
    sort: list[queries.Sort],
    first: int | None,
    size: int | None,
) -> list[TaskOut]:
    window = _window(q)
    rows = await queries.task_window(store, window, first=first or 0, limit=size, sort=sort)
    return await tasks_out(store, rows)


@router.get("", response_model=list[TaskOut], summary="Camunda: query tasks")
async def list_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    q: QueryDep,
    sort_by: Annotated[TaskSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[TaskOut]:
    check_sorting(sort_by, sort_order)
    sort = [queries.Sort(_SORTS[sort_by], sort_order == "desc")] if sort_by else []
    return await _query(store, q, sort, first_result, max_results)


@router.post("", response_model=list[TaskOut], summary="Camunda: query tasks (filters as a body)")
async def query_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    body: Annotated[TaskQueryIn | None, Body()] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[TaskOut]:
    q = body or TaskQueryIn()
    sort = [queries.Sort(_SORTS[s.sortBy], s.sortOrder == "desc") for s in q.sorting or []]
    return await _query(store, q, sort, first_result, max_results)


@router.get("/count", response_model=CountOut, summary="Camunda: count tasks")
async def count_tasks(
    store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")], q: QueryDep
) -> CountOut:
    return CountOut(count=await queries.count_task_window(store, _window(q)))


@router.post("/count", response_model=CountOut, summary="Camunda: count tasks (filters as a body)")
async def count_tasks_by_body(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    body: Annotated[TaskQueryIn | None, Body()] = None,
) -> CountOut:
    return CountOut(count=await queries.count_task_window(store, _window(body or TaskQueryIn())))


def no_task(task_id: str) -> JSONResponse:
    """Camunda's answer for an unknown task id (TaskResource: InvalidRequestException
    with 404)."""
    return JSONResponse(
        {"type": "InvalidRequestException", "message": f"No matching task with id {task_id}"},
        status_code=404,
    )


async def task_row(store: Store, task_id: str) -> TaskRecord | None:
    """The task's read-model row (ended tasks included), or None."""
    return await queries.get_task(store, task_id)


@router.get("/{id}", response_model=TaskOut, summary="Camunda: one task", responses=_NOT_FOUND)
async def get_task(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")]
) -> TaskOut | JSONResponse:
    row = await task_row(store, id)
    if row is None:
        return no_task(id)
    return (await tasks_out(store, [row]))[0]


class IdentityLinkOut(BaseModel):
    """Camunda's IdentityLinkDto."""

    userId: str | None = Field(default=None, description="The user, for a user link.")
    groupId: str | None = Field(default=None, description="The group, for a group link.")
    type: str = Field(description="assignee, owner or candidate.")


@router.get(
    "/{id}/identity-links",
    response_model=list[IdentityLinkOut],
    summary="Camunda: the task's assignee, owner and candidate users and groups",
    responses=_NOT_FOUND,
)
async def identity_links(
    id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    type: Annotated[str | None, Query()] = None,
) -> list[IdentityLinkOut] | JSONResponse:
    row = await task_row(store, id)
    if row is None:
        return no_task(id)
    links: list[IdentityLinkOut] = []
    if row.assignee:
        links.append(IdentityLinkOut(userId=row.assignee, type="assignee"))
    if row.owner:
        links.append(IdentityLinkOut(userId=row.owner, type="owner"))
    links += [IdentityLinkOut(userId=u, type="candidate") for u in row.candidate_users]
    links += [IdentityLinkOut(groupId=g, type="candidate") for g in row.candidate_groups]
    return [link for link in links if type is None or link.type == type]
