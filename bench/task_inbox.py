"""Task inbox at scale: 100,000 open user tasks (plus 20,000 finished ones) in the read
model, written through the projection the workflow uses, then filtered, paged inbox
queries — the ones ``GET /v1/bpms/tasks`` runs — timed on SQLite and PostgreSQL 15.

Baseline in the same run and database: fetching one task by primary key (the cheapest
read the store can do). Each query reports p50 / p95 and its p95 as a multiple of the
baseline's. Prints a table and writes bench/results/task_inbox.json.

    .venv/bin/python -m bench.task_inbox [--tasks 100000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from sqlalchemy import text

from bench.report import percentile
from store import Store, projections, queries

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "task_inbox.json"
GROUPS = [f"team-{i}" for i in range(50)]
USERS = [f"user-{i}" for i in range(500)]
KEYS = [f"process-{i}" for i in range(200)]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _rows(count: int, finished: int, seed: int = 7) -> list[c.TaskRow]:
    """Open tasks: a third assigned, each offered to one or two groups, due within 60
    days; plus finished ones the default inbox must skip."""
    rng = random.Random(seed)
    rows = []
    for n in range(count + finished):
        assigned = rng.random() < 1 / 3
        done = n >= count
        rows.append(
            c.TaskRow(
                id=f"task-{n:07d}",
                element_id=f"review-{n % 13}",
                name=f"Review {n % 13}",
                state=c.TaskState.COMPLETED
                if done
                else (c.TaskState.ASSIGNED if assigned else c.TaskState.CREATED),
                assignee=rng.choice(USERS) if assigned else None,
                candidate_users=[rng.choice(USERS)] if rng.random() < 0.1 else [],
                candidate_groups=rng.sample(GROUPS, rng.choice((1, 2))),
                form_key=None,
                priority=rng.choice((25, 50, 50, 75)),
                due=NOW + timedelta(minutes=rng.randrange(60 * 24 * 60)),
                created=NOW - timedelta(seconds=count + finished - n),
                ended=NOW if done else None,
                process_instance_id=f"instance-{n // 2:07d}",
                definition_key=rng.choice(KEYS),
                business_key=f"BK-{n:07d}",
                revision=1,
            )
        )
    return rows


async def _fill(store: Store, rows: list[c.TaskRow]) -> float:
    began = time.perf_counter()
    for i in range(0, len(rows), 1000):
        await projections.apply(store, c.ProjectionBatch(tasks=rows[i : i + 1000]))
    return time.perf_counter() - began


def _queries(
    store: Store,
) -> dict[str, Callable[[], Awaitable[Any]]]:
    def inbox(f: queries.TaskFilter, sort: queries.Sort, page: int = 0) -> Callable[[], Any]:
        return lambda: queries.list_tasks(store, f, page=page, size=50, sort=sort)

    return {
        "baseline: one task by id": lambda: queries.get_task(store, "task-0050000"),
        "group inbox: candidateGroup, unassigned, by created": inbox(
            queries.TaskFilter(candidate_groups=("team-7",)), queries.Sort("created")
        ),
        "group inbox, page 20": inbox(
            queries.TaskFilter(candidate_groups=("team-7",)), queries.Sort("created"), page=20
        ),
        "my tasks: assignee, by due": inbox(
            queries.TaskFilter(assignee="user-42"), queries.Sort("due")
        ),
        "process + due before, by priority desc": inbox(
            queries.TaskFilter(definition_key="process-3", due_before=NOW + timedelta(days=10)),
            queries.Sort("priority", descending=True),
        ),
        "all open, newest first": inbox(
            queries.TaskFilter(), queries.Sort("created", descending=True)
        ),
    }


async def _time(call: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    for _ in range(5):  # warm the caches and the connection pool
        await call()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


async def _measure(store: Store, rows: list[c.TaskRow], repeat: int) -> dict[str, Any]:
    await store.init_schema()
    fill = await _fill(store, rows)
    # fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) keep them
    async with store.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    open_rows = await queries.list_tasks(store, queries.TaskFilter(), page=0, size=1)
    results: dict[str, Any] = {"fill_seconds": round(fill, 1), "open_tasks": open_rows.total}
    for name, call in _queries(store).items():
        samples = sorted(await _time(call, repeat))
        results[name] = {
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 0.95), 2),
        }
    base = results["baseline: one task by id"]["p95_ms"]
    for name in _queries(store):
        results[name]["p95_vs_baseline"] = round(results[name]["p95_ms"] / base, 1)
    await store.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rows = _rows(args.tasks, args.tasks // 5)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "tasks": {"open": args.tasks, "finished": args.tasks // 5},
        "page_size": 50,
        "repeat": args.repeat,
    }
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = await _measure(
            Store(f"sqlite+aiosqlite:///{tmp}/inbox.db"), rows, args.repeat
        )
    from tests.support.postgres import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as err:
        report["postgresql"] = {"skipped": str(err)}
    else:
        try:
            report["postgresql"] = await _measure(Store(server.url("postgres")), rows, args.repeat)
        finally:
            server.stop()
    for backend in ("sqlite", "postgresql"):
        totals = {k: v for k, v in report[backend].items() if not isinstance(v, dict)}
        print(f"\n{backend}: {json.dumps(totals)}")
        for name, value in report[backend].items():
            if isinstance(value, dict):
                print(
                    f"  {name:<55} p50 {value['p50_ms']:>7.2f} ms  p95 {value['p95_ms']:>7.2f} ms"
                    f"  ({value['p95_vs_baseline']}x baseline)"
                )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
