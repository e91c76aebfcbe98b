"""Incidents: the operator's list (read model), retry and resolve (``operations.incidents``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep
from api.problems import NotFound
from api.schemas import (
    IncidentRowOut,
    PageNumber,
    PageOut,
    PageSize,
    ResolveIncidentIn,
    RetryIncidentIn,
)
from operations import incidents
from store import queries
from store.models import IncidentRecord

router = APIRouter(prefix="/v1/bpms/incidents", tags=["incidents"], dependencies=IDEMPOTENT)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such incident"},
    409: {"description": "The incident is resolved already, or its instance has ended"},
}


def _out(row: IncidentRecord) -> IncidentRowOut:
    return IncidentRowOut(
        id=row.id,
        activity_id=row.element_id,
        process_instance_id=row.process_instance_id,
        process_definition_key=row.definition_key,
        business_key=row.business_key,
        message=row.message,
        attempts=row.attempts,
        created_at=queries.as_utc(row.created) or row.created,
        state="RESOLVED" if row.resolved else "OPEN",
    )


@router.get("", response_model=PageOut[IncidentRowOut], summary="List incidents")
async def list_incidents(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:incident:read")],
    process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
    process_definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    state: Literal["OPEN", "RESOLVED"] | None = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[IncidentRowOut]:
    result = await queries.page_incidents(
        store,
        instance_id=process_instance_id,
        definition_key=process_definition_key,
        resolved=None if state is None else state == "RESOLVED",
        page=page,
        size=size,
    )
    return PageOut[IncidentRowOut](
        items=[_out(r) for r in result.items], page=page, size=size, total=result.total
    )


@router.get(
    "/{incident_id}", response_model=IncidentRowOut, summary="One incident", responses=_ERRORS
)
async def get_incident(
    incident_id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:incident:read")]
) -> IncidentRowOut:
    row = await queries.get_incident(store, incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    return _out(row)


@router.post(
    "/{incident_id}/retry",
    status_code=204,
    summary="Run the failed element again, optionally with new variables and attempts",
    responses=_ERRORS,
)
async def retry_incident(
    incident_id: str,
    body: RetryIncidentIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:incident:retry")],
) -> Response:
    await incidents.retry(
        client,
        store,
        settings,
        incident_id,
        variables=body.process_data,
        attempts=body.attempts,
    )
    return Response(status_code=204)


@router.post(
    "/{incident_id}/resolve",
    status_code=204,
    summary="Mark the element's work as done by hand: the token moves on without it",
    responses=_ERRORS,
)
async def resolve_incident(
    incident_id: str,
    body: ResolveIncidentIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:incident:retry")],
) -> Response:
    await incidents.resolve(client, store, settings, incident_id, variables=body.process_data)
    return Response(status_code=204)
