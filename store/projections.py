"""Idempotent upserts of the read models written by the workflow.

A row is only overwritten by a higher revision, so a retried or replayed batch — or two
batches arriving out of order — can never move a task or an instance backwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Store, refresh_candidates
from store.models import Base, IncidentRecord, InstanceRecord, TaskCandidate, TaskRecord
from workflows.contracts import ProjectionBatch


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
        if batch.tasks:
            rows = _utc_rows(batch.tasks)
            await session.execute(upsert_by_revision(store, TaskRecord, rows))
            await _write_candidates(store, session, batch)
        if batch.incidents:
            rows = _utc_rows(batch.incidents)
            await session.execute(upsert_by_revision(store, IncidentRecord, rows))
