"""Camunda's ``/engine-rest/history``: process instances, tasks, activity instances and
variables of running and ended instances.

Camunda keeps history in its own tables; Baton keeps what /v1/bpms shows: the read
models (instances and tasks, ended ones included) and each instance's case history, the
entries its state query answers also after it has ended. These routes only reshape
those into Camunda's Historic…Dto, so a Cockpit-style client and /v1/bpms see the same
facts. Activity instances pair each element's ``ACTIVITY_STARTED`` entry with its next
``ACTIVITY_COMPLETED`` / ``ACTIVITY_CANCELLED``; variables are the instance's current
values (Baton keeps no per-variable history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CountOut, check_sorting, like
from api.routes.camunda.tasks import TASK_STATES, DefinitionIds
from api.routes.camunda.variables import encode, format_date, parse_date
from contracts import bpmn as c
from core.settings import Settings
from operations import calls
from operations.errors import NotFound
from store import queries
from store.db import Store
from store.models import InstanceRecord, TaskRecord

router = APIRouter(prefix="/engine-rest/history", tags=["camunda history"])

SortOrder = Literal["asc", "desc"]
InstanceSorting = Literal["instanceId", "definitionKey", "businessKey", "startTime", "endTime"]
_INSTANCE_SORTS = {
    "instanceId": "id",
    "definitionKey": "processDefinitionKey",
    "businessKey": "businessKey",
    "startTime": "startTime",
    "endTime": "endTime",
}
_ENDED = (c.InstanceState.COMPLETED.value, c.InstanceState.TERMINATED.value)
_RUNNING = (c.InstanceState.ACTIVE.value, c.InstanceState.INCIDENT.value)
#: Baton's instance state as Camunda's historic one (an incident does not stop it)
_STATES = {
    "ACTIVE": "ACTIVE",
    "INCIDENT": "ACTIVE",
    "COMPLETED": "COMPLETED",
    "TERMINATED": "EXTERNALLY_TERMINATED",
}


def _date(value: datetime | None) -> str | None:
    stamp = queries.as_utc(value)
    return format_date(stamp) if stamp else None


def _millis(start: datetime | None, end: datetime | None) -> int | None:
    begun, ended = queries.as_utc(start), queries.as_utc(end)
    if begun is None or ended is None:
        return None
    return int((ended - begun).total_seconds() * 1000)


class HistoricProcessInstanceOut(BaseModel):
    """Camunda's HistoricProcessInstanceDto."""

    id: str = Field(description="The instance id.")
    rootProcessInstanceId: str = Field(description="The instance itself (no call hierarchy).")
    superProcessInstanceId: str | None = Field(default=None, description="Always null.")
    superCaseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    processDefinitionName: str | None = Field(default=None, description="Not kept (null).")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionVersion: int = Field(description="The version it ran.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    businessKey: str | None = Field(default=None, description="The business key.")
    startTime: str = Field(description="When it started.")
    endTime: str | None = Field(default=None, description="When it ended (null: running).")
    removalTime: str | None = Field(default=None, description="Always null.")
    durationInMillis: int | None = Field(default=None, description="Run time once ended.")
    startUserId: str | None = Field(default=None, description="Not kept in the read model.")
    startActivityId: str | None = Field(default=None, description="Not kept (null).")
    deleteReason: str | None = Field(default=None, description="Set when it was cancelled.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")
    state: str = Field(description="ACTIVE, COMPLETED or EXTERNALLY_TERMINATED.")


async def _instance_out(ids: DefinitionIds, row: InstanceRecord) -> HistoricProcessInstanceOut:
    return HistoricProcessInstanceOut(
        id=row.id,
        rootProcessInstanceId=row.id,
        processDefinitionKey=row.definition_key,
        processDefinitionVersion=row.definition_version,
        processDefinitionId=await ids.id(row.definition_key, row.definition_version),
        businessKey=row.business_key,
        startTime=_date(row.start_time) or "",
        endTime=_date(row.end_time),
        durationInMillis=_millis(row.start_time, row.end_time),
        deleteReason="cancelled" if row.state == c.InstanceState.TERMINATED.value else None,
        state=_STATES.get(row.state, row.state),
    )


def _split(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(p for p in text.split(",") if p)


class InstanceQuery(BaseModel):
    """The historic process-instance query's filters (Camunda's names)."""

    processInstanceId: str | None = None
    processInstanceIds: str | None = None
    processDefinitionKey: str | None = None
    processInstanceBusinessKey: str | None = None
    startedBefore: str | None = None
    startedAfter: str | None = None
    finished: bool | None = None
    unfinished: bool | None = None
    active: bool | None = None
    completed: bool | None = None
    externallyTerminated: bool | None = None

    def states(self) -> tuple[str, ...] | None:
        """The read-model states the flags allow (every flag narrows)."""
        allowed = set(_STATES)
        if self.finished:
            allowed &= set(_ENDED)
        if self.unfinished:
            allowed &= set(_RUNNING)
        if self.active:
            allowed &= set(_RUNNING)
        if self.completed:
            allowed &= {c.InstanceState.COMPLETED.value}
        if self.externallyTerminated:
            allowed &= {c.InstanceState.TERMINATED.value}
        return None if allowed == set(_STATES) else tuple(sorted(allowed))

    def ids(self) -> tuple[str, ...] | None:
        ids = _split(self.processInstanceIds)
        if self.processInstanceId is not None:
            one = self.processInstanceId
            ids = (one,) if ids is None or one in ids else ()
        return ids


def _instance_query(
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    instance_ids: Annotated[str | None, Query(alias="processInstanceIds")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    business_key: Annotated[str | None, Query(alias="processInstanceBusinessKey")] = None,
    started_before: Annotated[str | None, Query(alias="startedBefore")] = None,
    started_after: Annotated[str | None, Query(alias="startedAfter")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
    active: bool | None = None,
    completed: bool | None = None,
    externally_terminated: Annotated[bool | None, Query(alias="externallyTerminated")] = None,
) -> InstanceQuery:
    return InstanceQuery(
        processInstanceId=instance,
        processInstanceIds=instance_ids,
        processDefinitionKey=definition_key,
        processInstanceBusinessKey=business_key,
        startedBefore=started_before,
        startedAfter=started_after,
        finished=finished,
        unfinished=unfinished,
        active=active,
        completed=completed,
        externallyTerminated=externally_terminated,
    )


InstanceQueryDep = Annotated[InstanceQuery, Depends(_instance_query)]


def _when(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text.replace(" ", "+"))  # a "+" in a query string arrives as " "
    except ValueError as err:
        raise ApiProblem(
            f"Cannot set query parameter '{name}' to value '{text}': {err}", status=400
        ) from err


async def _instances(
    store: Store,
    q: InstanceQuery,
    *,
    sort: list[queries.Sort],
    first: int | None,
    size: int | None,
) -> queries.Page[InstanceRecord]:
    return await queries.instance_window(
        store,
        queries.InstanceFilter(
            definition_key=q.processDefinitionKey,
            business_key=q.processInstanceBusinessKey,
            started_before=_when("startedBefore", q.startedBefore),
            started_after=_when("startedAfter", q.startedAfter),
        ),
        ids=q.ids(),
        states=q.states(),
        first=first or 0,
        limit=size,
        sort=sort,
    )


@router.get(
    "/process-instance",
    response_model=list[HistoricProcessInstanceOut],
    summary="Camunda: query historic process instances (running and ended)",
)
async def list_instances(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: InstanceQueryDep,
    sort_by: Annotated[InstanceSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[HistoricProcessInstanceOut]:
    check_sorting(sort_by, sort_order)
    sort = [queries.Sort(_INSTANCE_SORTS[sort_by], sort_order == "desc")] if sort_by else []
    found = await _instances(store, q, sort=sort, first=first_result, size=max_results)
    ids = DefinitionIds(store)
    return [await _instance_out(ids, row) for row in found.items]


@router.get(
    "/process-instance/count",
    response_model=CountOut,
    summary="Camunda: count historic process instances",
)
async def count_instances(
    store: StoreDep, _: Annotated[Principal, Requires("bpms:process:read")], q: InstanceQueryDep
) -> CountOut:
    return CountOut(count=(await _instances(store, q, sort=[], first=0, size=0)).total)


@router.get(
    "/process-instance/{id}",
    response_model=HistoricProcessInstanceOut,
    summary="Camunda: one historic process instance",
    responses={404: {"description": "No such instance"}},
)
async def get_instance(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:process:read")]
) -> HistoricProcessInstanceOut | JSONResponse:
    row = await queries.get_instance(store, id)
    if row is None:
        return JSONResponse(
            {
                "type": "InvalidRequestException",
                "message": f"Historic process instance with id {id} does not exist",
            },
            status_code=404,
        )
    return await _instance_out(DefinitionIds(store), row)


class HistoricTaskOut(BaseModel):
    """Camunda's HistoricTaskInstanceDto."""

    id: str = Field(description="The task id.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    processInstanceId: str = Field(description="The instance that held the task.")
    rootProcessInstanceId: str = Field(description="The same instance (no call hierarchy).")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    caseDefinitionKey: str | None = Field(default=None, description="Always null: no CMMN.")
    caseDefinitionId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseExecutionId: str | None = Field(default=None, description="Always null: no CMMN.")
    activityInstanceId: str | None = Field(default=None, description="Not kept (null).")
    name: str | None = Field(default=None, description="The task's name.")
    description: str | None = Field(default=None, description="Always null.")
    deleteReason: str | None = Field(default=None, description="completed or deleted, once ended.")
    owner: str | None = Field(default=None, description="Who delegated it.")
    assignee: str | None = Field(default=None, description="Who held it (last).")
    startTime: str = Field(description="When it was created.")
    endTime: str | None = Field(default=None, description="When it ended.")
    duration: int | None = Field(default=None, description="Milliseconds, once ended.")
    taskDefinitionKey: str = Field(description="The user task's element id.")
    priority: int = Field(description="Its priority.")
    due: str | None = Field(default=None, description="Its due date.")
    parentTaskId: str | None = Field(default=None, description="Always null.")
    followUp: str | None = Field(default=None, description="Always null.")
    tenantId: str | None = Field(default=None, description="Always null.")
    removalTime: str | None = Field(default=None, description="Always null.")
    taskState: str = Field(description="Camunda's task state: Created, Completed or Deleted.")


def _historic_task(row: TaskRecord, definition: str | None) -> HistoricTaskOut:
    reasons = {c.TaskState.COMPLETED.value: "completed", c.TaskState.CANCELED.value: "deleted"}
    return HistoricTaskOut(
        id=row.id,
        processDefinitionKey=row.definition_key,
        processDefinitionId=definition,
        processInstanceId=row.process_instance_id,
        rootProcessInstanceId=row.process_instance_id,
        executionId=row.process_instance_id,
        name=row.name,
        deleteReason=reasons.get(row.state),
        owner=row.owner,
        assignee=row.assignee,
        startTime=_date(row.created) or "",
        endTime=_date(row.ended),
        duration=_millis(row.created, row.ended),
        taskDefinitionKey=row.element_id,
        priority=row.priority,
        due=_date(row.due),
        taskState=TASK_STATES.get(row.state, row.state),
    )


TaskSorting = Literal["taskId", "instanceId", "assignee", "startTime", "priority", "taskName"]
_TASK_SORTS = {
    "taskId": "id",
    "instanceId": "instance",
    "assignee": "assignee",
    "startTime": "created",
    "priority": "priority",
    "taskName": "name",
}


def _task_window(
    task_id: str | None,
    instance: str | None,
    business_key: str | None,
    definition_key: str | None,
    element: str | None,
    assignee: str | None,
    finished: bool | None,
    unfinished: bool | None,
) -> queries.TaskWindow:
    window = queries.TaskWindow(
        base=queries.TaskFilter(
            assignee=assignee,
            process_instance_id=instance,
            definition_key=definition_key,
            business_key=business_key,
            any_state=True,
        ),
        task_ids=(task_id,) if task_id is not None else None,
        element_id=element,
    )
    if finished and not unfinished:
        return queries.TaskWindow(**{**window.__dict__, "ended_only": True})
    if unfinished and not finished:
        return queries.TaskWindow(**{**window.__dict__, "open_only": True})
    return window


@router.get(
    "/task",
    response_model=list[HistoricTaskOut],
    summary="Camunda: query historic tasks (open and ended)",
)
async def list_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    business_key: Annotated[str | None, Query(alias="processInstanceBusinessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    element: Annotated[str | None, Query(alias="taskDefinitionKey")] = None,
    assignee: Annotated[str | None, Query(alias="taskAssignee")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
    sort_by: Annotated[TaskSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[HistoricTaskOut]:
    check_sorting(sort_by, sort_order)
    sort = [queries.Sort(_TASK_SORTS[sort_by], sort_order == "desc")] if sort_by else []
    window = _task_window(
        task_id, instance, business_key, definition_key, element, assignee, finished, unfinished
    )
    rows = await queries.task_window(
        store, window, first=first_result or 0, limit=max_results, sort=sort
    )
    ids = await DefinitionIds(store).of(rows)
    return [_historic_task(r, ids[r.process_instance_id]) for r in rows]


@router.get("/task/count", response_model=CountOut, summary="Camunda: count historic tasks")
async def count_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    business_key: Annotated[str | None, Query(alias="processInstanceBusinessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    element: Annotated[str | None, Query(alias="taskDefinitionKey")] = None,
    assignee: Annotated[str | None, Query(alias="taskAssignee")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
) -> CountOut:
    window = _task_window(
        task_id, instance, business_key, definition_key, element, assignee, finished, unfinished
    )
    return CountOut(count=await queries.count_task_window(store, window))


def _instance_ids(instance: str | None, instance_in: str | None, what: str) -> list[str]:
    """The instances a per-instance history query reads (their state queries): Baton
    keeps activity and variable history inside each instance, not in a table, so these
    queries name their instances."""
    ids = [i for i in (_split(instance_in) or ()) if i]  # an empty id names no instance
    if instance:
        ids = [instance] if not ids or instance in ids else []
    if not instance and not ids:
        raise ApiProblem(
            f"{what} needs processInstanceId (or processInstanceIdIn): Baton keeps this "
            "history inside each instance",
            status=400,
        )
    return ids[:50]


async def _state(client: Client, settings: Settings, instance_id: str) -> c.ProcessStateView | None:
    """The instance's state answer, or None for an id no instance has."""
    try:
        return await calls.state_view(client, settings, instance_id)
    except NotFound:
        return None


class HistoricActivityInstanceOut(BaseModel):
    """Camunda's HistoricActivityInstanceDto."""

    id: str = Field(description="<instance id>:<element id>:<occurrence>.")
    parentActivityInstanceId: str | None = Field(default=None, description="The instance id.")
    activityId: str = Field(description="The BPMN element id.")
    activityName: str | None = Field(default=None, description="Not kept (null).")
    activityType: str | None = Field(default=None, description="The element's kind.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    processInstanceId: str = Field(description="The instance.")
    rootProcessInstanceId: str = Field(description="The same instance.")
    executionId: str = Field(description="The instance id (no executions).")
    taskId: str | None = Field(default=None, description="Not linked (null).")
    calledProcessInstanceId: str | None = Field(default=None, description="Always null.")
    calledCaseInstanceId: str | None = Field(default=None, description="Always null.")
    assignee: str | None = Field(default=None, description="Not kept (null).")
    startTime: str = Field(description="When the element was entered.")
    endTime: str | None = Field(default=None, description="When it was left.")
    durationInMillis: int | None = Field(default=None, description="Time spent in it.")
    canceled: bool = Field(description="Whether it was cancelled rather than completed.")
    completeScope: bool = Field(default=False, description="Not tracked (false).")
    tenantId: str | None = Field(default=None, description="Always null.")
    removalTime: str | None = Field(default=None, description="Always null.")


def _activities(
    instance_id: str, definition: str | None, view: c.ProcessStateView
) -> list[HistoricActivityInstanceOut]:
    """Each ``ACTIVITY_STARTED`` entry paired with the element's next end entry."""
    out: list[HistoricActivityInstanceOut] = []
    starts: list[datetime] = []
    open_by_element: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    for entry in view.history:
        element = entry.element_id
        if element is None:
            continue
        if entry.type == "ACTIVITY_STARTED":
            seen[element] = seen.get(element, 0) + 1
            open_by_element.setdefault(element, []).append(len(out))
            kind = entry.details.get("type")
            starts.append(entry.timestamp)
            out.append(
                HistoricActivityInstanceOut(
                    id=f"{instance_id}:{element}:{seen[element]}",
                    parentActivityInstanceId=instance_id,
                    activityId=element,
                    activityType=str(kind) if kind is not None else None,
                    processDefinitionKey=view.definition.key,
                    processDefinitionId=definition,
                    processInstanceId=instance_id,
                    rootProcessInstanceId=instance_id,
                    executionId=instance_id,
                    startTime=format_date(entry.timestamp),
                    canceled=False,
                )
            )
        elif entry.type in ("ACTIVITY_COMPLETED", "ACTIVITY_CANCELLED"):
            waiting = open_by_element.get(element)
            if not waiting:
                continue
            index = waiting.pop(0)
            started = out[index]
            out[index] = started.model_copy(
                update={
                    "endTime": format_date(entry.timestamp),
                    "durationInMillis": int(
                        (entry.timestamp - starts[index]).total_seconds() * 1000
                    ),
                    "canceled": entry.type == "ACTIVITY_CANCELLED",
                }
            )
    return out


@router.get(
    "/activity-instance",
    response_model=list[HistoricActivityInstanceOut],
    summary="Camunda: the elements an instance entered and left (its case history)",
    responses={400: {"description": "No processInstanceId given"}},
)
async def list_activity_instances(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    activity: Annotated[str | None, Query(alias="activityId")] = None,
    activity_type: Annotated[str | None, Query(alias="activityType")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
    canceled: bool | None = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[HistoricActivityInstanceOut]:
    ids = DefinitionIds(store)
    found: list[HistoricActivityInstanceOut] = []
    for instance_id in _instance_ids(instance, None, "the activity instance history"):
        view = await _state(client, settings, instance_id)
        if view is None:  # a query filtered by an unknown id matches nothing
            continue
        definition = await ids.id(view.definition.key, view.definition.version)
        found += _activities(instance_id, definition, view)
    found = [
        a
        for a in found
        if (activity is None or a.activityId == activity)
        and (activity_type is None or a.activityType == activity_type)
        and (not finished or a.endTime is not None)
        and (not unfinished or a.endTime is None)
        and (canceled is None or a.canceled == canceled)
    ]
    start = first_result or 0
    return found[start:] if max_results is None else found[start : start + max_results]


class HistoricVariableOut(BaseModel):
    """Camunda's HistoricVariableInstanceDto."""

    id: str = Field(description="<instance id>:<variable name>.")
    name: str = Field(description="The variable's name.")
    type: str = Field(description="Its Camunda type.")
    value: Any = Field(default=None, description="Its value (Json: serialized).")
    valueInfo: dict[str, Any] = Field(default_factory=dict, description="Type details.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    processInstanceId: str = Field(description="The instance.")
    rootProcessInstanceId: str = Field(description="The same instance.")
    executionId: str = Field(description="The instance id (no executions).")
    activityInstanceId: str = Field(description="The instance id: variables live on it.")
    caseDefinitionKey: str | None = Field(default=None, description="Always null.")
    caseDefinitionId: str | None = Field(default=None, description="Always null.")
    caseInstanceId: str | None = Field(default=None, description="Always null.")
    caseExecutionId: str | None = Field(default=None, description="Always null.")
    taskId: str | None = Field(default=None, description="Always null: no task-local scope.")
    tenantId: str | None = Field(default=None, description="Always null.")
    errorMessage: str | None = Field(default=None, description="Always null.")
    state: str = Field(default="CREATED", description="CREATED (Baton deletes none).")
    createTime: str | None = Field(default=None, description="Not kept (null).")
    removalTime: str | None = Field(default=None, description="Always null.")


@router.get(
    "/variable-instance",
    response_model=list[HistoricVariableOut],
    summary="Camunda: an instance's variables (current values), also after it has ended",
    responses={400: {"description": "No processInstanceId given"}},
)
async def list_variables(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    instance_in: Annotated[str | None, Query(alias="processInstanceIdIn")] = None,
    name: Annotated[str | None, Query(alias="variableName")] = None,
    name_like: Annotated[str | None, Query(alias="variableNameLike")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[HistoricVariableOut]:
    ids = DefinitionIds(store)
    found: list[HistoricVariableOut] = []
    for instance_id in _instance_ids(instance, instance_in, "the variable history"):
        view = await _state(client, settings, instance_id)
        if view is None:  # a query filtered by an unknown id matches nothing
            continue
        definition = await ids.id(view.definition.key, view.definition.version)
        for variable, value in sorted(view.variables.items()):
            if name is not None and variable != name:
                continue
            if name_like is not None and not like(variable, name_like):
                continue
            typed = encode(value)
            found.append(
                HistoricVariableOut(
                    id=f"{instance_id}:{variable}",
                    name=variable,
                    type=typed["type"],
                    value=typed["value"],
                    valueInfo=typed["valueInfo"],
                    processDefinitionKey=view.definition.key,
                    processDefinitionId=definition,
                    processInstanceId=instance_id,
                    rootProcessInstanceId=instance_id,
                    executionId=instance_id,
                    activityInstanceId=instance_id,
                )
            )
    start = first_result or 0
    return found[start:] if max_results is None else found[start : start + max_results]
