"""A database created by an earlier version gains the columns models added since."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from store import Store


async def test_init_schema_adds_missing_nullable_columns(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await store.init_schema()
    async with store.engine.begin() as conn:
        await conn.execute(text('ALTER TABLE user_tasks DROP COLUMN "owner"'))
        await conn.execute(text('ALTER TABLE user_tasks DROP COLUMN "delegation_state"'))
    await store.init_schema()  # what the next start of an upgraded Baton does
    async with store.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("user_tasks")}
        )
    await store.dispose()
    assert {"owner", "delegation_state", "assignee"} <= columns


async def test_init_schema_adds_missing_indexes(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await store.init_schema()
    async with store.engine.begin() as conn:
        await conn.execute(text("DROP INDEX ix_task_key_state"))
    await store.init_schema()
    async with store.engine.connect() as conn:
        indexes = await conn.run_sync(
            lambda sync: {i["name"] for i in inspect(sync).get_indexes("user_tasks")}
        )
    await store.dispose()
    assert {"ix_task_key_state", "ix_task_state_due"} <= indexes
