"""Incident queries as Camunda 7's REST API asks them (``/engine-rest/incident``,
``/job``, ``/history/incident``, definition statistics): by id, type, message,
instance, definition, element, configuration and time, sorted and paged in SQL.

Each row comes with its instance's definition version (the incident row keeps the key
only), so a caller can name the definition as Camunda does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, and_, func, select

from store.db import Store
from store.models import IncidentRecord, InstanceRecord
from store.queries import count

#: the type of incidents whose row was written before the type was kept
DEFAULT_TYPE = "failedJob"

_SORTS: dict[str, Any] = {
    "incidentId": IncidentRecord.id,
    "incidentMessage": IncidentRecord.message,
    "incidentTimestamp": IncidentRecord.created,
    "createTime": IncidentRecord.created,
    "endTime": IncidentRecord.ended,
    "incidentType": func.coalesce(IncidentRecord.incident_type, DEFAULT_TYPE),
    "executionId": IncidentRecord.process_instance_id,
    "processInstanceId": IncidentRecord.process_instance_id,
    "activityId": IncidentRecord.element_id,
    "processDefinitionId": IncidentRecord.definition_key,
    "processDefinitionKey": IncidentRecord.definition_key,
    "causeIncidentId": IncidentRecord.id,
    "rootCauseIncidentId": IncidentRecord.id,
    "configuration": IncidentRecord.configuration,
    "tenantId": IncidentRecord.id,  # no tenants: every row ties
}

SORT_KEYS = tuple(_SORTS)


@dataclass(frozen=True)
class IncidentFilter:
    """Camunda's incident filters; None leaves a filter out."""

    incident_ids: tuple[str, ...] | None = None
    incident_type: str | None = None
    message: str | None = None
    message_like: str | None = None  # SQL LIKE, Camunda's ``%`` wildcards
    instance_ids: tuple[str, ...] | None = None
    definition_keys: tuple[str, ...] | None = None
    definition_version: int | None = None
    element_ids: tuple[str, ...] | None = None
    configuration: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    resolved: bool | None = None
    #: only incidents of instances still running (a runtime query): an ended instance's
    #: incidents are history
    running: bool | None = None


@dataclass(frozen=True)
class IncidentHit:
    row: IncidentRecord
    definition_version: int | None

    @property
    def incident_type(self) -> str:
        return self.row.incident_type or DEFAULT_TYPE


def _query(f: IncidentFilter) -> Select[IncidentRecord, int]:
    query = select(IncidentRecord, InstanceRecord.definition_version).outerjoin(
        InstanceRecord, InstanceRecord.id == IncidentRecord.process_instance_id
    )
    clauses: list[Any] = []
    if f.incident_ids is not None:
        clauses.append(IncidentRecord.id.in_(f.incident_ids))
    if f.incident_type is not None:
        clauses.append(func.coalesce(IncidentRecord.incident_type, DEFAULT_TYPE) == f.incident_type)
    if f.message is not None:
        clauses.append(IncidentRecord.message == f.message)
    if f.message_like is not None:
        clauses.append(IncidentRecord.message.like(f.message_like))
    if f.instance_ids is not None:
        clauses.append(IncidentRecord.process_instance_id.in_(f.instance_ids))
    if f.definition_keys is not None:
        clauses.append(IncidentRecord.definition_key.in_(f.definition_keys))
    if f.definition_version is not None:
        clauses.append(InstanceRecord.definition_version == f.definition_version)
    if f.element_ids is not None:
        clauses.append(IncidentRecord.element_id.in_(f.element_ids))
    if f.configuration is not None:
        clauses.append(IncidentRecord.configuration == f.configuration)
    if f.created_before is not None:
        clauses.append(IncidentRecord.created < f.created_before)
    if f.created_after is not None:
        clauses.append(IncidentRecord.created > f.created_after)
    if f.resolved is not None:
        clauses.append(IncidentRecord.resolved.is_(f.resolved))
    if f.running is not None:
        running = InstanceRecord.state.in_(("ACTIVE", "INCIDENT"))
        clauses.append(running if f.running else ~running)
    return query.where(and_(*clauses)) if clauses else query


async def find(
    store: Store,
    f: IncidentFilter,
    *,
    sort: list[tuple[str, bool]] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[IncidentHit]:
    """Incidents matching ``f``; ``sort`` is (Camunda sort key, descending) pairs,
    oldest first without it."""
    order = [_SORTS[key].desc() if desc else _SORTS[key].asc() for key, desc in (sort or [])] + [
        IncidentRecord.created,
        IncidentRecord.id,
    ]
    query = _query(f).order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    async with store.session() as session:
        rows = (await session.execute(query)).all()
    return [IncidentHit(row=r[0], definition_version=r[1]) for r in rows]


async def total(store: Store, f: IncidentFilter) -> int:
    async with store.session() as session:
        return await count(session, cast("Select[Any]", _query(f)))


async def per_element(store: Store, key: str, version: int | None) -> dict[str, dict[str, int]]:
    """Open incidents of running instances of a definition: element id → type → count
    (what Cockpit draws on a diagram)."""
    kind = func.coalesce(IncidentRecord.incident_type, DEFAULT_TYPE)
    query = (
        select(IncidentRecord.element_id, kind, func.count())
        .join(InstanceRecord, InstanceRecord.id == IncidentRecord.process_instance_id)
        .where(IncidentRecord.definition_key == key, IncidentRecord.resolved.is_(False))
        .group_by(IncidentRecord.element_id, kind)
    )
    if version is not None:
        query = query.where(InstanceRecord.definition_version == version)
    out: dict[str, dict[str, int]] = {}
    async with store.session() as session:
        for element_id, incident_type, n in (await session.execute(query)).all():
            out.setdefault(element_id, {})[incident_type] = n
    return out


async def per_definition(store: Store) -> dict[tuple[str, int], dict[str, int]]:
    """Open incidents per definition version: (key, version) → type → count."""
    kind = func.coalesce(IncidentRecord.incident_type, DEFAULT_TYPE)
    query = (
        select(IncidentRecord.definition_key, InstanceRecord.definition_version, kind, func.count())
        .join(InstanceRecord, InstanceRecord.id == IncidentRecord.process_instance_id)
        .where(IncidentRecord.resolved.is_(False))
        .group_by(IncidentRecord.definition_key, InstanceRecord.definition_version, kind)
    )
    out: dict[tuple[str, int], dict[str, int]] = {}
    async with store.session() as session:
        for key, version, incident_type, n in (await session.execute(query)).all():
            out.setdefault((key, version), {})[incident_type] = n
    return out


async def running_per_definition(store: Store) -> dict[tuple[str, int], int]:
    """Running instances per definition version, from the read model."""
    query = (
        select(InstanceRecord.definition_key, InstanceRecord.definition_version, func.count())
        .where(InstanceRecord.state.in_(("ACTIVE", "INCIDENT")))
        .group_by(InstanceRecord.definition_key, InstanceRecord.definition_version)
    )
    async with store.session() as session:
        return {(k, v): n for k, v, n in (await session.execute(query)).all()}
