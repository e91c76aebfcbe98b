"""Cross-instance reads served from the read models (task inbox, process list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Store
from store.models import (
    OPEN_TASK_STATES,
    IncidentRecord,
    InstanceRecord,
    TaskCandidate,
    TaskRecord,
)

#: Task states a default inbox lists: the open ones.


def utc(value: datetime) -> datetime:
    """A filter value in UTC: SQLite compares stored UTC times as text and drops an
    offset when binding, so ``10:00+02:00`` must become ``08:00+00:00`` first."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything Baton stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TaskFilter:
    """What an inbox query selects. Candidate filters follow Camunda: they match tasks
    nobody has claimed yet unless ``include_assigned`` is set."""

    assignee: str | None = None
    process_instance_id: str | None = None
    definition_key: str | None = None
    business_key: str | None = None
    state: str | None = None
    unassigned: bool | None = None
    candidate_user: str | None = None
    candidate_groups: tuple[str, ...] = ()
    include_assigned: bool = False
    due_before: datetime | None = None
    due_after: datetime | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    #: every state, ended tasks too (Camunda's task history), when ``state`` is None
    any_state: bool = False


@dataclass(frozen=True)
class Sort:
    """A sort column (by its wire name) and direction; ties break by id."""

    by: str
    descending: bool = False


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


TASK_SORTS = {
    "created": TaskRecord.created,
    "due": TaskRecord.due,
    "priority": TaskRecord.priority,
    "name": TaskRecord.name,
}


def _candidate(kind: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    # an IN over the candidate index, not a correlated EXISTS: the planners then start
    # from the few tasks offered to the group instead of probing every open task
    offered = select(TaskCandidate.task_id).where(
        TaskCandidate.kind == kind, TaskCandidate.value.in_(values)
    )
    return TaskRecord.id.in_(offered)


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
    elif not f.any_state:
        query = query.where(TaskRecord.state.in_(OPEN_TASK_STATES))
    if f.unassigned:
        query = query.where(TaskRecord.assignee.is_(None))
    if f.candidate_user is not None or f.candidate_groups:
        matches = []
        if f.candidate_user is not None:
            matches.append(_candidate("user", (f.candidate_user,)))
        if f.candidate_groups:
            matches.append(_candidate("group", f.candidate_groups))
        query = query.where(matches[0] if len(matches) == 1 else matches[0] | matches[1])
        if not f.include_assigned:
            query = query.where(TaskRecord.assignee.is_(None))
    if f.due_before is not None:
        query = query.where(TaskRecord.due < utc(f.due_before))
    if f.due_after is not None:
        query = query.where(TaskRecord.due > utc(f.due_after))
    if f.created_before is not None:
        query = query.where(TaskRecord.created < utc(f.created_before))
    if f.created_after is not None:
        query = query.where(TaskRecord.created > utc(f.created_after))
    return query


async def count(session: AsyncSession, query: Select[Any]) -> int:
    """How many rows ``query`` selects (the total of a paged list).

    The count replaces the selected columns rather than wrapping the query: a subquery
    of whole rows makes SQLite read every row, while ``count(*)`` with the same filters
    is answered from an index (all 100,000 open tasks: 80 ms → a fraction). A grouped
    query (or one with DISTINCT, HAVING, LIMIT or OFFSET) is wrapped, since its rows are
    what is counted."""
    shaped = (
        query._group_by_clauses
        or query._distinct
        or query._having_criteria
        or query._limit_clause is not None
        or query._offset_clause is not None
    )
    if shaped:
        return await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    counted = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return await session.scalar(counted) or 0


async def paged(
    store: Store, query: Select[T], order: list[Any], *, page: int, size: int
) -> Page[T]:
    """One page plus the total, the same way for every list."""
    async with store.session() as session:
        total = await count(session, query)
        rows = await session.scalars(query.order_by(*order).offset(page * size).limit(size))
        return Page(items=list(rows), total=total)


def _order(column: Any, key: Any, sort: Sort) -> list[Any]:
    # NULLS LAST only where NULLs can occur: spelled out, it keeps SQLite from reading
    # the order off an index and makes it sort every matching row instead
    nullable = getattr(getattr(column, "expression", column), "nullable", True)
    if sort.descending:
        first = column.desc().nulls_last() if nullable else column.desc()
        return [first, key.desc()]
    return [column.asc().nulls_last() if nullable else column.asc(), key.asc()]


async def list_tasks(
    store: Store, f: TaskFilter, *, page: int, size: int, sort: Sort | None = None
) -> Page[TaskRecord]:
    sort = sort or Sort("created")
    if _claimable_inbox(f) and sort.by == "created":
        return await _claimable_page(store, f, page=page, size=size, sort=sort)
    order = _order(TASK_SORTS[sort.by], TaskRecord.id, sort)
    return await paged(store, _task_query(f), order, page=page, size=size)


def _claimable_inbox(f: TaskFilter) -> bool:
    """The group (or candidate-user) inbox and nothing else: open tasks nobody has
    claimed, offered to these candidates. Answered from the candidate index alone."""
    only_candidates = TaskFilter(
        candidate_user=f.candidate_user, candidate_groups=f.candidate_groups
    )
    return bool(f.candidate_user is not None or f.candidate_groups) and f == only_candidates


async def _claimable_page(
    store: Store, f: TaskFilter, *, page: int, size: int, sort: Sort
) -> Page[TaskRecord]:
    """The page and total of a claimable inbox from ``ix_candidate_inbox``: a task offered
    to two of the groups asked for counts once and sorts by its creation time."""
    offered = []
    if f.candidate_user is not None:
        offered.append((TaskCandidate.kind == "user") & (TaskCandidate.value == f.candidate_user))
    if f.candidate_groups:
        offered.append(
            (TaskCandidate.kind == "group") & TaskCandidate.value.in_(f.candidate_groups)
        )
    match = (offered[0] if len(offered) == 1 else offered[0] | offered[1]) & (
        TaskCandidate.claimable == True  # noqa: E712 - "IS 1" would not use the index
    )
    ids = select(TaskCandidate.task_id).where(match)
    created: Any = TaskCandidate.created  # never NULL here: no NULLS LAST, so the index
    if len(f.candidate_groups) + (f.candidate_user is not None) > 1:
        ids = ids.group_by(TaskCandidate.task_id)  # a task offered to two counts once
        created = func.min(TaskCandidate.created)
    key = TaskCandidate.task_id
    order: list[Any] = (
        [created.desc(), key.desc()] if sort.descending else [created.asc(), key.asc()]
    )
    ordered = ids.order_by(*order)
    async with store.session() as session:
        total = await count(session, ids)
        chosen = list(await session.scalars(ordered.offset(page * size).limit(size)))
        # the task row has the last word: one claimed or completed since the candidate
        # rows were read (or projected by an older worker) drops out of the page
        rows = await session.scalars(
            select(TaskRecord).where(
                TaskRecord.id.in_(chosen),
                TaskRecord.state.in_(OPEN_TASK_STATES),
                TaskRecord.assignee.is_(None),
            )
        )
        by_id = {row.id: row for row in rows}
    return Page(items=[by_id[i] for i in chosen if i in by_id], total=total)


@dataclass(frozen=True)
class InstanceFilter:
    definition_key: str | None = None
    version: int | None = None
    business_key: str | None = None
    state: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    has_incident: bool | None = None


INSTANCE_SORTS = {
    "startTime": InstanceRecord.start_time,
    "endTime": InstanceRecord.end_time,
    "businessKey": InstanceRecord.business_key,
    "processDefinitionKey": InstanceRecord.definition_key,
}


async def list_instances(
    store: Store, f: InstanceFilter, *, page: int, size: int, sort: Sort | None = None
) -> Page[InstanceRecord]:
    query = select(InstanceRecord)
    if f.definition_key is not None:
        query = query.where(InstanceRecord.definition_key == f.definition_key)
    if f.version is not None:
        query = query.where(InstanceRecord.definition_version == f.version)
    if f.business_key is not None:
        query = query.where(InstanceRecord.business_key == f.business_key)
    if f.state is not None:
        query = query.where(InstanceRecord.state == f.state)
    if f.started_after is not None:
        query = query.where(InstanceRecord.start_time >= utc(f.started_after))
    if f.started_before is not None:
        query = query.where(InstanceRecord.start_time < utc(f.started_before))
    if f.has_incident is not None:
        open_incident = exists().where(
            IncidentRecord.process_instance_id == InstanceRecord.id,
            IncidentRecord.resolved.is_(False),
        )
        query = query.where(open_incident if f.has_incident else ~open_incident)
    sort = sort or Sort("startTime", descending=True)
    order = _order(INSTANCE_SORTS[sort.by], InstanceRecord.id, sort)
    return await paged(store, query, order, page=page, size=size)


async def running_instances(store: Store, business_key: str) -> list[InstanceRecord]:
    """Instances with this business key that have not ended, oldest first."""
    query = (
        select(InstanceRecord)
        .where(InstanceRecord.business_key == business_key)
        .where(InstanceRecord.state.in_(("ACTIVE", "INCIDENT")))
        .order_by(InstanceRecord.start_time, InstanceRecord.id)
    )
    async with store.session() as session:
        return list(await session.scalars(query))


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
    order = [IncidentRecord.created, IncidentRecord.id]
    return await paged(store, query, order, page=page, size=size)


async def get_incident(store: Store, incident_id: str) -> IncidentRecord | None:
    async with store.session() as session:
        return await session.get(IncidentRecord, incident_id)


@dataclass(frozen=True)
class TaskWindow:
    """Camunda's task query (``/engine-rest/task``) beyond the inbox filter: by id, name,
    element, several instances, and ``involvedUser`` (assignee, owner or candidate user).
    Paged by offset (``firstResult``), as Camunda pages, not by page number."""

    base: TaskFilter
    task_ids: tuple[str, ...] | None = None
    instance_ids: tuple[str, ...] | None = None
    definition_keys: tuple[str, ...] | None = None
    element_id: str | None = None
    name: str | None = None
    name_like: str | None = None
    owner: str | None = None
    involved_user: str | None = None
    delegation_state: str | None = None
    assigned: bool | None = None
    #: open and not suspended (Camunda's ``active``)
    active_only: bool = False
    #: only ended tasks (completed or cancelled) / only open ones, of ``base.any_state``
    ended_only: bool = False
    open_only: bool = False


def _window_query(w: TaskWindow) -> Select[TaskRecord]:
    query = _task_query(w.base)
    if w.task_ids is not None:
        query = query.where(TaskRecord.id.in_(w.task_ids))
    if w.instance_ids is not None:
        query = query.where(TaskRecord.process_instance_id.in_(w.instance_ids))
    if w.definition_keys is not None:
        query = query.where(TaskRecord.definition_key.in_(w.definition_keys))
    if w.element_id is not None:
        query = query.where(TaskRecord.element_id == w.element_id)
    if w.name is not None:
        query = query.where(TaskRecord.name == w.name)
    if w.name_like is not None:
        query = query.where(TaskRecord.name.like(w.name_like))
    if w.owner is not None:
        query = query.where(TaskRecord.owner == w.owner)
    if w.delegation_state is not None:
        query = query.where(TaskRecord.delegation_state == w.delegation_state)
    if w.assigned is not None:
        is_null = TaskRecord.assignee.is_(None)
        query = query.where(~is_null if w.assigned else is_null)
    if w.active_only:
        query = query.where(TaskRecord.state.in_(("CREATED", "ASSIGNED")))
    if w.ended_only:
        query = query.where(TaskRecord.state.in_(("COMPLETED", "CANCELED")))
    if w.open_only:
        query = query.where(TaskRecord.state.in_(OPEN_TASK_STATES))
    if w.involved_user is not None:
        user = w.involved_user
        query = query.where(
            (TaskRecord.assignee == user) | (TaskRecord.owner == user) | _candidate("user", (user,))
        )
    return query


async def task_window(
    store: Store, w: TaskWindow, *, first: int, limit: int | None, sort: list[Sort]
) -> list[TaskRecord]:
    """The tasks of a Camunda task query from ``first`` on, at most ``limit``; ``sort``
    names ``TASK_SORTS`` columns (or ``id``, ``assignee``, ``instance``, ``name_ci``: the
    name case-insensitively) in order."""
    columns: dict[str, Any] = {
        **TASK_SORTS,
        "id": TaskRecord.id,
        "assignee": TaskRecord.assignee,
        "instance": TaskRecord.process_instance_id,
        "name_ci": func.lower(TaskRecord.name),
    }
    order: list[Any] = []
    for s in sort or [Sort("created")]:
        column = columns[s.by]
        order.append(column.desc().nulls_last() if s.descending else column.asc().nulls_last())
    order.append(TaskRecord.id)
    query = _window_query(w).order_by(*order).offset(first)
    if limit is not None:
        query = query.limit(limit)
    async with store.session() as session:
        return list(await session.scalars(query))


async def count_task_window(store: Store, w: TaskWindow) -> int:
    async with store.session() as session:
        return await count(session, _window_query(w))


async def instance_versions(store: Store, instance_ids: set[str]) -> dict[str, int]:
    """The definition version each of these instances runs (read model)."""
    if not instance_ids:
        return {}
    query = select(InstanceRecord.id, InstanceRecord.definition_version).where(
        InstanceRecord.id.in_(instance_ids)
    )
    async with store.session() as session:
        return {row[0]: row[1] for row in await session.execute(query)}


async def instance_window(
    store: Store,
    f: InstanceFilter,
    *,
    ids: tuple[str, ...] | None = None,
    states: tuple[str, ...] | None = None,
    first: int,
    limit: int | None,
    sort: list[Sort],
) -> Page[InstanceRecord]:
    """Instances for Camunda's offset-paged queries (``firstResult``/``maxResults``):
    ``f``'s filters, plus some ids and any of some states; ``total`` counts them all."""
    query = select(InstanceRecord)
    if f.definition_key is not None:
        query = query.where(InstanceRecord.definition_key == f.definition_key)
    if f.business_key is not None:
        query = query.where(InstanceRecord.business_key == f.business_key)
    if f.started_after is not None:
        query = query.where(InstanceRecord.start_time >= utc(f.started_after))
    if f.started_before is not None:
        query = query.where(InstanceRecord.start_time < utc(f.started_before))
    if ids is not None:
        query = query.where(InstanceRecord.id.in_(ids))
    if states is not None:
        query = query.where(InstanceRecord.state.in_(states))
    columns = {**INSTANCE_SORTS, "id": InstanceRecord.id}
    order: list[Any] = []
    for s in sort or [Sort("startTime")]:
        column = columns[s.by]
        order.append(column.desc().nulls_last() if s.descending else column.asc().nulls_last())
    order.append(InstanceRecord.id)
    async with store.session() as session:
        total = await count(session, query)
        query = query.order_by(*order).offset(first)
        if limit is not None:
            query = query.limit(limit)
        return Page(items=list(await session.scalars(query)), total=total)
