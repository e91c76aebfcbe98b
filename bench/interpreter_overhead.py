"""Interpreter overhead: the reference process run by ``BpmnProcess`` and by a
hand-written Temporal workflow calling the same activities, interleaved on one dev server
and worker; plus trivial workflows/s, the server's ceiling, in the same run.

Reference process: start → 3 service tasks → exclusive gateway → parallel split of 2
service tasks → join → end. Reports instances/s, p50/p95 end-to-end latency (start to
result) and history events per instance, and Baton's ratios to the hand-written
workflow. Two Baton rows: ``baton`` runs the diagram as drawn (its built-in ``baton.noop``
tasks are synchronous, so they run as local activities, the speed lever DESIGN.md
describes); ``baton-async`` marks every service task ``camunda:asyncBefore``, so each is
a regular activity exactly as in the hand-written workflow: the interpreter's own cost.
Writes bench/results/interpreter_overhead.json.

    .venv/bin/python -m bench.interpreter_overhead [--instances 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import build_activities
from bench.reference_workflows import ReferenceProcess, Trivial
from bench.report import percentile, write
from bpmn_compiler import compile_bpmn
from core.devserver import SPEED_FLAGS, temporal_binary
from store import Store
from store import definitions as store_definitions
from workflows.bpmn_process import BpmnProcess
from workflows.runner import workflow_runner

CONCURRENCY = 10
REFERENCE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_ref">
  <bpmn:process id="reference" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="a"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="b"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="c"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:exclusiveGateway id="x" default="small"/>
    <bpmn:serviceTask id="big"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:parallelGateway id="split"/>
    <bpmn:serviceTask id="p1"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="p2"><bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:parallelGateway id="join"/>
    <bpmn:endEvent id="e"/>
    <bpmn:endEvent id="e_big"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="c"/>
    <bpmn:sequenceFlow id="f4" sourceRef="c" targetRef="x"/>
    <bpmn:sequenceFlow id="large" sourceRef="x" targetRef="big">
      <bpmn:conditionExpression>= amount &gt; 10</bpmn:conditionExpression>
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

#: the same process with every service task marked ``camunda:asyncBefore``: each one a
#: regular activity, as in the hand-written workflow
REFERENCE_ASYNC = REFERENCE.replace(b'id="reference"', b'id="reference_async"').replace(
    b"<bpmn:serviceTask ", b'<bpmn:serviceTask camunda:asyncBefore="true" '
)

Starter = Callable[[str], Awaitable[Any]]


async def _batch(start: Starter, count: int) -> tuple[float, list[float], list[str]]:
    """Run ``count`` instances, CONCURRENCY at a time: wall seconds, latencies (ms), ids."""
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []
    ids: list[str] = []

    async def one() -> None:
        async with gate:
            workflow_id = f"bench-{uuid.uuid4().hex[:10]}"
            began = time.perf_counter()
            handle = await start(workflow_id)
            await handle.result()
            latencies.append((time.perf_counter() - began) * 1000)
            ids.append(workflow_id)

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - began, latencies, ids


async def _events(client: Client, ids: list[str]) -> float:
    counts = [len((await client.get_workflow_handle(i).fetch_history()).events) for i in ids]
    return statistics.mean(counts)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=60, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="run only this kind (for a profiler); no report")
    args = parser.parse_args()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=SPEED_FLAGS,
    )
    client = env.client
    kinds = ("baton", "baton-async", "hand-written", "trivial")
    totals: dict[str, dict[str, Any]] = {
        k: {"seconds": 0.0, "count": 0, "latencies": [], "ids": []} for k in kinds
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await store.init_schema()
        refs: dict[str, c.DefinitionRef] = {}
        for name, xml in (("reference.bpmn", REFERENCE), ("async.bpmn", REFERENCE_ASYNC)):
            [definition] = compile_bpmn(xml).definitions
            _, [d] = await store_definitions.deploy(
                store, [store_definitions.Resource(name, xml, [definition])]
            )
            refs[d.key] = c.DefinitionRef(key=d.key, version=d.version, sha256=d.sha256)
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        variables = {"amount": 5}  # the parallel branch

        def baton(ref: c.DefinitionRef) -> Starter:
            return lambda wid: client.start_workflow(
                c.WORKFLOW_NAME,
                c.ProcessInput(definition=ref, variables=variables),
                id=wid,
                task_queue=queue,
                search_attributes=sa.at_start(ref.key, ref.version, None),
            )

        starters: dict[str, Starter] = {
            "baton": baton(refs["reference"]),
            "baton-async": baton(refs["reference_async"]),
            "hand-written": lambda wid: client.start_workflow(
                ReferenceProcess.run, variables, id=wid, task_queue=queue
            ),
            "trivial": lambda wid: client.start_workflow(Trivial.run, id=wid, task_queue=queue),
        }
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[BpmnProcess, ReferenceProcess, Trivial],
            activities=build_activities(store, client),
            workflow_runner=workflow_runner(),
        )
        async with worker:
            for start in starters.values():  # warm-up: sticky caches, imports
                await _batch(start, CONCURRENCY)
            if args.profile:
                await _batch(starters[args.profile], args.instances * args.rounds)
                return
            for _ in range(args.rounds):  # interleaved, so drift hits all kinds alike
                for kind, start in starters.items():
                    seconds, latencies, ids = await _batch(start, args.instances)
                    totals[kind]["seconds"] += seconds
                    totals[kind]["count"] += args.instances
                    totals[kind]["latencies"] += latencies
                    totals[kind]["ids"] += ids
            report: dict[str, Any] = {}
            for kind, t in totals.items():
                report[kind] = {
                    "instances_per_second": round(t["count"] / t["seconds"], 1),
                    "p50_ms": round(percentile(t["latencies"], 0.5), 1),
                    "p95_ms": round(percentile(t["latencies"], 0.95), 1),
                    "history_events": round(await _events(client, t["ids"][:10]), 1),
                }
        await store.dispose()
    await env.shutdown()
    hand = report["hand-written"]

    def ratios_of(row: dict[str, Any]) -> dict[str, float]:
        return {
            "throughput": round(row["instances_per_second"] / hand["instances_per_second"], 2),
            "history_events": round(row["history_events"] / hand["history_events"], 2),
            "p50_latency": round(row["p50_ms"] / hand["p50_ms"], 2),
            "vs_trivial_ceiling": round(
                row["instances_per_second"] / report["trivial"]["instances_per_second"], 2
            ),
        }

    ratios = ratios_of(report["baton"])
    ratios_async = ratios_of(report["baton-async"])
    print(f"{'kind':<14} {'inst/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'events':>7}")
    for kind, row in report.items():
        print(
            f"{kind:<14} {row['instances_per_second']:>8} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['history_events']:>7}"
        )
    print("baton / hand-written:", json.dumps(ratios))
    print("baton-async / hand-written:", json.dumps(ratios_async))
    write(
        "interpreter_overhead",
        {
            "instances_per_kind": args.instances * args.rounds,
            "concurrency": CONCURRENCY,
            "kinds": report,
            "ratios": ratios,
            "ratios_async": ratios_async,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
    # sdk-python#300: a process that ran a worker can abort while finalising
    sys.stdout.flush()
    os._exit(0)
