"""Camunda's ``/engine-rest/process-instance``: the runtime instance query, one instance,
deleting (cancelling) it, its variables, and its activity-instance tree.

The query is the instance read model (running instances only, as Camunda's runtime
query answers; ended ones are under ``/history/process-instance``); one instance, its
variables and its active elements are the instance's own state query; deleting is
``operations.instances.cancel`` and a variable write (set or remove)
``operations.instances.set_variables`` with the same writer check and size bound as
``/v1/bpms`` (``variable_writes``) -- one engine path for every family.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.routes.camunda import variable_writes
from api.routes.camunda.shapes import CamundaIn, CountOut, LinkOut, check_sorting, link
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variable_writes import PatchVariablesIn
from api.routes.camunda.variables import encode, to_typed
from core.settings import Settings
from operations import instances
from operations.errors import Conflict
from store import queries
from store.db import Store
from store.models import InstanceRecord

router = APIRouter(prefix="/engine-rest/process-instance", tags=["camunda process instance"])

Sorting = Literal["instanceId", "definitionKey", "businessKey"]
SortOrder = Literal["asc", "desc"]
_SORTS = {"instanceId": "id", "definitionKey": "processDefinitionKey", "businessKey": "businessKey"}
_RUNNING = (c.InstanceState.ACTIVE.value, c.InstanceState.INCIDENT.value)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such instance"}}
_TYPED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    200: {
        "description": "name -> {value, type, valueInfo}",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}
_WRITE: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    204: {"description": "Done"},
    400: {"description": "A variable Baton cannot read, named"},
    403: {"description": "The caller may not work on this instance"},
    409: {"description": "The instance has ended"},
    413: {"description": "Over the instance's size bound"},
}


class ProcessInstanceOut(BaseModel):
    """Camunda's ProcessInstanceDto."""

    links: list[LinkOut] = Field(description="Links to this instance.")
    id: str = Field(description="The instance id.")
    definitionId: str | None = Field(default=None, description="key:version:<deployment id>.")
    definitionKey: str = Field(description="The BPMN process id.")
    businessKey: str | None = Field(default=None, description="The business key.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    ended: bool = Field(description="Whether it has ended.")
    suspended: bool = Field(default=False, description="Always false.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")


def _missing(instance_id: str) -> JSONResponse:
    """Camunda's answer for an unknown (or, at runtime, ended) instance."""
    return JSONResponse(
        {
            "type": "InvalidRequestException",
            "message": f"Process instance with id {instance_id} does not exist",
        },
        status_code=404,
    )


async def _out(request: Request, ids: DefinitionIds, row: InstanceRecord) -> ProcessInstanceOut:
    return ProcessInstanceOut(
        links=[link(request, f"/engine-rest/process-instance/{row.id}")],
        id=row.id,
        definitionId=await ids.id(row.definition_key, row.definition_version),
        definitionKey=row.definition_key,
        businessKey=row.business_key,
        ended=row.state not in _RUNNING,
    )


async def _query(
    store: Store,
    *,
    ids: str | None,
    business_key: str | None,
    definition_key: str | None,
    with_incident: bool | None,
    suspended: bool | None,
    sort: list[queries.Sort],
    first: int | None,
    size: int | None,
) -> queries.Page[InstanceRecord]:
    states: tuple[str, ...] = _RUNNING
    if with_incident:
        states = (c.InstanceState.INCIDENT.value,)
    if suspended:  # Baton does not suspend instances
        states = ()
    return await queries.instance_window(
        store,
        queries.InstanceFilter(definition_key=definition_key, business_key=business_key),
        ids=None if ids is None else tuple(i for i in ids.split(",") if i),
        states=states,
        first=first or 0,
        limit=size,
        sort=sort,
    )


@router.get(
    "",
    response_model=list[ProcessInstanceOut],
    summary="Camunda: query running process instances",
)
async def list_instances(
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    ids: Annotated[str | None, Query(alias="processInstanceIds")] = None,
    business_key: Annotated[str | None, Query(alias="businessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    with_incident: Annotated[bool | None, Query(alias="withIncident")] = None,
    _active: Annotated[bool | None, Query(alias="active")] = None,
    suspended: bool | None = None,
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[ProcessInstanceOut]:
    check_sorting(sort_by, sort_order)
    sort = [queries.Sort(_SORTS[sort_by], sort_order == "desc")] if sort_by else []
    found = await _query(
        store,
        ids=ids,
        business_key=business_key,
        definition_key=definition_key,
        with_incident=with_incident,
        suspended=suspended,
        sort=sort,
        first=first_result,
        size=max_results,
    )
    definitions = DefinitionIds(store)
    return [await _out(request, definitions, row) for row in found.items]


@router.get("/count", response_model=CountOut, summary="Camunda: count running process instances")
async def count_instances(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    ids: Annotated[str | None, Query(alias="processInstanceIds")] = None,
    business_key: Annotated[str | None, Query(alias="businessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    with_incident: Annotated[bool | None, Query(alias="withIncident")] = None,
    _active: Annotated[bool | None, Query(alias="active")] = None,
    suspended: bool | None = None,
) -> CountOut:
    found = await _query(
        store,
        ids=ids,
        business_key=business_key,
        definition_key=definition_key,
        with_incident=with_incident,
        suspended=suspended,
        sort=[],
        first=0,
        size=0,
    )
    return CountOut(count=found.total)


class SortingIn(CamundaIn):
    sortBy: Sorting = Field(description="What to sort by.")
    sortOrder: SortOrder = Field(default="asc", description="asc or desc.")


class InstanceQueryIn(CamundaIn):
    """Camunda's ProcessInstanceQueryDto: the filters of ``GET /process-instance`` as a
    body (``processInstanceIds`` a list, ``sorting`` a list)."""

    processInstanceIds: list[str] | None = Field(default=None, description="Only these.")
    businessKey: str | None = Field(default=None, description="This business key.")
    processDefinitionKey: str | None = Field(default=None, description="This process key.")
    withIncident: bool | None = Field(default=None, description="Only with an open incident.")
    active: bool | None = Field(default=None, description="Accepted: every instance is active.")
    suspended: bool | None = Field(default=None, description="true matches nothing.")
    sorting: list[SortingIn] | None = Field(default=None, description="Sort criteria, in order.")


async def _query_by_body(
    store: Store, body: InstanceQueryIn | None, first: int | None, size: int | None
) -> queries.Page[InstanceRecord]:
    q = body or InstanceQueryIn()
    return await _query(
        store,
        ids=None if q.processInstanceIds is None else ",".join(q.processInstanceIds),
        business_key=q.businessKey,
        definition_key=q.processDefinitionKey,
        with_incident=q.withIncident,
        suspended=q.suspended,
        sort=[queries.Sort(_SORTS[s.sortBy], s.sortOrder == "desc") for s in q.sorting or []],
        first=first,
        size=size,
    )


@router.post(
    "",
    response_model=list[ProcessInstanceOut],
    summary="Camunda: query running process instances (filters as a body)",
)
async def query_instances(
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: Annotated[InstanceQueryIn | None, Body()] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
) -> list[ProcessInstanceOut]:
    found = await _query_by_body(store, body, first_result, max_results)
    definitions = DefinitionIds(store)
    return [await _out(request, definitions, row) for row in found.items]


@router.post(
    "/count",
    response_model=CountOut,
    summary="Camunda: count running process instances (filters as a body)",
)
async def count_instances_by_body(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: Annotated[InstanceQueryIn | None, Body()] = None,
) -> CountOut:
    return CountOut(count=(await _query_by_body(store, body, 0, 0)).total)


@router.get(
    "/{id}",
    response_model=ProcessInstanceOut,
    summary="Camunda: one running process instance",
    responses=_NOT_FOUND,
)
async def get_instance(
    id: str,
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
) -> ProcessInstanceOut | JSONResponse:
    row = await queries.get_instance(store, id)
    if row is None or row.state not in _RUNNING:
        return _missing(id)
    return await _out(request, DefinitionIds(store), row)


class SuspensionIn(CamundaIn):
    """Camunda's SuspensionStateDto."""

    suspended: bool = Field(description="true suspends (refused), false activates (no-op).")


@router.put(
    "/{id}/suspended",
    status_code=204,
    response_class=Response,
    summary="Camunda: activate (a no-op) or suspend (refused) a running process instance",
    description=(
        "Baton never suspends an instance: a Temporal workflow cannot be held between "
        "steps from outside, and a held instance would still fire its timers. "
        "`suspended: false` answers 204 for a running instance; `true` is 409."
    ),
    responses={**_NOT_FOUND, 409: {"description": "Baton never suspends"}},
)
async def suspend_instance(
    id: str,
    body: SuspensionIn,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:modify")],
) -> Response:
    view = await _view(client, settings, id)
    if view is None or view.state.value not in _RUNNING:
        return _missing(id)
    if body.suspended:
        raise Conflict(f"Cannot suspend process instance {id}: Baton never suspends instances")
    return Response(status_code=204)


@router.delete(
    "/{id}",
    status_code=204,
    summary="Camunda: delete (cancel) a running process instance",
    responses={**_NOT_FOUND, 204: {"description": "Cancelled"}, 409: {"description": "Ended"}},
)
async def delete_instance(
    id: str,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:modify")],
    _skip_custom_listeners: Annotated[bool, Query(alias="skipCustomListeners")] = False,
    _skip_io_mappings: Annotated[bool, Query(alias="skipIoMappings")] = False,
    _skip_subprocesses: Annotated[bool, Query(alias="skipSubprocesses")] = False,
    fail_if_not_exists: Annotated[bool, Query(alias="failIfNotExists")] = True,
) -> Response:
    # Camunda's runtime knows no ended instance: deleting one is deleting nothing (404,
    # or 204 with failIfNotExists=false); a repeated cancel would also be answered by
    # Temporal with the first one's outcome, as the same command
    view = await _view(client, settings, id)
    if view is None or view.state.value not in _RUNNING:
        return _missing(id) if fail_if_not_exists else Response(status_code=204)
    await instances.cancel(client, settings, id, reason="deleted", by=principal.subject)
    return Response(status_code=204)


async def _view(client: Client, settings: Settings, instance_id: str) -> c.ProcessStateView | None:
    return await variable_writes.instance_view(client, settings, instance_id)


@router.get(
    "/{id}/variables",
    summary="Camunda: the instance's variables, typed",
    responses=_TYPED,
)
async def get_variables(
    id: str,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    view = await _view(client, settings, id)
    if view is None:
        return _missing(id)
    return JSONResponse(to_typed(view.variables))


@router.get(
    "/{id}/variables/{name}",
    summary="Camunda: one variable of the instance, typed",
    responses=_TYPED,
)
async def get_variable(
    id: str,
    name: str,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValue")] = True,
) -> JSONResponse:
    view = await _view(client, settings, id)
    if view is None:
        return _missing(id)
    if name not in view.variables:
        return JSONResponse(
            {
                "type": "InvalidRequestException",
                "message": f"process instance variable with name {name} does not exist",
            },
            status_code=404,
        )
    return JSONResponse(encode(view.variables[name]))


@router.post(
    "/{id}/variables",
    status_code=204,
    summary="Camunda: set (modifications) and remove (deletions) variables of the instance",
    responses=_WRITE,
)
async def modify_variables(
    id: str,
    body: PatchVariablesIn,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> Response:
    values = variable_writes.decoded(
        f"Cannot modify variables for process instance {id}", body.modifications
    )
    return await _write(client, settings, principal, id, values, body.deletions or [])


@router.put(
    "/{id}/variables/{name}",
    status_code=204,
    summary="Camunda: set one variable of the instance",
    responses=_WRITE,
)
async def put_variable(
    id: str,
    name: str,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    value = variable_writes.decoded_one(f"Cannot put process instance variable {name}", name, body)
    return await _write(client, settings, principal, id, {name: value}, [])


@router.delete(
    "/{id}/variables/{name}",
    status_code=204,
    summary="Camunda: remove one variable of the instance (an unknown name is no error)",
    responses=_WRITE,
)
async def delete_variable(
    id: str,
    name: str,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> Response:
    return await _write(client, settings, principal, id, {}, [name])


async def _write(
    client: Client,
    settings: Settings,
    principal: Principal,
    instance_id: str,
    values: dict[str, Any],
    deletions: list[str],
) -> Response:
    """The /v1/bpms variable write (``variable_writes``): 204, or 404 for an unknown id."""
    if not await variable_writes.write(client, settings, principal, instance_id, values, deletions):
        return _missing(instance_id)
    return Response(status_code=204)


class ActivityInstanceOut(BaseModel):
    """Camunda's ActivityInstanceDto (the instance is the root; its active elements are
    its children: Baton's state answers no deeper scope tree)."""

    id: str = Field(description="The instance id for the root; else <instance>:<token>.")
    parentActivityInstanceId: str | None = Field(default=None, description="The root's id.")
    activityId: str = Field(description="The element id (the process key for the root).")
    activityType: str = Field(description="processDefinition for the root, else the kind.")
    processInstanceId: str = Field(description="The instance.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    childActivityInstances: list[ActivityInstanceOut] = Field(
        default_factory=list, description="The active elements."
    )
    childTransitionInstances: list[dict[str, Any]] = Field(
        default_factory=list, description="Always empty."
    )
    executionIds: list[str] = Field(description="The instance id (no executions).")
    activityName: str | None = Field(default=None, description="The element's name.")
    name: str | None = Field(default=None, description="The element's name.")
    incidentIds: list[str] = Field(default_factory=list, description="Open incidents at it.")


@router.get(
    "/{id}/activity-instances",
    response_model=ActivityInstanceOut,
    summary="Camunda: the tree of the instance's active elements",
    responses=_NOT_FOUND,
)
async def activity_instances(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
) -> ActivityInstanceOut | JSONResponse:
    view = await _view(client, settings, id)
    if view is None or view.state.value not in _RUNNING:
        return _missing(id)
    definition = await DefinitionIds(store).id(view.definition.key, view.definition.version)
    open_incidents: dict[str, list[str]] = {}
    for incident in view.incidents:
        if not incident.resolved:
            open_incidents.setdefault(incident.element_id, []).append(incident.id)
    children = [
        ActivityInstanceOut(
            id=f"{id}:{a.token_id}",
            parentActivityInstanceId=id,
            activityId=a.element_id,
            activityType=a.type,
            processInstanceId=id,
            processDefinitionId=definition,
            executionIds=[id],
            activityName=a.name,
            name=a.name,
            incidentIds=open_incidents.get(a.element_id, []),
        )
        for a in view.active
    ]
    return ActivityInstanceOut(
        id=id,
        activityId=view.definition.key,
        activityType="processDefinition",
        processInstanceId=id,
        processDefinitionId=definition,
        childActivityInstances=children,
        executionIds=[id],
    )
