"""A database created by an earlier version gains the columns models added since."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from sqlalchemy import inspect, text

from store import Store
from store.models import TaskRecord


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


def _task(task_id: str, minute: int, groups: list[str], **changes: Any) -> c.TaskRow:
    values: dict[str, Any] = {
        "id": task_id,
        "element_id": "review",
        "name": "Review",
        "state": c.TaskState.CREATED,
        "assignee": None,
        "candidate_users": ["ann"] if task_id.endswith("u") else [],
        "candidate_groups": groups,
        "form_key": None,
        "priority": 50,
        "due": None,
        "created": datetime(2026, 11, 1, 9, minute, tzinfo=UTC),
        "ended": None,
        "process_instance_id": f"i-{task_id}",
        "definition_key": "k",
        "business_key": None,
        "revision": 1,
    }
    return c.TaskRow(**{**values, **changes})


async def test_the_claimable_inbox_follows_every_task_change(store: Store) -> None:
    """The group inbox is read from the candidate index (``claimable``, ``created``
    copied from the task): it must list exactly what the general query lists, in the
    same order, as tasks are claimed, unclaimed, completed, and when a late batch with
    an older revision arrives."""
    from store import projections, queries

    async def both(f: queries.TaskFilter, sort: queries.Sort, page: int = 0) -> list[str]:
        fast = await queries.list_tasks(store, f, page=page, size=2, sort=sort)
        general = await queries.paged(
            store,
            queries._task_query(f),
            queries._order(queries.TASK_SORTS[sort.by], TaskRecord.id, sort),
            page=page,
            size=2,
        )
        assert [t.id for t in fast.items] == [t.id for t in general.items]
        assert fast.total == general.total
        return [t.id for t in fast.items]

    ops = queries.TaskFilter(candidate_groups=("ops",))
    ops_or_ann = queries.TaskFilter(candidate_groups=("ops", "sales"), candidate_user="ann")
    first, newest = queries.Sort("created"), queries.Sort("created", descending=True)
    rows = [
        _task("t1", 1, ["ops"]),
        _task("t2", 2, ["ops", "sales"]),
        _task("t3u", 3, ["sales"]),
        _task("t4", 4, ["ops"], state=c.TaskState.COMPLETED, ended=datetime.now(UTC)),
        _task("t5", 5, ["hr"]),
    ]
    await projections.apply(store, c.ProjectionBatch(tasks=rows))
    assert await both(ops, first) == ["t1", "t2"]
    assert await both(ops, newest) == ["t2", "t1"]
    assert await both(ops_or_ann, first) == ["t1", "t2"]
    assert await both(ops_or_ann, first, page=1) == ["t3u"]  # t2 counted once
    claimed = rows[0].model_copy(
        update={"state": c.TaskState.ASSIGNED, "assignee": "bob", "revision": 2}
    )
    await projections.apply(store, c.ProjectionBatch(tasks=[claimed]))
    assert await both(ops, first) == ["t2"]
    await projections.apply(store, c.ProjectionBatch(tasks=[rows[0]]))  # late, revision 1
    assert await both(ops, first) == ["t2"]
    unclaimed = claimed.model_copy(
        update={"state": c.TaskState.CREATED, "assignee": None, "revision": 3}
    )
    done = rows[1].model_copy(update={"state": c.TaskState.COMPLETED, "revision": 2})
    await projections.apply(store, c.ProjectionBatch(tasks=[unclaimed, done]))
    assert await both(ops, first) == ["t1"]
    assert await both(ops_or_ann, newest) == ["t3u", "t1"]


async def test_count_counts_the_rows_a_query_returns(store: Store) -> None:
    """``count`` swaps the selected columns for ``count(*)`` where that is the same
    number, and counts the rows otherwise (DISTINCT, LIMIT, GROUP BY)."""
    from sqlalchemy import select

    from store import projections, queries

    rows = [_task(f"c{n}", n, ["ops"]) for n in range(5)]
    await projections.apply(store, c.ProjectionBatch(tasks=rows))
    async with store.session() as session:
        assert await queries.count(session, select(TaskRecord)) == 5
        assert await queries.count(session, select(TaskRecord).limit(2)) == 2
        assert await queries.count(session, select(TaskRecord).offset(4)) == 1
        distinct = select(TaskRecord.definition_key).distinct()
        assert await queries.count(session, distinct) == 1
        grouped = select(TaskRecord.state).group_by(TaskRecord.state)
        assert await queries.count(session, grouped) == 1
