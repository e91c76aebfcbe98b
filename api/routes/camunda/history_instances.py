"""Camunda's ``/engine-rest/history/process-instance``: historic process instances, the
``GET`` and ``POST`` (HistoricProcessInstanceQueryDto body, ``sorting`` list) query and
count forms, one instance, and ``DELETE`` (refused).

Historic instances are the instance read model, ended ones included (``history.py``
says what Baton keeps). ``DELETE /history/process-instance/{id}`` is refused with 409:
Baton keeps an ended instance's history in Temporal and its read model, and removes
neither (404 when unknown).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem, Conflict
from api.routes.camunda.history import date_out, millis_between, split_ids
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variables import parse_date
from store import queries
from store.db import Store
from store.models import InstanceRecord

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
        startTime=date_out(row.start_time) or "",
        endTime=date_out(row.end_time),
        durationInMillis=millis_between(row.start_time, row.end_time),
        deleteReason="cancelled" if row.state == c.InstanceState.TERMINATED.value else None,
        state=_STATES.get(row.state, row.state),
    )


class InstanceSortIn(CamundaIn):
    sortBy: InstanceSorting = Field(description="The column to sort by.")
    sortOrder: SortOrder = Field(description="asc or desc.")


class HistoricInstanceQueryIn(CamundaIn):
    """The historic process-instance query's filters (Camunda's names): the GET form's
    parameters, or the POST form's HistoricProcessInstanceQueryDto body."""

    processInstanceId: str | None = Field(default=None, description="One instance.")
    processInstanceIds: list[str] | None = Field(
        default=None, description="Any of these instances."
    )
    processDefinitionKey: str | None = Field(default=None, description="The BPMN process id.")
    processInstanceBusinessKey: str | None = Field(
        default=None, description="The instance's business key."
    )
    startedBefore: str | None = Field(
        default=None, description="Started before this date (Camunda's format)."
    )
    startedAfter: str | None = Field(
        default=None, description="Started after this date (Camunda's format)."
    )
    finished: bool | None = Field(default=None, description="Only ended ones.")
    unfinished: bool | None = Field(default=None, description="Only running ones.")
    active: bool | None = Field(default=None, description="Only running instances.")
    completed: bool | None = Field(default=None, description="Only completed instances.")
    externallyTerminated: bool | None = Field(default=None, description="Only cancelled instances.")
    sorting: list[InstanceSortIn] | None = Field(default=None, description="Sort keys, in order.")

    def sort(self) -> list[queries.Sort]:
        return [
            queries.Sort(_INSTANCE_SORTS[s.sortBy], s.sortOrder == "desc")
            for s in self.sorting or ()
        ]

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
        ids = None if self.processInstanceIds is None else tuple(self.processInstanceIds)
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
    sort_by: Annotated[InstanceSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> HistoricInstanceQueryIn:
    check_sorting(sort_by, sort_order)
    ids = split_ids(instance_ids)
    return HistoricInstanceQueryIn(
        processInstanceId=instance,
        processInstanceIds=None if ids is None else list(ids),
        processDefinitionKey=definition_key,
        processInstanceBusinessKey=business_key,
        startedBefore=started_before,
        startedAfter=started_after,
        finished=finished,
        unfinished=unfinished,
        active=active,
        completed=completed,
        externallyTerminated=externally_terminated,
        sorting=[InstanceSortIn(sortBy=sort_by, sortOrder=sort_order)]
        if sort_by is not None and sort_order is not None
        else None,
    )


HistoricInstanceQueryInDep = Annotated[HistoricInstanceQueryIn, Depends(_instance_query)]
FirstResult = Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)]


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
    store: Store, q: HistoricInstanceQueryIn, *, first: int | None, size: int | None
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
        sort=q.sort(),
    )


@router.get(
    "/process-instance",
    response_model=list[HistoricProcessInstanceOut],
    summary="Camunda: query historic process instances (running and ended)",
)
async def list_instances(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: HistoricInstanceQueryInDep,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricProcessInstanceOut]:
    return await _listed(store, q, first_result, max_results)


@router.post(
    "/process-instance",
    response_model=list[HistoricProcessInstanceOut],
    summary="Camunda: query historic process instances with a HistoricProcessInstanceQueryDto",
)
async def query_instances(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: HistoricInstanceQueryIn,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricProcessInstanceOut]:
    return await _listed(store, body, first_result, max_results)


async def _listed(
    store: Store, q: HistoricInstanceQueryIn, first: int | None, size: int | None
) -> list[HistoricProcessInstanceOut]:
    found = await _instances(store, q, first=first, size=size)
    ids = DefinitionIds(store)
    return [await _instance_out(ids, row) for row in found.items]


@router.get(
    "/process-instance/count",
    response_model=CountOut,
    summary="Camunda: count historic process instances",
)
async def count_instances(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: HistoricInstanceQueryInDep,
) -> CountOut:
    return CountOut(count=(await _instances(store, q, first=0, size=0)).total)


@router.post(
    "/process-instance/count",
    response_model=CountOut,
    summary="Camunda: count historic process instances with a HistoricProcessInstanceQueryDto",
)
async def count_instances_by_body(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: HistoricInstanceQueryIn,
) -> CountOut:
    return CountOut(count=(await _instances(store, body, first=0, size=0)).total)


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


@router.delete(
    "/process-instance/{id}",
    status_code=204,
    summary="Camunda: delete a historic process instance (refused: Baton keeps history)",
    responses={
        404: {"description": "No such instance"},
        409: {"description": "Baton keeps every instance's history"},
    },
)
async def delete_instance(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:process:modify")]
) -> JSONResponse:
    row = await queries.get_instance(store, id)
    if row is None:
        return _missing(id)
    raise Conflict(
        f"Historic process instance {id} is kept: Baton removes no instance history (its "
        "Temporal history and read model stay until retention ends)"
    )


def _missing(id: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": "InvalidRequestException",
            "message": f"Historic process instance with id {id} does not exist",
        },
        status_code=404,
    )
