"""External (HTTP-worker) service tasks: parking, fetch-and-lock, lock leases.

A row is fetchable when ``available_at`` has passed: at creation, after a failure's retry
timeout, or when a lock expires (locking sets ``available_at`` to the lock's expiry). So
"what can I fetch" is one indexed range scan, and a lock that expires needs no sweeper.
Locking is a conditional UPDATE, so two API processes can never hand out the same task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from store.db import Store, StoreError
from store.models import ExternalTaskRecord, InstanceRecord
from store.queries import count


class ExternalTaskNotFound(StoreError):
    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no service task {task_id}")


class LockLost(StoreError):
    """The caller does not hold the task's lock (never did, it expired and another worker
    took it, or the task is waiting out a retry timeout)."""

    def __init__(self, task_id: str, worker_id: str, owner: str | None) -> None:
        self.task_id = task_id
        self.worker_id = worker_id
        self.owner = owner
        held = f"locked by {owner}" if owner else "not locked"
        super().__init__(f"service task {task_id} is {held}, not by {worker_id}")


class NoRetriesLeft(StoreError):
    """The task failed for good (retries 0): an incident holds it until it is retried."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"service task {task_id} has no retries left: it is an incident")


#: ``available_at`` of a task that failed for good: never fetchable (an incident retry
#: parks a new task); far in the future rather than null, so the fetch index stays simple
FAILED_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Parked:
    """What the parking activity knows about the task it hands to HTTP workers."""

    topic: str
    task_token: str
    workflow_id: str
    activity_id: str
    attempt: int
    element_id: str
    business_key: str | None
    variables: dict[str, Any]
    headers: dict[str, Any]
    retries: int
    definition_key: str | None = None


#: a task's priority, 0 when none was set
task_priority = func.coalesce(ExternalTaskRecord.priority, 0)


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def park(store: Store, task: Parked, task_id: str) -> str:
    """Record the task (idempotent per activity attempt: a retried parking activity finds
    the row it wrote) and answer its id."""
    async with store.session() as session, session.begin():
        # sent by the workflow; histories recorded before it was fall back to the read model
        definition_key = task.definition_key or await session.scalar(
            select(InstanceRecord.definition_key).where(InstanceRecord.id == task.workflow_id)
        )
        insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
        table = ExternalTaskRecord.__table__
        assert isinstance(table, Table)
        now = _now()
        stmt = insert(table).values(
            id=task_id,
            topic=task.topic,
            task_token=task.task_token,
            workflow_id=task.workflow_id,
            activity_id=task.activity_id,
            attempt=task.attempt,
            process_instance_id=task.workflow_id,
            definition_key=definition_key,
            business_key=task.business_key,
            element_id=task.element_id,
            variables=task.variables,
            headers=task.headers,
            retries=task.retries,
            available_at=now,
            created=now,
        )
        # the same key again: a retried parking attempt, or a new run (continue-as-new)
        # whose activity ids start over; either way the newest parking wins in full
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.workflow_id, table.c.activity_id, table.c.attempt],
            set_={
                name: stmt.excluded[name]
                for name in (
                    "task_token",
                    "topic",
                    "element_id",
                    "business_key",
                    "definition_key",
                    "variables",
                    "headers",
                    "retries",
                    "available_at",
                    "created",
                )
            }
            | {"lock_owner": None, "lock_expiration": None, "error_message": None},
        )
        await session.execute(stmt)
        # an earlier attempt of the same activity timed out: its task is stale
        await session.execute(
            delete(ExternalTaskRecord).where(
                ExternalTaskRecord.workflow_id == task.workflow_id,
                ExternalTaskRecord.activity_id == task.activity_id,
                ExternalTaskRecord.attempt < task.attempt,
            )
        )
        found = await session.scalar(
            select(ExternalTaskRecord.id).where(
                ExternalTaskRecord.workflow_id == task.workflow_id,
                ExternalTaskRecord.activity_id == task.activity_id,
                ExternalTaskRecord.attempt == task.attempt,
            )
        )
        assert found is not None
        return found


@dataclass(frozen=True)
class TopicFilter:
    """Narrows what one topic fetches (Camunda's per-topic ``businessKey``,
    ``processDefinitionKey(In)`` and ``processInstanceId``); None matches all."""

    business_key: str | None = None
    definition_keys: tuple[str, ...] | None = None
    process_instance_id: str | None = None


def _topic_clause(topic: str, only: TopicFilter | None) -> Any:
    clause = ExternalTaskRecord.topic == topic
    if only is None:
        return clause
    if only.business_key is not None:
        clause = and_(clause, ExternalTaskRecord.business_key == only.business_key)
    if only.definition_keys is not None:
        clause = and_(clause, ExternalTaskRecord.definition_key.in_(only.definition_keys))
    if only.process_instance_id is not None:
        clause = and_(clause, ExternalTaskRecord.process_instance_id == only.process_instance_id)
    return clause


async def fetch_and_lock(
    store: Store,
    worker_id: str,
    topics: dict[str, timedelta],
    max_tasks: int,
    filters: dict[str, TopicFilter] | None = None,
    *,
    newest_first: bool = False,
    by_priority: bool = False,
) -> list[ExternalTaskRecord]:
    """Lock up to ``max_tasks`` fetchable tasks of ``topics`` (oldest first, unless
    ``newest_first``; highest priority first with ``by_priority``) for ``worker_id``, each
    for its topic's lock duration; ``filters`` narrow a topic's tasks."""
    now = _now()
    locked: list[ExternalTaskRecord] = []
    wanted = or_(*(_topic_clause(t, (filters or {}).get(t)) for t in topics))
    order: tuple[Any, ...] = (
        (ExternalTaskRecord.created.desc(), ExternalTaskRecord.id.desc())
        if newest_first
        else (ExternalTaskRecord.created, ExternalTaskRecord.id)
    )
    if by_priority:
        order = (task_priority.desc(), *order)
    async with store.session() as session, session.begin():
        candidates = list(
            await session.scalars(
                select(ExternalTaskRecord)
                .where(wanted, ExternalTaskRecord.available_at <= now)
                .order_by(*order)
                .limit(max_tasks)
                .with_for_update(skip_locked=True)
            )
        )
        for row in candidates:
            until = now + topics[row.topic]
            taken = await session.execute(
                update(ExternalTaskRecord)
                .where(ExternalTaskRecord.id == row.id, ExternalTaskRecord.available_at <= now)
                .values(lock_owner=worker_id, lock_expiration=until, available_at=until)
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) == 1:
                row.lock_owner, row.lock_expiration, row.available_at = worker_id, until, until
                locked.append(row)
    return locked


async def get(store: Store, task_id: str) -> ExternalTaskRecord:
    async with store.session() as session:
        row = await session.get(ExternalTaskRecord, task_id)
    if row is None:
        raise ExternalTaskNotFound(task_id)
    return row


#: the columns the task query sorts by (Camunda's sortBy names)
SORTS: dict[str, Any] = {
    "id": ExternalTaskRecord.id,
    "lockExpirationTime": ExternalTaskRecord.lock_expiration,
    "processInstanceId": ExternalTaskRecord.process_instance_id,
    "processDefinitionId": ExternalTaskRecord.definition_key,
    "processDefinitionKey": ExternalTaskRecord.definition_key,
    "taskPriority": task_priority,
    "createTime": ExternalTaskRecord.created,
}


@dataclass(frozen=True)
class TaskQuery:
    """The external-task query's filters beyond ``page``'s own (None matches all)."""

    task_ids: tuple[str, ...] | None = None
    activity_ids: tuple[str, ...] | None = None
    process_instance_ids: tuple[str, ...] | None = None
    definition_keys: tuple[str, ...] | None = None
    retries_left: bool | None = None
    priority_at_least: int | None = None
    priority_at_most: int | None = None
    sort: tuple[tuple[str, bool], ...] = ()  # (SORTS key, descending)


def _narrowed(query: Any, q: TaskQuery) -> Any:
    if q.task_ids is not None:
        query = query.where(ExternalTaskRecord.id.in_(q.task_ids))
    if q.activity_ids is not None:
        query = query.where(ExternalTaskRecord.element_id.in_(q.activity_ids))
    if q.process_instance_ids is not None:
        query = query.where(ExternalTaskRecord.process_instance_id.in_(q.process_instance_ids))
    if q.definition_keys is not None:
        query = query.where(ExternalTaskRecord.definition_key.in_(q.definition_keys))
    if q.retries_left is not None:
        query = query.where(
            ExternalTaskRecord.retries > 0 if q.retries_left else ExternalTaskRecord.retries <= 0
        )
    if q.priority_at_least is not None:
        query = query.where(task_priority >= q.priority_at_least)
    if q.priority_at_most is not None:
        query = query.where(task_priority <= q.priority_at_most)
    return query


async def page(
    store: Store,
    *,
    topic: str | None,
    process_instance_id: str | None,
    offset: int,
    limit: int,
    task_id: str | None = None,
    worker_id: str | None = None,
    activity_id: str | None = None,
    definition_key: str | None = None,
    locked: bool | None = None,
    failed: bool | None = None,
    more: TaskQuery | None = None,
) -> tuple[list[ExternalTaskRecord], int]:
    query = _narrowed(select(ExternalTaskRecord), more or TaskQuery())
    if failed is not None:  # failed for good: retries 0, an incident
        query = query.where(
            ExternalTaskRecord.retries == 0 if failed else ExternalTaskRecord.retries > 0
        )
    if topic is not None:
        query = query.where(ExternalTaskRecord.topic == topic)
    if process_instance_id is not None:
        query = query.where(ExternalTaskRecord.process_instance_id == process_instance_id)
    if task_id is not None:
        query = query.where(ExternalTaskRecord.id == task_id)
    if worker_id is not None:
        query = query.where(ExternalTaskRecord.lock_owner == worker_id)
    if activity_id is not None:
        query = query.where(ExternalTaskRecord.element_id == activity_id)
    if definition_key is not None:
        query = query.where(ExternalTaskRecord.definition_key == definition_key)
    if locked is not None:
        now = _now()
        query = query.where(
            ExternalTaskRecord.lock_expiration > now
            if locked
            else or_(
                ExternalTaskRecord.lock_expiration.is_(None),
                ExternalTaskRecord.lock_expiration <= now,
            )
        )
    async with store.session() as session:
        total = await count(session, query)
        sorts = [SORTS[k].desc() if desc else SORTS[k] for k, desc in (more or TaskQuery()).sort]
        rows = await session.scalars(
            query.order_by(*sorts, ExternalTaskRecord.created, ExternalTaskRecord.id)
            .offset(offset)
            .limit(limit)
        )
        return list(rows), total


async def holding(store: Store, task_id: str, worker_id: str) -> ExternalTaskRecord:
    """The task, if ``worker_id`` holds its lock now; else LockLost (or not found)."""
    row = await get(store, task_id)
    expiry = row.lock_expiration
    if row.lock_owner != worker_id or expiry is None or _as_utc(expiry) <= _now():
        raise LockLost(task_id, worker_id, row.lock_owner)
    return row


def _held_by(task_id: str, worker_id: str, now: datetime) -> Any:
    return (
        update(ExternalTaskRecord)
        .where(
            ExternalTaskRecord.id == task_id,
            ExternalTaskRecord.lock_owner == worker_id,
            ExternalTaskRecord.lock_expiration > now,
        )
        .execution_options(synchronize_session=False)
    )


async def _change_held(store: Store, task_id: str, worker_id: str, **values: Any) -> None:
    """Change a task only while ``worker_id`` still holds its lock (checked in the same
    statement: a lock that expired a moment ago and was taken over stays the new owner's)."""
    async with store.session() as session, session.begin():
        done = await session.execute(_held_by(task_id, worker_id, _now()).values(**values))
        if getattr(done, "rowcount", 0) != 1:
            owner = await session.scalar(
                select(ExternalTaskRecord.lock_owner).where(ExternalTaskRecord.id == task_id)
            )
            raise LockLost(task_id, worker_id, owner)


async def extend_lock(store: Store, task_id: str, worker_id: str, duration: timedelta) -> None:
    until = _now() + duration
    await _change_held(store, task_id, worker_id, lock_expiration=until, available_at=until)


async def release_for_retry(
    store: Store,
    task_id: str,
    worker_id: str,
    *,
    retries: int,
    retry_timeout: timedelta,
    message: str,
    details: str | None,
) -> None:
    """A failure the worker wants retried: unlocked, fetchable after the retry timeout."""
    await _change_held(
        store,
        task_id,
        worker_id,
        retries=retries,
        error_message=message,
        error_details=details,
        lock_owner=None,
        lock_expiration=None,
        available_at=_now() + retry_timeout,
    )


async def mark_failed(store: Store, task_id: str, message: str, details: str | None) -> None:
    """The task failed for good (its activity failed, an incident opened): it stays listed
    with retries 0 and the error, unlocked and never fetchable, until the incident is
    retried or resolved (``store.projections`` then drops it)."""
    async with store.session() as session, session.begin():
        await session.execute(
            update(ExternalTaskRecord)
            .where(ExternalTaskRecord.id == task_id)
            .values(
                retries=0,
                error_message=message,
                error_details=details,
                lock_owner=None,
                lock_expiration=None,
                available_at=FAILED_UNTIL,
            )
            .execution_options(synchronize_session=False)
        )


async def remove(store: Store, task_id: str) -> None:
    """The task is over (completed, failed for good, BPMN error, or gone in Temporal)."""
    async with store.session() as session, session.begin():
        await session.execute(delete(ExternalTaskRecord).where(ExternalTaskRecord.id == task_id))


async def unlock(store: Store, task_id: str) -> None:
    """Drop whatever lock the task has: fetchable again at once (Camunda's ``unlock``)."""
    async with store.session() as session, session.begin():
        done = await session.execute(
            update(ExternalTaskRecord)
            .where(ExternalTaskRecord.id == task_id)
            .values(lock_owner=None, lock_expiration=None, available_at=_now())
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            raise ExternalTaskNotFound(task_id)


async def set_retries(store: Store, task_id: str, retries: int) -> None:
    """Set the failures a worker may still report before an incident."""
    async with store.session() as session, session.begin():
        done = await session.execute(
            update(ExternalTaskRecord)
            .where(ExternalTaskRecord.id == task_id)
            .values(retries=retries)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            raise ExternalTaskNotFound(task_id)


async def lock(store: Store, task_id: str, worker_id: str, duration: timedelta) -> None:
    """Lock one task for ``worker_id`` (Camunda's ``lock``): when it is free (never
    locked, or its lock expired; a task waiting out a retry timeout is free too) or
    already held by the same worker (the lock starts over); else LockLost."""
    now = _now()
    until = now + duration
    async with store.session() as session, session.begin():
        done = await session.execute(
            update(ExternalTaskRecord)
            .where(
                ExternalTaskRecord.id == task_id,
                ExternalTaskRecord.retries > 0,
                or_(
                    ExternalTaskRecord.lock_owner.is_(None),
                    ExternalTaskRecord.lock_owner == worker_id,
                    ExternalTaskRecord.lock_expiration <= now,
                ),
            )
            .values(lock_owner=worker_id, lock_expiration=until, available_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            found = (
                await session.execute(
                    select(ExternalTaskRecord.lock_owner, ExternalTaskRecord.retries).where(
                        ExternalTaskRecord.id == task_id
                    )
                )
            ).first()
            if found is None:
                raise ExternalTaskNotFound(task_id)
            if found.retries == 0:
                raise NoRetriesLeft(task_id)
            raise LockLost(task_id, worker_id, found.lock_owner)


async def set_priority(store: Store, task_id: str, priority: int) -> None:
    """Set the task's priority (fetch-and-lock with ``by_priority`` takes higher first)."""
    async with store.session() as session, session.begin():
        done = await session.execute(
            update(ExternalTaskRecord)
            .where(ExternalTaskRecord.id == task_id)
            .values(priority=priority)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            raise ExternalTaskNotFound(task_id)


async def topic_names(
    store: Store, *, locked: bool = False, unlocked: bool = False, retries_left: bool = False
) -> list[str]:
    """The distinct topics of the tasks the flags leave (each flag narrows), sorted."""
    query = select(ExternalTaskRecord.topic).distinct()
    now = _now()
    if locked:
        query = query.where(ExternalTaskRecord.lock_expiration > now)
    if unlocked:
        query = query.where(
            or_(
                ExternalTaskRecord.lock_expiration.is_(None),
                ExternalTaskRecord.lock_expiration <= now,
            )
        )
    if retries_left:
        query = query.where(ExternalTaskRecord.retries > 0)
    async with store.session() as session:
        return sorted(await session.scalars(query))
