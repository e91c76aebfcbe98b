"""Signals between instances: a signal thrown inside one instance reaches every other
running instance and starts the processes whose start event listens for it.

A local activity of the throwing workflow, so it costs one marker event. Instances it
starts get ids derived from the throw, so a retried activity cannot start them twice.
Running instances are found through Temporal's visibility store (eventually consistent:
an instance started a moment ago may miss the signal, as a late subscriber does).
"""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from baton.starting import start_at
from store import Store, definitions
from workflows import contracts as c

_FAN_OUT = 16  # signals in flight at once


class SignalActivities:
    def __init__(self, client: Client, store: Store) -> None:
        self._client = client
        self._store = store

    @activity.defn(name=c.BROADCAST_SIGNAL)
    async def broadcast_signal(self, signal: c.BroadcastSignal) -> c.SignalBroadcast:
        return await broadcast(self._client, self._store, signal, activity.info().task_queue)


async def broadcast(
    client: Client, store: Store, signal: c.BroadcastSignal, task_queue: str
) -> c.SignalBroadcast:
    """Start the processes listening for ``signal`` and signal every running instance
    (the throwing one excepted); also what ``POST /v1/bpms/signals`` calls."""
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
                await client.get_workflow_handle(workflow_id).signal(
                    c.DELIVER_SIGNAL,
                    c.DeliverSignal(name=signal.name, variables=dict(signal.variables)),
                )
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    return False  # it ended meanwhile
                raise
            return True

    return sum(await asyncio.gather(*(send(w) for w in targets)))
