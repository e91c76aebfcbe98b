"""Where a diagram stops being executable on Temporal: the measurements behind the
deploy-time limits in ``bpmn_compiler/engine_limits.py`` (docs/interpreter.md, "Engine limits").

Two shapes, each generated at several sizes and run on a real dev server and worker:

* ``fanout``: start → parallel split with N branches (one none task each) → join →
  user task. Every branch runs in the same workflow task.
* ``chain``: start → N none tasks in a row → user task: N elements without a wait.

For each size it deploys, starts one instance and waits (``--timeout`` s) for the user
task; it reports the seconds that took, the workflow-task failures in the history (the
deadlock detector, payload limits) and what became of the instance. Writes
bench/results/engine_limits.json.

    .venv/bin/python -m bench.engine_limits [--fanout 500,1000,2000] [--chain 1000,2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from baton.worker import build_worker
from bench.report import write
from bpmn_compiler import compile_bpmn, engine_limits
from core.devserver import SPEED_FLAGS, temporal_binary
from operations import commands
from store import Store
from store import definitions as store_definitions
from tests.support.bpmn import diagram, end, flows, start, task

#: every generated diagram ends in a user task, so a run that got there has settled
_TAIL = '<bpmn:userTask id="wait"/>\n' + end() + "\n" + flows("wait>e")


def _limits_diagram(key: str, lines: list[str]) -> bytes:
    """One element per line (the compiler's diagnostics name the line), start first."""
    _, data = diagram(key, "\n".join([start(), *lines, _TAIL]), target_namespace="t")
    return data


def fanout(n: int, kind: str = "parallel") -> bytes:
    """A split of ``n`` branches, one none task each, joined again before a user task."""
    lines = [f'<bpmn:{kind}Gateway id="split"/>', f'<bpmn:{kind}Gateway id="join"/>']
    lines.append(flows("s>split"))
    for i in range(n):
        lines += [task(f"t{i}"), flows(f"split>t{i}", f"t{i}>join")]
    lines.append(flows("join>wait"))
    return _limits_diagram(f"fanout_{kind}_{n}", lines)


def chain(n: int) -> bytes:
    """``n`` none tasks in a row, then a user task."""
    lines: list[str] = []
    previous = "s"
    for i in range(n):
        lines += [task(f"t{i}"), flows(f"{previous}>t{i}")]
        previous = f"t{i}"
    lines.append(flows(f"{previous}>wait"))
    return _limits_diagram(f"chain_{n}", lines)


async def _run(
    client: Client, store: Store, queue: str, xml: bytes, timeout: float
) -> dict[str, Any]:
    compiled = compile_bpmn(xml)  # with the deploy-time bounds lifted (main)
    [definition] = compiled.definitions
    _, [d] = await store_definitions.deploy(
        store, [store_definitions.Resource(f"{definition.key}.bpmn", xml, [definition])]
    )
    ref = c.DefinitionRef(key=d.key, version=d.version, sha256=d.sha256)
    wid = f"limits-{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    handle = await client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(definition=ref, variables={}),
        id=wid,
        task_queue=queue,
        search_attributes=sa.at_start(ref.key, ref.version, None),
    )
    reached: float | None = None
    outcome = "timeout"
    while time.perf_counter() - began < timeout:
        try:
            view = await commands.STATE.ask(handle, rpc_timeout=_td(5))
        except Exception as err:  # a measurement records every failure
            outcome = f"query failed: {type(err).__name__}: {str(err)[:120]}"
            await asyncio.sleep(0.5)
            continue
        if any(t.element_id == "wait" for t in view.tasks):
            reached, outcome = time.perf_counter() - began, "reached the user task"
            break
        if view.incidents:
            outcome = f"incident: {view.incidents[0].message[:160]}"
            break
        await asyncio.sleep(0.2)
    history = await handle.fetch_history()
    failed = [
        e.workflow_task_failed_event_attributes.failure.message[:200]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    biggest = max((e.ByteSize() for e in history.events), default=0)
    await handle.terminate("measured")
    return {
        "seconds_to_wait_state": round(reached, 2) if reached is not None else None,
        "outcome": outcome,
        "workflow_task_failures": len(failed),
        "first_failure": failed[0] if failed else None,
        "history_events": len(history.events),
        "largest_event_bytes": biggest,
    }


def _td(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fanout", default="250,500,1000,2000,5000")
    parser.add_argument("--inclusive", default="1000")
    parser.add_argument("--chain", default="500,1000,1999,2001,5000")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    # measure past the bounds the compiler enforces: they are what is being measured
    engine_limits.MAX_BRANCHES = engine_limits.MAX_WAIT_FREE_RUN = 10**9
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=SPEED_FLAGS,
    )
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite+aiosqlite:///{tmp}/limits.db")
        await store.init_schema()
        queue = f"limits-{uuid.uuid4().hex[:6]}"
        cases: list[tuple[str, bytes]] = []
        cases += [(f"fanout {n}", fanout(int(n))) for n in args.fanout.split(",") if n]
        cases += [
            (f"inclusive {n}", fanout(int(n), "inclusive")) for n in args.inclusive.split(",") if n
        ]
        cases += [(f"chain {n}", chain(int(n))) for n in args.chain.split(",") if n]
        worker = build_worker(env.client, store, queue)
        runner = asyncio.create_task(worker.run())
        for name, xml in cases:
            result = await _run(env.client, store, queue, xml, args.timeout)
            report[name] = result
            print(name, result, flush=True)
        print(write("engine_limits", report), flush=True)
        # a deadlocked workflow cannot be evicted, so the worker's shutdown would wait for
        # it forever: the measurements are written, leave without it
        runner.cancel()
        await store.dispose()
    await env.shutdown()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
