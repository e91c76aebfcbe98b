"""Process instances: start, list, read, cancel, variables, business data, case history.

Starting, cancelling and changing variables are operations (``operations.instances``);
the list comes from the read model; details and the case history are the instance's own
state query.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Header, Path, Query, Response, status
from temporalio.client import Client

from api import instance_access, limits
from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep
from api.problems import NotFound
from api.schemas import (
    ActivityOut,
    BusinessDataIn,
    CancelInstanceIn,
    HistoryEntryOut,
    IncidentOut,
    InstanceDetailOut,
    InstanceOut,
    OpenTaskOut,
    PageNumber,
    PageOut,
    PageSize,
    StartedInstanceOut,
    StartInstanceIn,
    VariableIn,
    VariablesIn,
    VariablesOut,
)
from core.settings import Settings
from operations import calls, instances
from store import business_data, definitions, queries
from store.db import DefinitionNotFound, Store
from store.models import InstanceRecord

router = APIRouter(
    prefix="/v1/bpms/process-instances", tags=["process instances"], dependencies=IDEMPOTENT
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such instance"},
    409: {"description": "The instance has ended"},
}
#: what a data write may answer besides _ERRORS (api/instance_access.py, api/limits.py)
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    403: {"description": "The caller may not work on this instance (not a participant)"},
    413: {"description": "The variables or business data are over the size bound"},
}


def _ui_link(settings: Settings, instance_id: str) -> str:
    return (
        f"{settings.ui_base_url()}/namespaces/{settings.temporal_namespace}/workflows/{instance_id}"
    )


def _activities(view: c.ProcessStateView) -> list[ActivityOut]:
    return [ActivityOut(activity_id=a.element_id, name=a.name, type=a.type) for a in view.active]


def _open_tasks(view: c.ProcessStateView) -> list[OpenTaskOut]:
    return [
        OpenTaskOut(
            id=t.id,
            task_definition_key=t.element_id,
            name=t.name,
            assignee=t.assignee,
            state=t.state.value,
        )
        for t in view.tasks
        if t.ended is None
    ]


def _incidents(view: c.ProcessStateView) -> list[IncidentOut]:
    return [
        IncidentOut(
            id=i.id,
            activity_id=i.element_id,
            message=i.message,
            created_at=i.created,
            state="RESOLVED" if i.resolved else "OPEN",
        )
        for i in view.incidents
    ]


async def _view(client: Client, settings: Settings, instance_id: str) -> c.ProcessStateView:
    return await calls.state_view(client, settings, instance_id)


async def _detail(
    client: Client, store: Store, settings: Settings, instance_id: str
) -> InstanceDetailOut:
    return await _detail_of(
        store, settings, instance_id, await _view(client, settings, instance_id)
    )


async def _detail_of(
    store: Store, settings: Settings, instance_id: str, view: c.ProcessStateView
) -> InstanceDetailOut:
    return InstanceDetailOut(
        id=instance_id,
        process_definition_key=view.definition.key,
        version=view.definition.version,
        business_key=view.business_key,
        state=view.state.value,
        start_time=view.start_time,
        end_time=view.end_time,
        temporal_url=_ui_link(settings, instance_id),
        current_activities=_activities(view),
        open_tasks=_open_tasks(view),
        process_data=view.variables,
        business_data=await business_data.get(store, instance_id),
        incidents=_incidents(view),
        waiting_timers=view.waiting_timers,
        waiting_messages=view.waiting_messages,
    )


def _started_out(settings: Settings, started: instances.Started) -> StartedInstanceOut:
    return StartedInstanceOut(
        id=started.instance_id,
        process_definition_key=started.definition_key,
        version=started.version,
        business_key=started.business_key,
        state=started.state,
        start_time=started.start_time,
        end_time=started.end_time,
        temporal_url=_ui_link(settings, started.instance_id),
        settled=False,
        replayed=started.replayed,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedInstanceOut,
    response_model_exclude_none=True,
    summary="Start an instance of a deployed process (latest version unless given)",
    description=(
        "`processData` becomes the process variables; `businessData` goes to the data-model "
        "store, referenced by the instance. With an `Idempotency-Key` header the same "
        "caller and key always name the same instance: a repeated request answers 200 with "
        "it (`replayed: true`) instead of starting another. With `waitForWaitState` the "
        "answer comes once the instance waits (201, with its activities and open tasks) "
        "or, past `waitTimeoutMs`, as 202 with `Location`."
    ),
    responses={
        200: {"description": "The instance an earlier request with this key started"},
        202: {"description": "Started; the wait state was not reached in time"},
        404: {"description": "No such process definition"},
        422: {"description": "Invalid body, or the key was used for another process"},
    },
)
async def start_instance(
    body: StartInstanceIn,
    response: Response,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> StartedInstanceOut:
    try:
        d = await definitions.find(store, body.process_definition_key, body.version)
    except DefinitionNotFound as err:
        raise NotFound(str(err), field="processDefinitionKey") from err
    started = await instances.start(
        client,
        store,
        settings,
        d,
        started_by=principal.subject,
        variables=body.process_data,
        business_key=body.business_key,
        business=body.business_data,
        idempotency_key=idempotency_key,
    )
    out = _started_out(settings, started)
    location = f"/v1/bpms/process-instances/{started.instance_id}"
    if started.replayed:
        response.status_code = status.HTTP_200_OK
        if not started.raced:  # (a start that raced its twin answers without Location)
            response.headers["Location"] = location
        return out
    response.headers["Location"] = location
    if not body.wait_for_wait_state:
        return out
    view = await calls.wait_for_wait_state(
        client, settings, started.instance_id, timedelta(milliseconds=body.wait_timeout_ms)
    )
    if view is None:
        response.status_code = status.HTTP_202_ACCEPTED
        return out
    return out.model_copy(
        update={
            "settled": True,
            "state": view.state.value,
            "end_time": view.end_time,
            "current_activities": _activities(view),
            "open_tasks": _open_tasks(view),
            "incidents": _incidents(view),
        }
    )


def _row_out(row: InstanceRecord, settings: Settings) -> InstanceOut:
    return InstanceOut(
        id=row.id,
        process_definition_key=row.definition_key,
        version=row.definition_version,
        business_key=row.business_key,
        state=row.state,
        start_time=queries.as_utc(row.start_time) or row.start_time,
        end_time=queries.as_utc(row.end_time),
        temporal_url=_ui_link(settings, row.id),
    )


@router.get(
    "",
    response_model=PageOut[InstanceOut],
    summary="List instances (read model), newest first unless sorted otherwise",
)
async def list_instances(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    process_definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this definition version.")
    ] = None,
    business_key: Annotated[str | None, Query(alias="businessKey")] = None,
    state: Annotated[c.InstanceState | None, Query()] = None,
    started_after: Annotated[datetime | None, Query(alias="startedAfter")] = None,
    started_before: Annotated[datetime | None, Query(alias="startedBefore")] = None,
    has_incident: Annotated[bool | None, Query(alias="hasIncident")] = None,
    sort_by: Annotated[
        Literal["startTime", "endTime", "businessKey", "processDefinitionKey"],
        Query(alias="sortBy"),
    ] = "startTime",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "desc",
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[InstanceOut]:
    result = await queries.list_instances(
        store,
        queries.InstanceFilter(
            definition_key=process_definition_key,
            version=version,
            business_key=business_key,
            state=state.value if state else None,
            started_after=started_after,
            started_before=started_before,
            has_incident=has_incident,
        ),
        page=page,
        size=size,
        sort=queries.Sort(sort_by, descending=sort_order == "desc"),
    )
    return PageOut[InstanceOut](
        items=[_row_out(r, settings) for r in result.items],
        page=page,
        size=size,
        total=result.total,
    )


@router.get(
    "/{instance_id}",
    response_model=InstanceDetailOut,
    summary="One instance: state, current activities, open tasks, variables, incidents",
    responses={404: {"description": "No such instance"}},
)
async def get_instance(
    instance_id: str,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
) -> InstanceDetailOut:
    return await _detail(client, store, settings, instance_id)


@router.post(
    "/{instance_id}/cancel",
    response_model=InstanceDetailOut,
    summary="Cancel a running instance, with a reason for the case history",
    description=(
        "Every token stops, open user tasks end as CANCELED, open incidents close, and the "
        "instance ends as TERMINATED (Temporal: Canceled). The answer comes once it has "
        "ended (202 if that takes longer than the API's Temporal timeout)."
    ),
    responses={**_ERRORS, 202: {"description": "Cancelling; not ended yet"}},
)
async def cancel_instance(
    instance_id: str,
    body: CancelInstanceIn,
    response: Response,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:modify")],
) -> InstanceDetailOut:
    cancelled = await instances.cancel(
        client, settings, instance_id, reason=body.reason, by=principal.subject
    )
    if not cancelled.ended:
        response.status_code = status.HTTP_202_ACCEPTED
    return await _detail_of(store, settings, instance_id, cancelled.view)


@router.post(
    "/{instance_id}/timers/{element_id}/fire",
    response_model=InstanceDetailOut,
    summary="Fire an element's running timer now (Cockpit's \"execute job\" on a timer)",
    description=(
        "The token waiting on the timer of `element_id` (a timer catch event, or a timer "
        "boundary event on an active element) moves on as if the time had come; the timer "
        "itself is dropped. 404 `TimerNotFound` when no timer of that element runs, 409 "
        "`InstanceEnded` when the instance has ended; the instance is then unchanged. "
        "`waitingTimers` of the instance lists the candidates."
    ),
    responses=_ERRORS,
)
async def fire_timer(
    instance_id: str,
    element_id: Annotated[str, Path(max_length=255)],
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:modify")],
) -> InstanceDetailOut:
    view = await instances.fire_timer(client, settings, instance_id, element_id)
    return await _detail_of(store, settings, instance_id, view)


async def _set_variables(
    client: Client,
    store: Store,
    settings: Settings,
    principal: Principal,
    instance_id: str,
    values: dict[str, Any],
) -> VariablesOut:
    await instances.exists(client, settings, instance_id)
    current = await _view(client, settings, instance_id)
    instance_access.require_writer(principal, instance_id, current)
    limits.check_instance_total({**current.variables, **values})
    await instances.set_variables(client, settings, instance_id, values, by=principal.subject)
    view = await _view(client, settings, instance_id)
    return VariablesOut(
        process_data=view.variables, business_data=await business_data.get(store, instance_id)
    )


@router.get(
    "/{instance_id}/variables",
    response_model=VariablesOut,
    summary="The instance's process data and business data",
    responses={404: {"description": "No such instance"}},
)
async def get_variables(
    instance_id: str,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
) -> VariablesOut:
    view = await _view(client, settings, instance_id)
    return VariablesOut(
        process_data=view.variables, business_data=await business_data.get(store, instance_id)
    )


@router.put(
    "/{instance_id}/variables/{name}",
    response_model=VariablesOut,
    summary="Set one process variable",
    responses=_WRITE_ERRORS,
)
async def put_variable(
    instance_id: str,
    name: str,
    body: VariableIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> VariablesOut:
    return await _set_variables(client, store, settings, principal, instance_id, {name: body.value})


@router.patch(
    "/{instance_id}/variables",
    response_model=VariablesOut,
    summary="Set several process variables at once",
    responses=_WRITE_ERRORS,
)
async def patch_variables(
    instance_id: str,
    body: VariablesIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> VariablesOut:
    return await _set_variables(client, store, settings, principal, instance_id, body.process_data)


@router.put(
    "/{instance_id}/business-data",
    response_model=VariablesOut,
    summary="Replace the instance's business data (the engine never reads it)",
    responses=_WRITE_ERRORS,
)
async def put_business_data(
    instance_id: str,
    body: BusinessDataIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> VariablesOut:
    view = await _view(client, settings, instance_id)
    instance_access.require_writer(principal, instance_id, view)
    await business_data.put(store, instance_id, body.business_data, by=principal.subject)
    return VariablesOut(process_data=view.variables, business_data=body.business_data)


@router.patch(
    "/{instance_id}/business-data",
    response_model=VariablesOut,
    summary="Change some fields of the business data (null removes a field)",
    responses=_WRITE_ERRORS,
)
async def patch_business_data(
    instance_id: str,
    body: BusinessDataIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> VariablesOut:
    view = await _view(client, settings, instance_id)
    instance_access.require_writer(principal, instance_id, view)
    merged = await business_data.merge(store, instance_id, body.business_data, by=principal.subject)
    return VariablesOut(process_data=view.variables, business_data=merged)


@router.get(
    "/{instance_id}/history",
    response_model=PageOut[HistoryEntryOut],
    summary="The instance's case history, oldest first (also after it has ended)",
    responses={404: {"description": "No such instance"}},
)
async def get_history(
    instance_id: str,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    type_: Annotated[
        str | None, Query(alias="type", description="Only entries of this type.")
    ] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[HistoryEntryOut]:
    view = await _view(client, settings, instance_id)
    entries = [e for e in view.history if type_ is None or e.type == type_]
    chosen = entries[page * size : (page + 1) * size]
    return PageOut[HistoryEntryOut](
        items=[
            HistoryEntryOut(
                timestamp=e.timestamp,
                type=e.type,
                activity_id=e.element_id,
                user_id=e.user_id,
                details=e.details,
            )
            for e in chosen
        ],
        page=page,
        size=size,
        total=len(entries),
    )
