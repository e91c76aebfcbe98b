"""Cross-instance reads served from the read models (task inbox, process list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from store.db import Store
from store.models import IncidentRecord, InstanceRecord, TaskRecord


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything Baton stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TaskFilter:
    assignee: str | None = None
    process_instance_id: str | None = None
    definition_key: str | None = None
    business_key: str | None = None
    state: str | None = None
    unassigned: bool | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def _task_query(f: TaskFilter) -> Select[TaskRecord]:
    query = select(TaskRecord)
    if f.assignee is not None:
        query = query.where(TaskRecord.assignee == f.assignee)
    if f.process_instance_id is not None:
        query = query.where(TaskRecord.process_instance_id == f.process_instance_id)
    if f.definition_key is not None:
        query = query.where(TaskRecord.definition_key == f.definition_key)
    if f.business_key is not None:
        query = query.where(TaskRecord.business_key == f.business_key)
    if f.state is not None:
        query = query.where(TaskRecord.state == f.state)
    else:
        query = query.where(TaskRecord.state.in_(("CREATED", "ASSIGNED")))
    if f.unassigned:
        query = query.where(TaskRecord.assignee.is_(None))
    return query


async def list_tasks(store: Store, f: TaskFilter, *, page: int, size: int) -> Page[TaskRecord]:
    query = _task_query(f)
    async with store.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = await session.scalars(
            query.order_by(TaskRecord.created, TaskRecord.id).offset(page * size).limit(size)
        )
        return Page(items=list(rows), total=total)


async def get_task(store: Store, task_id: str) -> TaskRecord | None:
    async with store.session() as session:
        return await session.get(TaskRecord, task_id)


async def get_instance(store: Store, instance_id: str) -> InstanceRecord | None:
    async with store.session() as session:
        return await session.get(InstanceRecord, instance_id)


def _incident_query(
    instance_id: str | None, definition_key: str | None, resolved: bool | None
) -> Select[IncidentRecord]:
    query = select(IncidentRecord)
    if instance_id is not None:
        query = query.where(IncidentRecord.process_instance_id == instance_id)
    if definition_key is not None:
        query = query.where(IncidentRecord.definition_key == definition_key)
    if resolved is not None:
        query = query.where(IncidentRecord.resolved.is_(resolved))
    return query


async def list_incidents(
    store: Store, *, instance_id: str | None = None, open_only: bool = False
) -> list[IncidentRecord]:
    """Incidents across instances, oldest first (an operator's work list)."""
    query = _incident_query(instance_id, None, False if open_only else None)
    async with store.session() as session:
        return list(
            await session.scalars(query.order_by(IncidentRecord.created, IncidentRecord.id))
        )


async def page_incidents(
    store: Store,
    *,
    instance_id: str | None,
    definition_key: str | None,
    resolved: bool | None,
    page: int,
    size: int,
) -> Page[IncidentRecord]:
    query = _incident_query(instance_id, definition_key, resolved)
    async with store.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = await session.scalars(
            query.order_by(IncidentRecord.created, IncidentRecord.id)
            .offset(page * size)
            .limit(size)
        )
        return Page(items=list(rows), total=total)


async def get_incident(store: Store, incident_id: str) -> IncidentRecord | None:
    async with store.session() as session:
        return await session.get(IncidentRecord, incident_id)
