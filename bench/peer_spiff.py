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
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

RESULTS = Path(__file__).resolve().parent / "results" / "peer_spiff.json"
_TASK = (
    '<bpmn:serviceTask id="{id}"><bpmn:extensionElements>'
    '<spiffworkflow:serviceTaskOperator id="noop" resultVariable="{id}_result"/>'
    "</bpmn:extensionElements></bpmn:serviceTask>"
)
DIAGRAM = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d_ref">
  <bpmn:process id="reference" isExecutable="true">
    <bpmn:startEvent id="s"/>
    {"".join(_TASK.format(id=i) for i in ("a", "b", "c", "big", "p1", "p2"))}
    <bpmn:exclusiveGateway id="x" default="small"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:endEvent id="e"/>
    <bpmn:endEvent id="e_big"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="c"/>
    <bpmn:sequenceFlow id="f4" sourceRef="c" targetRef="x"/>
    <bpmn:sequenceFlow id="large" sourceRef="x" targetRef="big">
      <bpmn:conditionExpression>amount &gt; 10</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="x" targetRef="split"/>
    <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="p1"/>
    <bpmn:sequenceFlow id="f6" sourceRef="split" targetRef="p2"/>
    <bpmn:sequenceFlow id="f7" sourceRef="p1" targetRef="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="p2" targetRef="join"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="e"/>
    <bpmn:sequenceFlow id="f10" sourceRef="big" targetRef="e_big"/>
  </bpmn:process>
</bpmn:definitions>
"""


class _Services(TaskDataEnvironment):
    """Service tasks call plain functions by operator name (``noop``: nothing to do)."""

    calls = 0

    def call_service(self, _context: Any, operation_name: str, **_: Any) -> str:
        assert operation_name == "noop"
        _Services.calls += 1
        return "{}"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * q) - 1)], 2)


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
        "p50_ms": _p(latencies, 0.5),
        "p95_ms": _p(latencies, 0.95),
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
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "peer_spiff",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "spiffworkflow": metadata.version("spiffworkflow"),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "instances": args.instances,
                "modes": report,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.name}")


if __name__ == "__main__":
    main()
