"""Camunda's ``/engine-rest/incident`` and ``/engine-rest/history/incident``: the
incidents Baton's instances open, in Camunda's IncidentDto and HistoricIncidentDto.

Baton opens an incident where a token cannot go on: an activity out of attempts or an
expression that failed (Camunda's ``failedJob``), or an HTTP worker's last failure
(``failedExternalTask``, whose ``configuration`` is the external task's id, as in
Camunda). The routes read the incident read model; retrying goes through the instance
(``PUT /external-task/{id}/retries``, ``PUT /job/{id}/retries``, or ``/v1/bpms``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CountOut, check_sorting, parse_definition_id
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variables import format_date, parse_date
from operations.errors import NotFound
from store import incidents, queries
from store.db import Store
from store.incidents import IncidentFilter, IncidentHit

router = APIRouter(prefix="/engine-rest/incident", tags=["camunda incidents"])
history_router = APIRouter(prefix="/engine-rest/history/incident", tags=["camunda history"])

READ = "bpms:incident:read"
SortOrder = Literal["asc", "desc"]
Sorting = Literal[
    "incidentId",
    "incidentMessage",
    "incidentTimestamp",
    "incidentType",
    "executionId",
    "activityId",
    "processInstanceId",
    "processDefinitionId",
    "causeIncidentId",
    "rootCauseIncidentId",
    "configuration",
    "tenantId",
]
HistorySorting = Literal[
    "incidentId",
    "incidentMessage",
    "createTime",
    "endTime",
    "incidentType",
    "executionId",
    "activityId",
    "processInstanceId",
    "processDefinitionId",
    "processDefinitionKey",
    "causeIncidentId",
    "rootCauseIncidentId",
    "configuration",
    "tenantId",
]
_INT = 2**31 - 1
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such incident"}}


class IncidentOut(BaseModel):
    """Camunda's IncidentDto."""

    id: str = Field(description="The incident id.")
    processDefinitionId: str | None = Field(description="key:version:<deployment id>.")
    processInstanceId: str = Field(description="The instance that holds it.")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    incidentTimestamp: str = Field(description="When it was opened.")
    incidentType: str = Field(description="failedJob or failedExternalTask.")
    activityId: str = Field(description="The element the token waits at.")
    failedActivityId: str = Field(description="The element that failed (the same).")
    causeIncidentId: str = Field(description="The incident itself (no incident chains).")
    rootCauseIncidentId: str = Field(description="The incident itself.")
    configuration: str | None = Field(
        description="The external task id (failedExternalTask) or the job id (failedJob)."
    )
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")
    incidentMessage: str = Field(description="Why the element failed.")
    jobDefinitionId: str | None = Field(default=None, description="Always null.")
    annotation: str | None = Field(default=None, description="Always null: not kept.")


class HistoricIncidentOut(BaseModel):
    """Camunda's HistoricIncidentDto."""

    id: str = Field(description="The incident id.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionId: str | None = Field(description="key:version:<deployment id>.")
    processInstanceId: str = Field(description="The instance that held it.")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    rootProcessInstanceId: str = Field(description="The instance itself.")
    createTime: str = Field(description="When it was opened.")
    endTime: str | None = Field(description="When it was retried or resolved (null: open).")
    removalTime: str | None = Field(default=None, description="Always null.")
    incidentType: str = Field(description="failedJob or failedExternalTask.")
    activityId: str = Field(description="The element the token waited at.")
    failedActivityId: str = Field(description="The element that failed.")
    causeIncidentId: str = Field(description="The incident itself.")
    rootCauseIncidentId: str = Field(description="The incident itself.")
    configuration: str | None = Field(description="The external task or job id.")
    historyConfiguration: str | None = Field(description="As configuration.")
    incidentMessage: str = Field(description="Why the element failed.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")
    jobDefinitionId: str | None = Field(default=None, description="Always null.")
    open: bool = Field(description="Still open.")
    deleted: bool = Field(description="Closed because its instance ended or was cancelled.")
    resolved: bool = Field(description="Closed by a retry or a resolve.")
    annotation: str | None = Field(default=None, description="Always null: not kept.")


def _when(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_date(text.replace(" ", "+"))  # a "+" in a query string arrives as " "
    except ValueError as err:
        raise ApiProblem(
            f"Cannot set query parameter '{name}' to value '{text}': {err}", status=400
        ) from err


def _split(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(p for p in text.split(",") if p)


def configuration(hit: IncidentHit) -> str:
    """Camunda's ``configuration``: the external task of a failedExternalTask, else the
    incident's own id, which is the id ``/job`` lists the failed activity under."""
    return hit.row.configuration or hit.row.id


def _date(value: datetime) -> str:
    return format_date(queries.as_utc(value) or value)


async def _definition_id(ids: DefinitionIds, hit: IncidentHit) -> str | None:
    if hit.definition_version is None:
        return None
    return await ids.id(hit.row.definition_key, hit.definition_version)


async def incident_out(ids: DefinitionIds, hit: IncidentHit) -> IncidentOut:
    row = hit.row
    return IncidentOut(
        id=row.id,
        processDefinitionId=await _definition_id(ids, hit),
        processInstanceId=row.process_instance_id,
        executionId=row.process_instance_id,
        incidentTimestamp=_date(row.created),
        incidentType=hit.incident_type,
        activityId=row.element_id,
        failedActivityId=row.element_id,
        causeIncidentId=row.id,
        rootCauseIncidentId=row.id,
        configuration=configuration(hit),
        incidentMessage=row.message,
    )


async def _historic_out(ids: DefinitionIds, hit: IncidentHit) -> HistoricIncidentOut:
    row = hit.row
    retried = row.resolved and not row.deleted
    return HistoricIncidentOut(
        id=row.id,
        processDefinitionKey=row.definition_key,
        processDefinitionId=await _definition_id(ids, hit),
        processInstanceId=row.process_instance_id,
        executionId=row.process_instance_id,
        rootProcessInstanceId=row.process_instance_id,
        createTime=_date(row.created),
        endTime=_date(row.ended) if row.ended is not None else None,
        incidentType=hit.incident_type,
        activityId=row.element_id,
        failedActivityId=row.element_id,
        causeIncidentId=row.id,
        rootCauseIncidentId=row.id,
        configuration=configuration(hit),
        historyConfiguration=configuration(hit),
        incidentMessage=row.message,
        open=not row.resolved,
        deleted=bool(row.deleted),
        resolved=retried,
    )


def _definition_version(definition_id: str | None) -> tuple[tuple[str, ...] | None, int | None]:
    """Camunda's ``processDefinitionId`` filter as (keys, version): an id that is not one
    of Baton's matches nothing."""
    if definition_id is None:
        return None, None
    parsed = parse_definition_id(definition_id)
    if parsed is None:
        return (), None
    return (parsed[0],), parsed[1]


class _Filters:
    """The incident query parameters both ``/incident`` and ``/history/incident`` take."""

    def __init__(
        self,
        incident_id: Annotated[str | None, Query(alias="incidentId")] = None,
        incident_type: Annotated[str | None, Query(alias="incidentType")] = None,
        incident_message: Annotated[str | None, Query(alias="incidentMessage")] = None,
        incident_message_like: Annotated[str | None, Query(alias="incidentMessageLike")] = None,
        process_definition_id: Annotated[str | None, Query(alias="processDefinitionId")] = None,
        process_definition_key_in: Annotated[
            str | None, Query(alias="processDefinitionKeyIn")
        ] = None,
        process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
        execution_id: Annotated[str | None, Query(alias="executionId")] = None,
        activity_id: Annotated[str | None, Query(alias="activityId")] = None,
        failed_activity_id: Annotated[str | None, Query(alias="failedActivityId")] = None,
        cause_incident_id: Annotated[str | None, Query(alias="causeIncidentId")] = None,
        root_cause_incident_id: Annotated[str | None, Query(alias="rootCauseIncidentId")] = None,
        configuration: str | None = None,
        tenant_id_in: Annotated[str | None, Query(alias="tenantIdIn")] = None,
        job_definition_id_in: Annotated[str | None, Query(alias="jobDefinitionIdIn")] = None,
    ) -> None:
        ids = [i for i in (incident_id, cause_incident_id, root_cause_incident_id) if i]
        instances = [i for i in (process_instance_id, execution_id) if i]
        elements = [e for e in (activity_id, failed_activity_id) if e]
        keys, version = _definition_version(process_definition_id)
        key_in = _split(process_definition_key_in)
        if key_in is not None:
            keys = tuple(k for k in key_in if keys is None or k in keys)
        nothing = bool(_split(tenant_id_in)) or bool(_split(job_definition_id_in))
        self.filter = IncidentFilter(
            incident_ids=() if nothing or len(set(ids)) > 1 else (tuple(ids[:1]) or None),
            incident_type=incident_type,
            message=incident_message,
            message_like=incident_message_like,
            instance_ids=() if len(set(instances)) > 1 else (tuple(instances[:1]) or None),
            definition_keys=keys,
            definition_version=version,
            element_ids=() if len(set(elements)) > 1 else (tuple(elements[:1]) or None),
        )
        self.configuration = configuration


async def _find(
    store: Store,
    f: IncidentFilter,
    config: str | None,
    sort: list[tuple[str, bool]],
    first: int | None,
    size: int | None,
) -> list[IncidentHit]:
    if config is None:
        return await incidents.find(store, f, sort=sort, offset=first or 0, limit=size)
    # a failedJob's configuration is its own id: match either column
    by_column = await incidents.find(store, _with(f, configuration=config), sort=sort)
    by_id = await incidents.find(store, _with(f, incident_ids=_narrow(f, config)), sort=sort)
    hits = {h.row.id: h for h in by_column} | {
        h.row.id: h for h in by_id if h.row.configuration is None
    }
    ordered = sorted(hits.values(), key=lambda h: (h.row.created, h.row.id))
    start = first or 0
    return ordered[start:] if size is None else ordered[start : start + size]


def _with(f: IncidentFilter, **changes: object) -> IncidentFilter:
    values: dict[str, Any] = {**f.__dict__, **changes}
    return IncidentFilter(**values)


def _narrow(f: IncidentFilter, incident_id: str) -> tuple[str, ...]:
    return (incident_id,) if f.incident_ids is None or incident_id in f.incident_ids else ()


class _Tail:
    def __init__(
        self,
        sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
        first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=_INT)] = None,
        max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=_INT)] = None,
    ) -> None:
        self.sort_order = sort_order
        self.first = first_result
        self.size = max_results


@router.get("", response_model=list[IncidentOut], summary="Camunda: query open incidents")
async def list_incidents(
    store: StoreDep,
    _: Annotated[Principal, Requires(READ)],
    filters: Annotated[_Filters, Depends()],
    tail: Annotated[_Tail, Depends()],
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
) -> list[IncidentOut]:
    check_sorting(sort_by, tail.sort_order)
    sort: list[tuple[str, bool]] = [(sort_by, tail.sort_order == "desc")] if sort_by else []
    f = _with(filters.filter, resolved=False)
    hits = await _find(store, f, filters.configuration, sort, tail.first, tail.size)
    ids = DefinitionIds(store)
    return [await incident_out(ids, h) for h in hits]


@router.get("/count", response_model=CountOut, summary="Camunda: count open incidents")
async def count_incidents(
    store: StoreDep,
    _: Annotated[Principal, Requires(READ)],
    filters: Annotated[_Filters, Depends()],
) -> CountOut:
    f = _with(filters.filter, resolved=False)
    if filters.configuration is None:
        return CountOut(count=await incidents.total(store, f))
    return CountOut(count=len(await _find(store, f, filters.configuration, [], None, None)))


async def _one(store: Store, incident_id: str) -> IncidentHit:
    found = await incidents.find(store, IncidentFilter(incident_ids=(incident_id,)))
    if not found:
        raise NotFound(f"No incident found with id '{incident_id}'")
    return found[0]


@router.get(
    "/{incident_id}",
    response_model=IncidentOut,
    summary="Camunda: get an incident",
    responses=_NOT_FOUND,
)
async def get_incident(
    incident_id: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> IncidentOut:
    hit = await _one(store, incident_id)
    if hit.row.resolved:
        raise NotFound(f"No incident found with id '{incident_id}'")
    return await incident_out(DefinitionIds(store), hit)


@router.delete(
    "/{incident_id}",
    status_code=204,
    response_class=Response,
    summary="Camunda: resolve a custom incident (refused for failedJob / failedExternalTask)",
    description=(
        "Camunda resolves only custom incidents this way and answers 400 for `failedJob` "
        "and `failedExternalTask`, which are resolved by setting retries. Every incident "
        "Baton opens is of those two types: retry with `PUT /job/{id}/retries` or "
        "`PUT /external-task/{id}/retries`."
    ),
    responses=_NOT_FOUND | {400: {"description": "The incident is of a type set by retries"}},
)
async def resolve_incident(
    incident_id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:incident:retry")]
) -> Response:
    hit = await _one(store, incident_id)
    if hit.row.resolved:
        raise NotFound(f"No incident found with id '{incident_id}'")
    raise ApiProblem(
        f"Cannot resolve an incident of type {hit.incident_type}: set the retries of its "
        f"{'external task' if hit.row.configuration else 'job'} instead",
        status=400,
    )


@history_router.get(
    "",
    response_model=list[HistoricIncidentOut],
    summary="Camunda: query historic incidents (open and closed)",
)
async def list_historic_incidents(
    store: StoreDep,
    _: Annotated[Principal, Requires(READ)],
    filters: Annotated[_Filters, Depends()],
    tail: Annotated[_Tail, Depends()],
    sort_by: Annotated[HistorySorting | None, Query(alias="sortBy")] = None,
    open_: Annotated[bool | None, Query(alias="open")] = None,
    resolved: bool | None = None,
    deleted: bool | None = None,
    create_time_before: Annotated[str | None, Query(alias="createTimeBefore")] = None,
    create_time_after: Annotated[str | None, Query(alias="createTimeAfter")] = None,
) -> list[HistoricIncidentOut]:
    check_sorting(sort_by, tail.sort_order)
    sort: list[tuple[str, bool]] = [(sort_by, tail.sort_order == "desc")] if sort_by else []
    f = _historic_filter(filters, open_, resolved, deleted, create_time_before, create_time_after)
    if f is None:
        return []
    hits = await _find(store, f, filters.configuration, sort, tail.first, tail.size)
    ids = DefinitionIds(store)
    return [await _historic_out(ids, h) for h in hits if _state_matches(h, resolved, deleted)]


@history_router.get("/count", response_model=CountOut, summary="Camunda: count historic incidents")
async def count_historic_incidents(
    store: StoreDep,
    _: Annotated[Principal, Requires(READ)],
    filters: Annotated[_Filters, Depends()],
    open_: Annotated[bool | None, Query(alias="open")] = None,
    resolved: bool | None = None,
    deleted: bool | None = None,
    create_time_before: Annotated[str | None, Query(alias="createTimeBefore")] = None,
    create_time_after: Annotated[str | None, Query(alias="createTimeAfter")] = None,
) -> CountOut:
    f = _historic_filter(filters, open_, resolved, deleted, create_time_before, create_time_after)
    if f is None:
        return CountOut(count=0)
    hits = await _find(store, f, filters.configuration, [], None, None)
    return CountOut(count=sum(1 for h in hits if _state_matches(h, resolved, deleted)))


def _historic_filter(
    filters: _Filters,
    open_: bool | None,
    resolved: bool | None,
    deleted: bool | None,
    before: str | None,
    after: str | None,
) -> IncidentFilter | None:
    """The filter of a historic query; None when the flags contradict each other."""
    closed = None if open_ is None else not open_
    for flag in (resolved, deleted):
        if flag:
            if closed is False:
                return None
            closed = True
    return _with(
        filters.filter,
        resolved=closed,
        created_before=_when("createTimeBefore", before),
        created_after=_when("createTimeAfter", after),
    )


def _state_matches(hit: IncidentHit, resolved: bool | None, deleted: bool | None) -> bool:
    """Camunda's ``resolved`` (retried or resolved by an operator) and ``deleted`` (closed
    with its instance) flags of a closed incident."""
    gone = bool(hit.row.deleted)
    retried = hit.row.resolved and not gone
    return (resolved is None or resolved == retried) and (deleted is None or deleted == gone)
