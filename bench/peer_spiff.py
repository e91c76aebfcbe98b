"""Peer: SpiffWorkflow running the interpreter-overhead reference process in-process.

The same diagram as ``bench/interpreter_overhead.py`` (start → 3 service tasks →
exclusive gateway → parallel split of 2 service tasks → join → end), in SpiffWorkflow's
dialect: service tasks name an operator the script engine calls (a Python function doing
what ``baton.noop`` does), and the gateway's condition is Python. Two modes, one instance
at a time in one thread, as SpiffWorkflow runs:

* ``in memory``: nothing persisted;
* ``sqlite per step``: the workflow serialised with SpiffWorkflow's own serializer and
  committed to SQLite (WAL, synchronous=NORMAL, the flags Baton's dev server uses) after
  every completed task, which is what an application embedding it must do to survive a
  restart.

The durability difference is the point of the comparison: SpiffWorkflow persists where
and when its host application tells it to, in that one process; nothing retries a failed
step, times out a hung one or moves work to another machine. Baton's every step is in
Temporal's history before the next one runs, activities retry on any worker, and the
read models are kept beside it. Writes bench/results/peer_spiff.json; SpiffWorkflow is a
bench-only dependency (``pip install -e '.[bench]'``).

    .venv/bin/python -m bench.peer_spiff [--instances 300]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from bench.interpreter_overhead import REFERENCE
from bench.report import percentile, write


def _spiff_dialect(reference: bytes) -> str:
    """The interpreter-overhead diagram itself, in SpiffWorkflow's dialect: its service
    tasks name an operator instead of a Zeebe job type, its condition is Python."""
    text = reference.decode()
    for old, new, times in (
        (
            'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"',
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
            1,
        ),
        (
            '<zeebe:taskDefinition type="baton.noop"/>',
            '<spiffworkflow:serviceTaskOperator id="noop"/>',
            6,
        ),
        ("= amount &gt; 10", "amount &gt; 10", 1),
    ):
        assert text.count(old) == times, old
        text = text.replace(old, new)
    return text


DIAGRAM = _spiff_dialect(REFERENCE)


class _Services(TaskDataEnvironment):
    """Service tasks call plain functions by operator name (``noop``: nothing to do)."""

    calls = 0

    def call_service(self, _context: Any, operation_name: str, **_: Any) -> str:
        assert operation_name == "noop"
        _Services.calls += 1
        return "{}"


def _run(spec: Any, subprocesses: Any, count: int, db: sqlite3.Connection | None) -> dict[str, Any]:
    engine = PythonScriptEngine(environment=_Services())
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    latencies: list[float] = []
    began = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=engine)
        workflow.get_next_task().data["amount"] = 5  # the parallel branch, as in Temporal

        def persist(_task: Any, n: int = n, workflow: Any = workflow) -> None:
            if db is not None:
                state = serializer.serialize_json(workflow)
                db.execute("INSERT OR REPLACE INTO instances VALUES (?, ?)", (n, state))
                db.commit()

        workflow.do_engine_steps(did_complete_task=persist)
        assert workflow.is_completed()
        latencies.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - began
    return {
        "instances_per_second": round(count / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "mean_ms": round(statistics.mean(latencies), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300)
    args = parser.parse_args()
    bpmn = SpiffBpmnParser()
    bpmn.add_bpmn_str(DIAGRAM.encode())
    spec = bpmn.get_spec("reference")
    subprocesses = bpmn.get_subprocess_specs("reference")
    report: dict[str, Any] = {}
    _run(spec, subprocesses, 20, None)  # warm-up
    _Services.calls = 0
    report["in memory"] = _run(spec, subprocesses, args.instances, None)
    assert _Services.calls == 5 * args.instances, _Services.calls  # a, b, c, p1, p2
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "spiff.db")
        db.execute("PRAGMA journal_mode=wal")
        db.execute("PRAGMA synchronous=normal")
        db.execute("CREATE TABLE instances (id INTEGER PRIMARY KEY, state TEXT)")
        report["sqlite per step"] = _run(spec, subprocesses, args.instances, db)
        db.close()
    print(f"{'SpiffWorkflow':<18} {'inst/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for mode, row in report.items():
        print(f"{mode:<18} {row['instances_per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8}")
    write(
        "peer_spiff",
        {
            "spiffworkflow": metadata.version("spiffworkflow"),
            "instances": args.instances,
            "modes": report,
        },
    )


if __name__ == "__main__":
    main()
