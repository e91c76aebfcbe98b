"""What the read models say about the whole deployment, counted for ``/metrics``.

Counted in the database at scrape time rather than in process memory, because
instances, tasks and incidents are written by every worker and reconciled after a crash:
the read model is the one place that has seen them all, keeps its counts across
restarts, and converges with Temporal (a counter kept in one API process would not).
Each query is one GROUP BY over an indexed column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select

from store.db import Store
from store.models import (
    OPEN_TASK_STATES,
    BufferedMessage,
    IncidentRecord,
    InstanceRecord,
    TaskRecord,
)


@dataclass(frozen=True)
class TaskWaits:
    """Completed tasks of a definition: how many, and their seconds from created to ended."""

    count: int
    seconds: float


@dataclass
class Snapshot:
    #: (definition key, instance state) -> instances
    instances: dict[tuple[str, str], int] = field(default_factory=dict)
    #: definition key -> instances with at least one open incident
    in_incident: dict[str, int] = field(default_factory=dict)
    #: definition key -> open incidents
    open_incidents: dict[str, int] = field(default_factory=dict)
    #: (definition key, task state) -> user tasks
    tasks: dict[tuple[str, str], int] = field(default_factory=dict)
    #: definition key -> completed tasks' waits
    task_waits: dict[str, TaskWaits] = field(default_factory=dict)
    #: definition key -> seconds the oldest open task has waited
    oldest_open_task: dict[str, float] = field(default_factory=dict)
    buffered_messages: int = 0


def _seconds_between(store: Store, start: Any, end: Any) -> ColumnElement[Any]:
    if store.dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


async def snapshot(store: Store) -> Snapshot:
    out = Snapshot()
    now = datetime.now(UTC)
    async with store.session() as session:
        by_state = await session.execute(
            select(InstanceRecord.definition_key, InstanceRecord.state, func.count()).group_by(
                InstanceRecord.definition_key, InstanceRecord.state
            )
        )
        out.instances = {(key, state): n for key, state, n in by_state}
        incident_rows = await session.execute(
            select(
                IncidentRecord.definition_key,
                func.count(),
                func.count(distinct(IncidentRecord.process_instance_id)),
            )
            .where(IncidentRecord.resolved.is_(False))
            .group_by(IncidentRecord.definition_key)
        )
        for key, incidents, instances in incident_rows:
            out.open_incidents[key] = incidents
            out.in_incident[key] = instances
        task_rows = await session.execute(
            select(TaskRecord.definition_key, TaskRecord.state, func.count()).group_by(
                TaskRecord.definition_key, TaskRecord.state
            )
        )
        out.tasks = {(key, state): n for key, state, n in task_rows}
        waited = _seconds_between(store, TaskRecord.created, TaskRecord.ended)
        wait_rows = await session.execute(
            select(TaskRecord.definition_key, func.count(), func.sum(waited))
            .where(TaskRecord.state == "COMPLETED", TaskRecord.ended.is_not(None))
            .group_by(TaskRecord.definition_key)
        )
        out.task_waits = {key: TaskWaits(n, float(total or 0.0)) for key, n, total in wait_rows}
        oldest_rows = await session.execute(
            select(TaskRecord.definition_key, func.min(TaskRecord.created))
            .where(TaskRecord.state.in_(OPEN_TASK_STATES))
            .group_by(TaskRecord.definition_key)
        )
        for key, oldest in oldest_rows:
            if oldest is not None:
                since = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                out.oldest_open_task[key] = max(0.0, (now - since).total_seconds())
        out.buffered_messages = int(
            await session.scalar(select(func.count()).select_from(BufferedMessage)) or 0
        )
    return out
