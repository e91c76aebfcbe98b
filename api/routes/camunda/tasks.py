"""Camunda's ``/engine-rest/task``: the task query, one task, and the task commands.

A Camunda Tasklist or a generated client drives user tasks through these calls; each is
a translation over what ``/v1/bpms/tasks`` uses -- the read model for queries
(``store.queries``), ``operations.tasks`` for every command -- so who may claim,
complete or delegate is decided once, by the instance's update validators. Their
refusals come back in Camunda's words where a Camunda client reads a specific type (a
task claimed by someone else is ``TaskAlreadyClaimedException``), else through the
family's error body (``api.routes.camunda.errors``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api import limits
from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda import errors
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting
from api.routes.camunda.variables import (
    VariableError,
    encode,
    format_date,
    parse_date,
    to_python,
    to_typed,
)
from contracts import bpmn as c
from core.settings import Settings
from operations import calls
from operations import tasks as ops
from operations.errors import NotFound, OperationError
from operations.tasks import Action
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
_COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    204: {"description": "Done"},
    400: {"description": "A variable Baton cannot read, named"},
    403: {"description": "The caller may not do this to the task"},
    409: {"description": "Claimed by someone else, not active, or (not) delegated"},
}


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


class UserIdIn(CamundaIn):
    """Camunda's UserIdDto."""

    userId: str | None = Field(default=None, max_length=255, description="The user.")


class VariablesIn(CamundaIn):
    """Camunda's CompleteTaskDto (and resolve's and submit-form's)."""

    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables: name -> {value, type, valueInfo}."
    )
    withVariablesInReturn: bool = Field(
        default=False, description="Answer the instance's variables (200) instead of 204."
    )


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


def _split(text: str | None) -> list[str] | None:
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
        taskIdIn=_split(task_id_in),
        processInstanceId=instance,
        processInstanceIdIn=_split(instance_in),
        processInstanceBusinessKey=business_key,
        processDefinitionKey=definition_key,
        processDefinitionKeyIn=_split(definition_key_in),
        taskDefinitionKey=element,
        name=name,
        nameLike=name_like,
        assignee=assignee,
        owner=owner,
        candidateUser=candidate_user,
        candidateGroup=candidate_group,
        candidateGroups=_split(candidate_groups),
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


async def _row(store: Store, task_id: str) -> TaskRecord | None:
    return await queries.get_task(store, task_id)


@router.get("/{id}", response_model=TaskOut, summary="Camunda: one task", responses=_NOT_FOUND)
async def get_task(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")]
) -> TaskOut | JSONResponse:
    row = await _row(store, id)
    if row is None:
        return no_task(id)
    return (await tasks_out(store, [row]))[0]


def _refusal(err: OperationError, task_id: str) -> JSONResponse:
    """A refused command in Camunda's words where its clients read the type; the rest
    as the family maps them (raised again)."""
    code = err.extensions.get("code")
    if code == c.Rejection.TASK_ALREADY_CLAIMED.value:
        body = errors.body(409, f"Task '{task_id}' is already claimed by someone else.")
        body["type"] = "TaskAlreadyClaimedException"
        body["reason"] = code
        return JSONResponse(body, status_code=409)
    if isinstance(err, NotFound):
        return JSONResponse(
            {
                "type": "NullValueException",
                "message": f"Cannot find task with id {task_id}: task is null",
            },
            status_code=404,
        )
    raise err


async def _command(
    client: Client,
    store: Store,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    action: Action,
    **fields: Any,
) -> Response:
    """One task command through ``operations.tasks``: 204 as Camunda answers, or its
    refusal."""
    try:
        await ops.command(client, store, settings, actor, task_id, action, **fields)
    except OperationError as err:
        return _refusal(err, task_id)
    return Response(status_code=204)


def _variables(body: VariablesIn | None, what: str) -> dict[str, Any]:
    try:
        values = to_python(body.variables if body else None)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=err.name) from err
    limits.check("variables", values)
    return values


@router.post(
    "/{id}/claim",
    status_code=204,
    summary="Camunda: claim the task (for the caller, or for userId on its behalf)",
    responses=_COMMAND_ERRORS,
)
async def claim(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[UserIdIn | None, Body()] = None,
) -> Response:
    user = body.userId if body else None
    try:
        actor = ops.actor_of(p, user)
    except OperationError as err:
        return _refusal(err, id)
    return await _command(client, store, settings, actor, id, Action.CLAIM)


@router.post(
    "/{id}/unclaim",
    status_code=204,
    summary="Camunda: give the task back (assignee or admin)",
    responses=_COMMAND_ERRORS,
)
async def unclaim(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> Response:
    return await _command(client, store, settings, ops.actor_of(p), id, Action.UNCLAIM)


@router.post(
    "/{id}/assignee",
    status_code=204,
    summary="Camunda: set (or, with null, clear) the assignee",
    responses=_COMMAND_ERRORS,
)
async def set_assignee(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[UserIdIn | None, Body()] = None,
) -> Response:
    user = body.userId if body else None
    if user is None:
        return await _command(client, store, settings, ops.actor_of(p), id, Action.UNCLAIM)
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.ASSIGN, assignee=user
    )


@router.post(
    "/{id}/delegate",
    status_code=204,
    summary="Camunda: delegate the task to userId; it returns to its owner when resolved",
    responses=_COMMAND_ERRORS,
)
async def delegate(
    id: str,
    body: UserIdIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> Response:
    if not body.userId:
        raise ApiProblem("userId is required to delegate a task", status=400)
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.DELEGATE, assignee=body.userId
    )


@router.post(
    "/{id}/resolve",
    status_code=204,
    summary="Camunda: the delegate resolves the task (back to its owner), with variables",
    responses=_COMMAND_ERRORS,
)
async def resolve(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    values = _variables(body, f"Cannot resolve task {id}")
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.RESOLVE, variables=values
    )


async def _complete(
    id: str,
    body: VariablesIn | None,
    store: Store,
    client: Client,
    settings: Settings,
    p: Principal,
    what: str,
) -> Response:
    values = _variables(body, f"Cannot {what} task {id}")
    try:
        done = await ops.complete(client, store, settings, ops.actor_of(p), id, values)
    except OperationError as err:
        return _refusal(err, id)
    if body is not None and body.withVariablesInReturn:
        return JSONResponse(to_typed(done.variables))
    return Response(status_code=204)


_COMPLETE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_COMMAND_ERRORS,
    200: {
        "description": "The instance's typed variables (withVariablesInReturn)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


@router.post(
    "/{id}/complete",
    status_code=204,
    summary="Camunda: complete the task with typed variables",
    responses=_COMPLETE_RESPONSES,
)
async def complete(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    return await _complete(id, body, store, client, settings, p, "complete")


@router.post(
    "/{id}/submit-form",
    status_code=204,
    summary="Camunda: submit the task's form (completes it with the form's variables)",
    responses=_COMPLETE_RESPONSES,
)
async def submit_form(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    return await _complete(id, body, store, client, settings, p, "submit form of")


async def _visible(
    id: str, store: Store, client: Client, settings: Settings
) -> dict[str, Any] | JSONResponse:
    """The variables a task sees: its instance's (Baton has no task-local scope)."""
    row = await _row(store, id)
    if row is None:
        return no_task(id)
    view = await calls.state_view(client, settings, row.process_instance_id)
    return view.variables


_TYPED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    200: {
        "description": "name -> {value, type, valueInfo}",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


@router.get(
    "/{id}/variables",
    summary="Camunda: the variables the task sees (its instance's), typed",
    responses=_TYPED,
)
async def get_variables(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    return JSONResponse(to_typed(values))


@router.get(
    "/{id}/variables/{name}",
    summary="Camunda: one variable the task sees, typed",
    responses=_TYPED,
)
async def get_variable(
    id: str,
    name: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValue")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    if name not in values:
        return JSONResponse(
            {
                "type": "InvalidRequestException",
                "message": f"task variable with name {name} does not exist",
            },
            status_code=404,
        )
    return JSONResponse(encode(values[name]))


@router.get(
    "/{id}/form-variables",
    summary="Camunda: the task form's variables (the instance's; variableNames narrows)",
    responses=_TYPED,
)
async def get_form_variables(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    names: Annotated[str | None, Query(alias="variableNames")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    wanted = _split(names)
    if wanted is not None:
        values = {k: v for k, v in values.items() if k in wanted}
    return JSONResponse(to_typed(values))


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
    row = await _row(store, id)
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
