"""Engine and session handling for SQLite (embedded) and PostgreSQL (production).

Exception tree::

    StoreError
     └── DefinitionNotFound
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Table,
    event,
    exists,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from store.models import OPEN_TASK_STATES, Base, TaskCandidate, TaskRecord


class StoreError(Exception):
    """Root of the errors the store raises."""


class DefinitionNotFound(StoreError):
    def __init__(self, key: str, version: int | None = None) -> None:
        self.key = key
        self.version = version
        what = f"{key!r}" if version is None else f"{key!r} version {version}"
        super().__init__(f"no deployed process definition {what}")


def _add_missing_columns(conn: Connection) -> None:
    """Additive schema changes for databases created by an earlier version: a column a
    model gained is added (nullable), and so is an index, so ``make run`` keeps its data
    across upgrades."""
    inspector = inspect(conn)
    for table in Base.metadata.sorted_tables:
        present = {col["name"] for col in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
        for index in table.indexes:  # an index a model gained (create_all skips old tables)
            index.create(conn, checkfirst=True)


#: Read-model tables whose revision became 64-bit (revisions grow with workflow time).
_WIDE_REVISIONS = ("process_instances", "user_tasks", "incidents")


def _widen_revisions(conn: Connection) -> None:
    """PostgreSQL databases created before revisions grew with time keep a 32-bit
    column; widen it (SQLite's INTEGER is 64-bit already)."""
    if conn.dialect.name != "postgresql":
        return
    inspector = inspect(conn)
    for table in _WIDE_REVISIONS:
        for column in inspector.get_columns(table):
            if column["name"] == "revision" and not isinstance(column["type"], BigInteger):
                conn.execute(text(f'ALTER TABLE "{table}" ALTER COLUMN revision TYPE BIGINT'))


def _backfill_candidates(conn: Connection) -> None:
    """Open tasks written before candidates had their own table get their rows (tasks
    without candidates are looked at again each start: cheap, and nothing to insert)."""
    tasks, candidates = TaskRecord.__table__, TaskCandidate.__table__
    assert isinstance(tasks, Table) and isinstance(candidates, Table)
    missing = conn.execute(
        select(tasks.c.id, tasks.c.candidate_users, tasks.c.candidate_groups).where(
            tasks.c.state.in_(("CREATED", "ASSIGNED", "SUSPENDED")),
            ~exists().where(candidates.c.task_id == tasks.c.id),
        )
    )
    rows = [
        {"task_id": task_id, "kind": kind, "value": value}
        for task_id, users, groups in missing
        for kind, values in (("user", users or []), ("group", groups or []))
        for value in sorted(set(values))
    ]
    if rows:
        conn.execute(candidates.insert(), rows)


def refresh_candidates(task_ids: list[str] | None = None) -> Any:
    """Copy ``claimable`` and ``created`` from the stored task rows into their candidate
    rows (of ``task_ids``, or of every candidate row not yet filled in). Read from the
    table, not from the batch: a late batch the revision guard refused changes nothing."""
    candidates = cast(Table, TaskCandidate.__table__)
    tasks = cast(Table, TaskRecord.__table__)
    own = tasks.c.id == candidates.c.task_id
    claimable = tasks.c.state.in_(OPEN_TASK_STATES) & tasks.c.assignee.is_(None)
    stmt = update(candidates).values(
        claimable=select(claimable).where(own).scalar_subquery(),
        created=select(tasks.c.created).where(own).scalar_subquery(),
    )
    if task_ids is None:
        return stmt.where(candidates.c.claimable.is_(None))
    return stmt.where(candidates.c.task_id.in_(task_ids))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the worker writes; busy_timeout waits out short locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """An async engine plus session factory for one database URL."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def init_schema(self) -> None:
        """Create missing tables (idempotent; the schema is additive until migrations land).

        The API and the worker start together and may both find a table missing: the
        loser of that race sees "already exists" and simply checks again.
        """
        for attempt in range(5):
            try:
                async with self.engine.begin() as conn:
                    await conn.run_sync(Base.metadata.create_all)
                    await conn.run_sync(_add_missing_columns)
                    await conn.run_sync(_widen_revisions)
                    await conn.run_sync(_backfill_candidates)
                    await conn.execute(refresh_candidates())
                return
            except (OperationalError, ProgrammingError, IntegrityError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def session(self) -> AsyncSession:
        return self.sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
