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

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting, like, page
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variables import encode, format_date
from core.settings import Settings
from operations import calls
from operations.errors import NotFound
from store import queries
from store.db import Store

router = APIRouter(prefix="/engine-rest/history", tags=["camunda history"])

SortOrder = Literal["asc", "desc"]


def date_out(value: datetime | None) -> str | None:
    stamp = queries.as_utc(value)
    return format_date(stamp) if stamp else None


def millis_between(start: datetime | None, end: datetime | None) -> int | None:
    begun, ended = queries.as_utc(start), queries.as_utc(end)
    if begun is None or ended is None:
        return None
    return int((ended - begun).total_seconds() * 1000)


def split_ids(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(p for p in text.split(",") if p)


def _instance_ids(instance: str | None, instance_in: str | None, what: str) -> list[str]:
    """The instances a per-instance history query reads (their state queries): Baton
    keeps activity and variable history inside each instance, not in a table, so these
    queries name their instances."""
    ids = [i for i in (split_ids(instance_in) or ()) if i]  # an empty id names no instance
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


class ActivityQuery(BaseModel):
    instance: str | None = None
    activity: str | None = None
    activity_type: str | None = None
    finished: bool | None = None
    unfinished: bool | None = None
    canceled: bool | None = None


def _activity_query(
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    activity: Annotated[str | None, Query(alias="activityId")] = None,
    activity_type: Annotated[str | None, Query(alias="activityType")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
    canceled: bool | None = None,
) -> ActivityQuery:
    return ActivityQuery(
        instance=instance,
        activity=activity,
        activity_type=activity_type,
        finished=finished,
        unfinished=unfinished,
        canceled=canceled,
    )


async def _activity_instances(
    store: Store, client: Client, settings: Settings, q: ActivityQuery
) -> list[HistoricActivityInstanceOut]:
    ids = DefinitionIds(store)
    found: list[HistoricActivityInstanceOut] = []
    for instance_id in _instance_ids(q.instance, None, "the activity instance history"):
        view = await _state(client, settings, instance_id)
        if view is None:  # a query filtered by an unknown id matches nothing
            continue
        definition = await ids.id(view.definition.key, view.definition.version)
        found += _activities(instance_id, definition, view)
    return [
        a
        for a in found
        if (q.activity is None or a.activityId == q.activity)
        and (q.activity_type is None or a.activityType == q.activity_type)
        and (not q.finished or a.endTime is not None)
        and (not q.unfinished or a.endTime is None)
        and (q.canceled is None or a.canceled == q.canceled)
    ]


ActivityQueryDep = Annotated[ActivityQuery, Depends(_activity_query)]
FirstResult = Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)]


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
    q: ActivityQueryDep,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricActivityInstanceOut]:
    found = await _activity_instances(store, client, settings, q)
    return page(found, first_result, max_results)


@router.get(
    "/activity-instance/count",
    response_model=CountOut,
    summary="Camunda: count the elements an instance entered and left",
    responses={400: {"description": "No processInstanceId given"}},
)
async def count_activity_instances(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: ActivityQueryDep,
) -> CountOut:
    return CountOut(count=len(await _activity_instances(store, client, settings, q)))


def _not_found(what: str, id: str) -> JSONResponse:
    """Camunda's 404 for an unknown historic id (InvalidRequestException)."""
    return JSONResponse(
        {"type": "InvalidRequestException", "message": f"{what} with id {id} does not exist"},
        status_code=404,
    )


@router.get(
    "/activity-instance/{id}",
    response_model=HistoricActivityInstanceOut,
    summary="Camunda: one historic activity instance (<instance id>:<element id>:<n>)",
    responses={404: {"description": "No such activity instance"}},
)
async def get_activity_instance(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
) -> HistoricActivityInstanceOut | JSONResponse:
    parts = id.rsplit(":", 2)
    if len(parts) == 3 and parts[0]:
        found = await _activity_instances(store, client, settings, ActivityQuery(instance=parts[0]))
        for activity in found:
            if activity.id == id:
                return activity
    return _not_found("Historic activity instance", id)


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


VariableSorting = Literal["instanceId", "variableName"]


class VariableSortIn(CamundaIn):
    sortBy: VariableSorting = Field(description="The column to sort by.")
    sortOrder: SortOrder = Field(description="asc or desc.")


class HistoricVariableQueryIn(CamundaIn):
    """The historic variable query's filters (Camunda's names): the GET form's parameters,
    or the POST form's HistoricVariableInstanceQueryDto body."""

    processInstanceId: str | None = Field(default=None, description="One instance.")
    processInstanceIdIn: list[str] | None = Field(
        default=None, description="Any of these instances."
    )
    variableName: str | None = Field(default=None, description="The variable's name.")
    variableNameLike: str | None = Field(
        default=None, description="Names matching this LIKE pattern (% any run, _ one)."
    )
    sorting: list[VariableSortIn] | None = Field(default=None, description="Sort keys, in order.")


def _variable_query(
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    instance_in: Annotated[str | None, Query(alias="processInstanceIdIn")] = None,
    name: Annotated[str | None, Query(alias="variableName")] = None,
    name_like: Annotated[str | None, Query(alias="variableNameLike")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
    sort_by: Annotated[VariableSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> HistoricVariableQueryIn:
    check_sorting(sort_by, sort_order)
    ids = split_ids(instance_in)
    return HistoricVariableQueryIn(
        processInstanceId=instance,
        processInstanceIdIn=None if ids is None else list(ids),
        variableName=name,
        variableNameLike=name_like,
        sorting=[VariableSortIn(sortBy=sort_by, sortOrder=sort_order)]
        if sort_by is not None and sort_order is not None
        else None,
    )


HistoricVariableQueryInDep = Annotated[HistoricVariableQueryIn, Depends(_variable_query)]
_VARIABLE_SORTS = {
    "instanceId": lambda v: v.processInstanceId,
    "variableName": lambda v: v.name,
}


async def _variables(
    store: Store, client: Client, settings: Settings, q: HistoricVariableQueryIn
) -> list[HistoricVariableOut]:
    ids = DefinitionIds(store)
    found: list[HistoricVariableOut] = []
    instance_in = None if q.processInstanceIdIn is None else ",".join(q.processInstanceIdIn)
    for instance_id in _instance_ids(q.processInstanceId, instance_in, "the variable history"):
        view = await _state(client, settings, instance_id)
        if view is None:  # a query filtered by an unknown id matches nothing
            continue
        definition = await ids.id(view.definition.key, view.definition.version)
        for variable, value in sorted(view.variables.items()):
            if q.variableName is not None and variable != q.variableName:
                continue
            if q.variableNameLike is not None and not like(variable, q.variableNameLike):
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
    for sort in reversed(q.sorting or ()):  # stable: the first key sorts last
        found.sort(key=_VARIABLE_SORTS[sort.sortBy], reverse=sort.sortOrder == "desc")
    return found


_NEEDS_INSTANCE: dict[int | str, dict[str, Any]] = {
    400: {"description": "No processInstanceId given"}
}


@router.get(
    "/variable-instance",
    response_model=list[HistoricVariableOut],
    summary="Camunda: an instance's variables (current values), also after it has ended",
    responses=_NEEDS_INSTANCE,
)
async def list_variables(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: HistoricVariableQueryInDep,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricVariableOut]:
    return page(await _variables(store, client, settings, q), first_result, max_results)


@router.post(
    "/variable-instance",
    response_model=list[HistoricVariableOut],
    summary="Camunda: query historic variables with a HistoricVariableInstanceQueryDto body",
    responses=_NEEDS_INSTANCE,
)
async def query_variables(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: HistoricVariableQueryIn,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricVariableOut]:
    return page(await _variables(store, client, settings, body), first_result, max_results)


@router.get(
    "/variable-instance/count",
    response_model=CountOut,
    summary="Camunda: count an instance's variables",
    responses=_NEEDS_INSTANCE,
)
async def count_variables(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: HistoricVariableQueryInDep,
) -> CountOut:
    return CountOut(count=len(await _variables(store, client, settings, q)))


@router.post(
    "/variable-instance/count",
    response_model=CountOut,
    summary="Camunda: count historic variables with a HistoricVariableInstanceQueryDto body",
    responses=_NEEDS_INSTANCE,
)
async def count_variables_by_body(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: HistoricVariableQueryIn,
) -> CountOut:
    return CountOut(count=len(await _variables(store, client, settings, body)))


@router.get(
    "/variable-instance/{id}",
    response_model=HistoricVariableOut,
    summary="Camunda: one historic variable (<instance id>:<variable name>)",
    responses={404: {"description": "No such variable"}},
)
async def get_variable(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> HistoricVariableOut | JSONResponse:
    instance, _sep, name = id.partition(":")
    if instance and name:
        q = HistoricVariableQueryIn(processInstanceId=instance, variableName=name)
        for variable in await _variables(store, client, settings, q):
            return variable
    return _not_found("Historic variable instance", id)
