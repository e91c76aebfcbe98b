"""Idempotent upserts of the read models written by the workflow.

A row is only overwritten by a higher revision, so a retried or replayed batch — or two
batches arriving out of order — can never move a task or an instance backwards.
Revisions grow with workflow time (``revision_at``): the rows of a run that replaced
another (a reset) and the reconciler's closing of an instance ended from outside both
order correctly against what the workflow wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from baton_client.contracts.bpmn import ProjectionBatch
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Store, refresh_candidates
from store.models import (
    OPEN_TASK_STATES,
    Base,
    ExternalTaskRecord,
    IncidentRecord,
    InstanceRecord,
    TaskCandidate,
    TaskRecord,
)


def upsert_by_revision(store: Store, model: type[Base], rows: list[dict[str, Any]]) -> Any:
    """Insert or update by id; a row only replaces one with a lower revision."""
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    stmt = insert(table).values(rows)
    updates = {col.name: stmt.excluded[col.name] for col in table.columns if col.name != "id"}
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_=updates,
        where=table.c.revision < stmt.excluded.revision,
    )


def _utc_rows(rows: list[Any]) -> list[dict[str, Any]]:
    """Rows with every time in UTC: a due date given with an offset must compare and sort
    with the others (SQLite keeps times as text and drops the offset)."""
    out = []
    for row in rows:
        values = row.model_dump()
        for name, value in values.items():
            if isinstance(value, datetime) and value.tzinfo is not None:
                values[name] = value.astimezone(UTC)
        out.append(values)
    return out


def _candidates(batch: ProjectionBatch) -> list[dict[str, str]]:
    rows = {
        (task.id, kind, value)
        for task in batch.tasks
        for kind, values in (("user", task.candidate_users), ("group", task.candidate_groups))
        for value in values
    }
    return [{"task_id": t, "kind": k, "value": v} for t, k, v in sorted(rows)]


async def _write_candidates(store: Store, session: AsyncSession, batch: ProjectionBatch) -> None:
    candidates = _candidates(batch)
    if candidates:
        insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
        table = cast(Table, TaskCandidate.__table__)
        await session.execute(insert(table).values(candidates).on_conflict_do_nothing())
        await session.execute(refresh_candidates(sorted({t.id for t in batch.tasks})))


async def apply(store: Store, batch: ProjectionBatch) -> None:
    async with store.session() as session, session.begin():
        if batch.instances:
            rows = _utc_rows(batch.instances)
            await session.execute(upsert_by_revision(store, InstanceRecord, rows))
            ended = [r.id for r in batch.instances if r.end_time is not None]
            if ended:
                await _drop_failed_of_instances(session, ended)
        if batch.tasks:
            rows = _utc_rows(batch.tasks)
            await session.execute(upsert_by_revision(store, TaskRecord, rows))
            await _write_candidates(store, session, batch)
        if batch.incidents:
            rows = _utc_rows(batch.incidents)
            await session.execute(upsert_by_revision(store, IncidentRecord, rows))
            await _drop_failed_external_tasks(session, batch)
        if batch.resync_instance_id is not None:
            await _close_missing(session, batch.resync_instance_id, batch)


async def _drop_failed_external_tasks(session: AsyncSession, batch: ProjectionBatch) -> None:
    """An external task that failed for good stays listed (retries 0, Camunda's
    ``failedExternalTask``) while its incident is open; once the incident is retried or
    resolved the failed task is over (a retry parks a new one)."""
    done = [i.configuration for i in batch.incidents if i.resolved and i.configuration]
    if done:
        await session.execute(
            delete(ExternalTaskRecord).where(
                ExternalTaskRecord.id.in_(done), ExternalTaskRecord.retries == 0
            )
        )


async def _drop_failed_of_instances(session: AsyncSession, instance_ids: list[str]) -> None:
    """Failed external tasks (retries 0) of ended instances: nothing can retry them now.
    By ``workflow_id`` (the instance id), the leading column of the attempt index, so an
    instance's end costs an index lookup, not a scan of the waiting tasks."""
    await session.execute(
        delete(ExternalTaskRecord).where(
            ExternalTaskRecord.workflow_id.in_(instance_ids),
            ExternalTaskRecord.retries == 0,
        )
    )


def revision_at(moment: datetime, offset: int = 0) -> int:
    """The revision the workflow gives a change made at ``moment`` (its workflow time in
    ms, shifted by 16 bits, see ``BpmnProcess._bump_revision``), plus ``offset``."""
    return (int(moment.timestamp() * 1000) << 16) + offset


async def _close_rows(
    session: AsyncSession,
    instance_id: str,
    revision: int,
    *,
    keep_tasks: set[str],
    keep_incidents: set[str],
    ended: datetime,
) -> None:
    """Open task rows of the instance become CANCELED and open incidents resolved, except
    those kept, where the stored revision is lower."""
    tasks = cast(Table, TaskRecord.__table__)
    closing = list(
        await session.scalars(
            select(tasks.c.id).where(
                tasks.c.process_instance_id == instance_id,
                tasks.c.state.in_(OPEN_TASK_STATES),
                tasks.c.revision < revision,
            )
        )
    )
    closing = [task_id for task_id in closing if task_id not in keep_tasks]
    if closing:
        await session.execute(
            update(tasks)
            .where(tasks.c.id.in_(closing), tasks.c.revision < revision)
            .values(state="CANCELED", ended=ended, revision=revision)
        )
        await session.execute(refresh_candidates(closing))
    incidents = cast(Table, IncidentRecord.__table__)
    open_incidents = [
        incidents.c.process_instance_id == instance_id,
        incidents.c.resolved.is_(False),
        incidents.c.revision < revision,
    ]
    if keep_incidents:
        open_incidents.append(incidents.c.id.not_in(keep_incidents))
    await session.execute(
        update(incidents)
        .where(*open_incidents)
        .values(resolved=True, deleted=True, ended=ended.astimezone(UTC), revision=revision)
    )


async def _close_missing(session: AsyncSession, instance_id: str, batch: ProjectionBatch) -> None:
    """A resync batch carries every row the instance still has: open rows it lacks were
    written by a run that no longer counts (a reset replaced it)."""
    revision = max(
        [r.revision for r in batch.instances]
        + [r.revision for r in batch.tasks]
        + [r.revision for r in batch.incidents]
    )
    await _close_rows(
        session,
        instance_id,
        revision,
        keep_tasks={t.id for t in batch.tasks},
        keep_incidents={i.id for i in batch.incidents},
        ended=datetime.now(UTC),
    )


async def close_ended(store: Store, instance_id: str, state: str, ended: datetime) -> bool:
    """An instance whose last run ended without the workflow saying so (terminated,
    timed out, failed): its row takes ``state`` and its open tasks and incidents close.
    The revision is that of the end, so a later run (a reset) still overwrites it. True
    when a row changed."""
    revision = revision_at(ended, 0xFFFF)
    async with store.session() as session, session.begin():
        instances = cast(Table, InstanceRecord.__table__)
        changed = await session.execute(
            update(instances)
            .where(
                instances.c.id == instance_id,
                instances.c.revision < revision,
                instances.c.state.in_(("ACTIVE", "INCIDENT")),
            )
            .values(state=state, end_time=ended.astimezone(UTC), revision=revision)
            .returning(instances.c.id)
        )
        found = changed.first() is not None
        await _close_rows(
            session, instance_id, revision, keep_tasks=set(), keep_incidents=set(), ended=ended
        )
        await _drop_failed_of_instances(session, [instance_id])
        return found
