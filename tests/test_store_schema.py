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


async def test_open_tasks_from_before_the_candidate_table_get_candidates(tmp_path: Path) -> None:
    """A database written before ``user_task_candidates`` existed: its open tasks are
    found by candidate filters after the next start."""
    from datetime import UTC, datetime

    from store import queries

    store = Store(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await store.init_schema()
    now = datetime.now(UTC)
    async with store.engine.begin() as conn:
        for task_id, state in (("t-open", "CREATED"), ("t-done", "COMPLETED")):
            await conn.execute(
                text(
                    "INSERT INTO user_tasks (id, process_instance_id, definition_key, "
                    "element_id, state, candidate_users, candidate_groups, priority, created, "
                    "revision) VALUES (:id, 'i', 'k', 'e', :state, :users, :groups, 50, "
                    ":now, 1)"
                ),
                {
                    "id": task_id,
                    "state": state,
                    "now": now,
                    "users": '["ann"]',
                    "groups": '["ops", "ops"]',
                },
            )
    await store.init_schema()
    await store.init_schema()  # idempotent
    by_group = await queries.list_tasks(
        store, queries.TaskFilter(candidate_groups=("ops",)), page=0, size=10
    )
    by_user = await queries.list_tasks(
        store, queries.TaskFilter(candidate_user="ann"), page=0, size=10
    )
    await store.dispose()
    assert [t.id for t in by_group.items] == ["t-open"]
    assert [t.id for t in by_user.items] == ["t-open"]
