"""Finding the instance a message is for, and delivering buffered messages.

Candidates come from the ``BpmnWaitingMessages`` search attribute (instances publish the
names and correlation keys they wait for), so correlating by key asks only the instances
that wait for that message; each one's ``correlate_message`` validator has the last word.
Messages published with a time-to-live that nobody took are buffered in the store; the
sweeper retries them while any are left and stops when the buffer is empty.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Unavailable
from baton.settings import Settings
from baton.starting import start_at
from operations import messages
from operations.background import BackgroundLoop
from store import Store, buffered_messages, business_data, definitions
from workflows import contracts as c
from workflows import search_attributes as sa

_log = logging.getLogger("baton.api.messages")

#: Instances started by a message with a message id get an id derived from it, so a
#: repeated message cannot start a second instance.
_MESSAGE_NAMESPACE = uuid.UUID("0b8f3f0e-2a47-4c7e-8d43-8a4a0f0c6e15")
SWEEP_INTERVAL = 0.5  # seconds between delivery attempts of buffered messages
IDLE_INTERVAL = 1.0  # seconds between looks at an empty outbox


async def waiting_instances(
    client: Client, settings: Settings, name: str, correlation_key: str | None
) -> list[str]:
    """Running instances on this deployment's task queue that wait for the message,
    oldest first (the visibility store is eventually consistent: a subscription a moment
    old may not show yet)."""
    query = (
        f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
        f'AND TaskQueue = "{settings.task_queue}" AND {sa.waiting_query(name, correlation_key)}'
    )
    found = [(wf.start_time, wf.id) async for wf in client.list_workflows(query)]
    return [workflow_id for _, workflow_id in sorted(found)]


async def correlate_one(
    client: Client, settings: Settings, instance_id: str, message: c.DeliverMessage
) -> str | None:
    """The element that took the message, or None when nothing there waits for it (an
    instance that saw the message id before acknowledges with an empty element id)."""
    try:
        result: c.MessageCorrelated = await client.get_workflow_handle(instance_id).execute_update(
            c.CORRELATE_MESSAGE,
            message,
            result_type=c.MessageCorrelated,
            rpc_timeout=timedelta(seconds=settings.temporal_rpc_timeout_seconds),
        )
    except WorkflowUpdateFailedError as err:
        if isinstance(err.cause, ApplicationError) and err.cause.type == "MessageNotCorrelated":
            return None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise Unavailable(f"no worker answered for {instance_id} in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None  # no such instance, or it has ended
        raise Unavailable(f"Temporal did not answer for {instance_id}: {err.message}") from err
    return result.element_id


@dataclass(frozen=True)
class Started:
    instance_id: str
    start_event: str
    definition_key: str


async def start_by_message(
    client: Client,
    store: Store,
    settings: Settings,
    *,
    name: str,
    message_id: str | None,
    business_key: str | None,
    variables: dict[str, Any],
    business: dict[str, Any] | None,
    started_by: str,
    every: bool,
) -> list[Started]:
    """Start the latest definitions whose message start event has this name (the first
    one unless ``every``); a message id makes a repeated start find the first instance."""
    results: list[Started] = []
    for deployed, start_id in await definitions.listeners(store, "message", name):
        seed = f"{message_id}\n{deployed.key}\n{start_id}" if message_id else None
        instance_id = str(uuid.uuid5(_MESSAGE_NAMESPACE, seed) if seed else uuid.uuid4())
        if business is not None:
            await business_data.put(store, instance_id, business, by=started_by, replace=False)
        # the same message id started it before: that instance is reported
        await start_at(
            client,
            deployed,
            start_id,
            workflow_id=instance_id,
            task_queue=settings.task_queue,
            summary=f"started by message {name!r}",
            variables=variables,
            business_key=business_key,
            started_by=started_by,
            business_data_ref=instance_id if business is not None else None,
        )
        results.append(Started(instance_id, start_id, deployed.key))
        if not every:
            break
    return results


class MessageSweeper(BackgroundLoop):
    """Delivers buffered messages to instances that start waiting for them, and
    business-key fan-outs to instances that show up late; one per app, for its life
    (rows may come from another process, a worker's activity: an empty outbox is looked
    at again, only less often)."""

    name = "baton-message-sweeper"
    busy_interval = SWEEP_INTERVAL
    idle_interval = IDLE_INTERVAL

    def __init__(self, client: Client, store: Store, settings: Settings) -> None:
        super().__init__()
        self._client = client
        self._store = store
        self._settings = settings
        self._kicked = False

    def ensure_running(self) -> None:
        self._kicked = True  # a sweep that just found the buffer empty looks again
        self.start()

    async def pass_once(self) -> bool:
        self._kicked = False
        pending = await buffered_messages.live(self._store)
        for row in pending:
            await self._deliver(row)
        fanning = await messages.sweep_fan_outs(
            self._client, self._store, self._settings.task_queue
        )
        return bool(pending) or fanning > 0 or self._kicked

    async def _deliver(self, row: Any) -> None:
        candidates = await waiting_instances(
            self._client, self._settings, row.name, row.correlation_key
        )
        if not candidates or not await buffered_messages.claim(self._store, row.id):
            return
        message = c.DeliverMessage(
            name=row.name,
            correlation_key=row.correlation_key,
            variables=dict(row.variables),
            message_id=row.message_id or row.id,
        )
        for instance_id in candidates:
            try:
                if (
                    await correlate_one(self._client, self._settings, instance_id, message)
                    is not None
                ):
                    await buffered_messages.delivered(self._store, row.id)
                    return
            except Exception:
                # the outcome is unknown (it may have been taken): try this instance again
                # next round rather than handing the message to another one now
                _log.exception("buffered message %s: delivery to %s failed", row.id, instance_id)
                break
        await buffered_messages.release(self._store, row.id)


def sweeper(request: Request, client: Client, store: Store, settings: Settings) -> MessageSweeper:
    """The app's one message sweeper (created on first use; the lifespan starts it in a
    served app, a route that writes to the outbox makes sure it runs)."""
    found: MessageSweeper | None = getattr(request.app.state, "sweeper", None)
    if found is None:
        found = MessageSweeper(client, store, settings)
        request.app.state.sweeper = found
    return found
