"""Signals: a broadcast reaches every running instance and starts the processes whose
start event listens for it.

Thrown inside an instance (the ``baton.broadcast_signal`` local activity) or sent from
outside (``POST /v1/bpms/signals``, ``/v1/events``), a signal takes this one path.
Instances it starts get ids derived from the throw, so a retried activity or a repeated
event cannot start them twice. Running instances are found through Temporal's visibility
store (eventually consistent: an instance started a moment ago may miss the signal, as a
late subscriber does).
"""

from __future__ import annotations

import asyncio

from baton_client.contracts import bpmn as c
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from operations import commands
from operations.instances import start_at
from store import Store, definitions

_FAN_OUT = 16  # signals in flight at once


async def broadcast(
    client: Client, store: Store, signal: c.BroadcastSignal, task_queue: str
) -> c.SignalBroadcast:
    """Start the processes listening for ``signal`` and signal every running instance
    (the throwing one excepted)."""
    started = await _start_listeners(client, store, signal, task_queue)
    signalled = await _signal_running(client, signal, set(started), task_queue)
    return c.SignalBroadcast(started=started, signalled=signalled)


async def _start_listeners(
    client: Client, store: Store, signal: c.BroadcastSignal, task_queue: str
) -> list[str]:
    # ids derived from the throw: a retry of the activity finds what it started
    return [
        await start_at(
            client,
            deployed,
            start_id,
            workflow_id=c.thrown_start_id(signal.sender_instance_id, signal.throw_id, start_id),
            task_queue=task_queue,
            summary=f"started by signal {signal.name!r}",
            variables=signal.variables,
        )
        for deployed, start_id in await definitions.listeners(store, "signal", signal.name)
    ]


async def _signal_running(
    client: Client, signal: c.BroadcastSignal, skip: set[str], task_queue: str
) -> int:
    """Signal the running instances served on ``task_queue`` (this deployment's)."""
    skip.add(signal.sender_instance_id or "")
    query = (
        f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
        f'AND TaskQueue = "{task_queue}"'
    )
    targets = [wf.id async for wf in client.list_workflows(query) if wf.id not in skip]
    gate = asyncio.Semaphore(_FAN_OUT)

    async def send(workflow_id: str) -> bool:
        async with gate:
            try:
                await commands.DELIVER_SIGNAL.send(
                    client.get_workflow_handle(workflow_id),
                    c.DeliverSignal(name=signal.name, variables=dict(signal.variables)),
                )
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    return False  # it ended meanwhile
                raise
            return True

    return sum(await asyncio.gather(*(send(w) for w in targets)))
