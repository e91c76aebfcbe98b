"""History events each BPMN element costs on the interpreter (issue 5: "report events per
element"). Each case runs a one-element process on a real dev server and subtracts the
events of the empty process (start → end) measured in the same run.

    .venv/bin/python -m bench.events_per_element
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from baton.worker import build_worker
from bpmn_compiler import compile_bpmn
from core.devserver import SPEED_FLAGS, temporal_binary
from operations import commands
from store import Store
from store import definitions as store_definitions
from tests.support.bpmn import diagram, end, flows, start

REPEATS = 5
RESULTS = Path(__file__).resolve().parent / "results" / "events_per_element.json"
CASES = {
    "empty (start → end)": "",
    "service task (activity)": '<bpmn:serviceTask id="x" camunda:asyncBefore="true">'
    '<bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>'
    "</bpmn:extensionElements></bpmn:serviceTask>",
    "built-in service task (local activity)": '<bpmn:serviceTask id="x">'
    '<bpmn:extensionElements><zeebe:taskDefinition type="baton.noop"/>'
    "</bpmn:extensionElements></bpmn:serviceTask>",
    "script task (FEEL, in the workflow)": '<bpmn:scriptTask id="x"><bpmn:extensionElements>'
    '<zeebe:script expression="= 1 + 1" resultVariable="r"/>'
    "</bpmn:extensionElements></bpmn:scriptTask>",
    "user task (update)": '<bpmn:userTask id="x"/>',
    "timer catch (fired)": '<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
    "message catch (update)": '<bpmn:intermediateCatchEvent id="x"><bpmn:messageEventDefinition '
    'messageRef="m"/></bpmn:intermediateCatchEvent>',
}


def _diagram(key: str, element: str) -> bytes:
    """start → the element under test (``x``; none for the empty case) → end."""
    path = ("s>x", "x>e") if element else ("s>e",)
    _, data = diagram(
        key, start() + element + end() + flows(*path), top='<bpmn:message id="m" name="go"/>'
    )
    return data


async def _drive(handle: Any) -> None:
    for _ in range(200):
        view = await commands.STATE.ask(handle, rpc_timeout=None)
        if view.state is c.InstanceState.COMPLETED:
            return
        for task in view.tasks:
            if task.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED):
                await commands.COMPLETE.execute(handle, c.CompleteUserTask(task_id=task.id))
        for element in view.waiting_timers:
            await commands.FIRE_TIMER.execute(handle, c.FireTimer(element_id=element))
        for element in view.waiting_elements:
            await commands.CORRELATE.execute(
                handle, c.DeliverMessage(name="go", element_id=element)
            )
        await asyncio.sleep(0.05)


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=SPEED_FLAGS,
    )
    runs: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await store.init_schema()
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, store, queue):
            # The first workflow on a fresh worker pays one-off costs (sticky-queue
            # set-up), so a warm-up run of the empty process is not counted.
            for n, (label, element) in enumerate([("warm-up", ""), *CASES.items()]):
                key = f"bench{n}"
                data = _diagram(key, element)
                [definition] = compile_bpmn(data).definitions
                _, [d] = await store_definitions.deploy(
                    store, [store_definitions.Resource(f"{key}.bpmn", data, [definition])]
                )
                ref = c.DefinitionRef(key=d.key, version=d.version, sha256=d.sha256)
                for _ in range(REPEATS):
                    handle = await env.client.start_workflow(
                        c.WORKFLOW_NAME,
                        c.ProcessInput(definition=ref),
                        id=f"{key}-{uuid.uuid4().hex[:6]}",
                        task_queue=queue,
                        result_type=c.ProcessResult,
                    )
                    await _drive(handle)
                    await handle.result()
                    history = await handle.fetch_history()
                    runs.setdefault(label, []).append(len(history.events))
        await store.dispose()
    await env.shutdown()
    runs.pop("warm-up")
    # The minimum is the element's intrinsic cost; more events in a run come from
    # extra workflow tasks when a query or update lands mid-task (timing, not design).
    base = min(runs["empty (start → end)"])
    rows = [
        {"element": k, "events": min(v), "over_empty": min(v) - base, "max_seen": max(v)}
        for k, v in runs.items()
    ]
    print(f"{'element':<40} {'events':>7} {'over empty':>11} {'max seen':>9}")
    for row in rows:
        print(
            f"{row['element']:<40} {row['events']:>7} {row['over_empty']:>11} {row['max_seen']:>9}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "events_per_element",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.name}")


if __name__ == "__main__":
    asyncio.run(main())
    # A process that ran a worker can abort during interpreter finalisation
    # (sdk-python#300); the results are written, so leave without finalising.
    sys.stdout.flush()
    os._exit(0)
