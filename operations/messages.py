"""Messages from outside: one delivery path for every way of addressing one.

``/v1/bpms/messages`` (correlate and publish), ``/v1/events`` and case-status
announcements (``operations/cases.py``) all deliver through this module:

* to an instance named: ``publish_to`` (a ``deliver_message`` signal; the instance keeps
  a message it does not wait for yet);
* to the instances that wait for a name (and correlation key): ``waiting_instances``
  finds them by the ``BpmnWaitingMessages`` search attribute and ``correlate`` offers the
  message to each (the instance's ``correlate_message`` validator has the last word);
  when none takes it, ``start_by_message`` starts the processes with that message start
  event, and ``deliver`` buffers what still found no taker (``buffer``);
* to the running instances of a business key: ``fan_out``, below.

The ``MessageSweeper`` delivers buffered messages to instances that start waiting for
them, and fan-outs to instances that show up late.

By business key (``fan_out``):

1. the message gets an id if it has none (each instance takes one id once);
2. it is written to the ``message_fanouts`` outbox with a settling window
   (``BATON_MESSAGE_SETTLE_SECONDS``) before anything is sent, so a crash of the
   publisher loses nothing: the sweeper finishes the job;
3. it is signalled (``deliver_message``) to every running instance of the business key
   that Temporal's visibility or the read model shows now; an instance that does not
   wait for it yet keeps it until an element subscribes;
4. during the window the sweeper looks again and signals instances started before the
   message that show up late (visibility and the read model both lag behind a start).

Nothing here depends on the read model having caught up: it is one of two sources, and
the window covers the lag of both.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from core.metrics import MESSAGES
from core.settings import Settings
from operations import calls, commands
from operations.background import BackgroundLoop
from operations.errors import Conflict, NotFound, Unavailable
from operations.instances import start_at
from store import Store, buffered_messages, business_data, definitions, message_fanouts, queries
from store.models import BufferedMessage, MessageFanOut

_log = logging.getLogger("baton.messages")

#: Instances started by a message with a message id get an id derived from it, so a
#: repeated message cannot start a second instance.
_MESSAGE_NAMESPACE = uuid.UUID("0b8f3f0e-2a47-4c7e-8d43-8a4a0f0c6e15")
SWEEP_INTERVAL = 0.5  # seconds between delivery attempts of buffered messages
IDLE_INTERVAL = 1.0  # seconds between looks at an empty outbox
#: How long a correlation that finds no candidate looks again: an instance started or
#: subscribed a moment ago shows in visibility (and the read model) a little later.
CANDIDATE_PATIENCE = 2.0

#: An instance whose start Temporal stamped up to this long after the publish still
#: counts as started before it (the API's and Temporal's clocks may differ a little).
CLOCK_GRACE = timedelta(seconds=1)


async def business_key_instances(
    client: Client,
    store: Store,
    task_queue: str,
    business_key: str,
    started_before: datetime | None = None,
) -> list[str]:
    """Running instances with this business key, oldest first: from Temporal's
    visibility (when the key can be queried exactly) and from the read model, since
    either may be the first to show a new instance."""
    found: dict[str, datetime] = {}
    if sa.unsearchable(business_key) is None:
        query = (
            f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
            f'AND TaskQueue = "{task_queue}" '
            f"AND {sa.BUSINESS_KEY.name} = {sa.literal(business_key)}"
        )
        async for execution in client.list_workflows(query):
            found[execution.id] = execution.start_time
    for row in await queries.running_instances(store, business_key):
        found.setdefault(row.id, row.start_time)
    if started_before is not None:
        limit = started_before + CLOCK_GRACE
        found = {i: t for i, t in found.items() if _utc(t) <= limit}
    return [i for i, _ in sorted(found.items(), key=lambda item: (_utc(item[1]), item[0]))]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def signal_message(client: Client, instance_id: str, message: c.DeliverMessage) -> bool:
    """Hand the message to the instance (kept there until an element takes it); False
    when the instance has ended."""
    try:
        await commands.DELIVER_MESSAGE.send(client.get_workflow_handle(instance_id), message)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def fan_out(
    client: Client,
    store: Store,
    message: c.DeliverMessage,
    business_key: str,
    *,
    task_queue: str,
    settle: timedelta,
) -> list[str]:
    """Deliver ``message`` to the business key's running instances, now and during the
    settling window; the instances reached now."""
    if message.message_id is None:
        message = message.model_copy(update={"message_id": str(uuid.uuid4())})
    assert message.message_id is not None
    row_id = str(uuid.uuid4())
    published = datetime.now(UTC)
    await message_fanouts.add(
        store,
        row_id=row_id,
        business_key=business_key,
        name=message.name,
        correlation_key=message.correlation_key,
        variables=dict(message.variables),
        message_id=message.message_id,
        published=published,
        settle=settle,
        delivered_to=[],
    )
    reached: list[str] = []
    try:
        for instance_id in await business_key_instances(client, store, task_queue, business_key):
            if await signal_message(client, instance_id, message):
                reached.append(instance_id)
    except RPCError:
        # Temporal is away for a moment: the message is in the outbox, the sweeper goes on
        _log.warning("message %s: delivery deferred to the sweeper", message.message_id)
    if reached:
        await message_fanouts.delivered(store, row_id, reached)
    return reached


async def buffer(store: Store, message: c.DeliverMessage, keep: timedelta) -> None:
    """Keep a message nobody took for ``keep``; the sweeper hands it to the first
    instance that shows waiting for it. ``DuplicateMessage`` when its id is kept already."""
    await buffered_messages.add(
        store,
        row_id=str(uuid.uuid4()),
        name=message.name,
        correlation_key=message.correlation_key,
        variables=dict(message.variables),
        message_id=message.message_id,
        time_to_live=keep,
    )
    MESSAGES.labels("buffered").inc()


async def sweep_fan_outs(client: Client, store: Store, task_queue: str) -> int:
    """One pass over the outbox: instances started before a message that show up now
    get it. Returns how many rows are still in their window."""
    rows = await message_fanouts.live(store)
    for row in rows:
        try:
            await _sweep_one(client, store, task_queue, row)
        except RPCError:  # this row waits for the next pass; the others go on
            _log.warning("message %s: Temporal did not answer; next pass", row.message_id)
    return len(rows)


async def _sweep_one(client: Client, store: Store, task_queue: str, row: MessageFanOut) -> None:
    message = c.DeliverMessage(
        name=row.name,
        correlation_key=row.correlation_key,
        variables=dict(row.variables),
        message_id=row.message_id,
    )
    seen = set(row.delivered_to)
    candidates = await business_key_instances(
        client, store, task_queue, row.business_key, started_before=_utc(row.published)
    )
    reached = [
        instance_id
        for instance_id in candidates
        if instance_id not in seen and await signal_message(client, instance_id, message)
    ]
    if reached:
        _log.info("message %s reached %s late", row.message_id, ", ".join(reached))
        await message_fanouts.delivered(store, row.id, reached)


# ------------------------------------------------- by name and correlation key


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
        result = await commands.CORRELATE.execute(
            client.get_workflow_handle(instance_id),
            message,
            rpc_timeout=calls.timeout(settings),
        )
    except WorkflowUpdateFailedError as err:
        if calls.rejection(err) == c.Rejection.MESSAGE_NOT_CORRELATED:
            return None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise Unavailable(f"no worker answered for {instance_id} in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None  # no such instance, or it has ended
        raise Unavailable(f"Temporal did not answer for {instance_id}: {err.message}") from err
    if result.element_id:  # "" acknowledges a message id taken before: no new delivery
        MESSAGES.labels("delivered").inc()
    return result.element_id


@dataclass(frozen=True)
class Taken:
    """An element of a running instance took the message."""

    instance_id: str
    element_id: str


async def correlate(
    client: Client,
    settings: Settings,
    message: c.DeliverMessage,
    candidates: list[str],
    *,
    every: bool,
) -> list[Taken]:
    """Offer the message to the candidates in order; the first taker ends the search
    unless ``every``."""
    taken: list[Taken] = []
    for instance_id in candidates:
        element_id = await correlate_one(client, settings, instance_id, message)
        if element_id is None:
            continue
        taken.append(Taken(instance_id, element_id))
        if not every:
            break
    return taken


async def settled(find: Callable[[], Awaitable[list[str]]]) -> list[str]:
    """Candidates, looked up again for up to ``CANDIDATE_PATIENCE`` seconds while none
    show: correlation answers at once and must not miss what was just started."""
    deadline = asyncio.get_running_loop().time() + CANDIDATE_PATIENCE
    while True:
        found = await find()
        if found or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.1)


async def candidates(
    client: Client,
    store: Store,
    settings: Settings,
    message: c.DeliverMessage,
    *,
    instance_id: str | None = None,
    business_key: str | None = None,
    variables_match: dict[str, Any] | None = None,
) -> list[str]:
    """Instances that may take the message, oldest first: the one named, the running
    ones with the business key, or those that wait for the message name (and key); with
    ``variables_match`` (Camunda 7's ``correlationKeys``), only those whose variables have
    those values."""
    if instance_id is not None:  # an empty id names no instance (and is no Temporal call)
        found = [instance_id] if instance_id else []
    elif business_key is not None:
        key = business_key
        found = await settled(
            lambda: business_key_instances(client, store, settings.task_queue, key)
        )
    else:
        found = await settled(
            lambda: waiting_instances(client, settings, message.name, message.correlation_key)
        )
    if not variables_match:
        return found
    matching = []
    for candidate in found:
        try:
            view = await calls.query(client, settings, candidate, commands.STATE)
        except NotFound:
            continue
        if all(k in view.variables and view.variables[k] == v for k, v in variables_match.items()):
            matching.append(candidate)
    return matching


@dataclass(frozen=True)
class StartedByMessage:
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
) -> list[StartedByMessage]:
    """Start the latest definitions whose message start event has this name (the first
    one unless ``every``); a message id makes a repeated start find the first instance."""
    results: list[StartedByMessage] = []
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
        results.append(StartedByMessage(instance_id, start_id, deployed.key))
        MESSAGES.labels("started").inc()
        if not every:
            break
    return results


# ------------------------------------------------------------------ delivering


@dataclass(frozen=True)
class Delivery:
    """Where a message went: elements that took it, instances of its business key that
    keep it (``kept``), instances it started, or the buffer."""

    taken: list[Taken]
    kept: list[str]
    started: list[StartedByMessage]
    buffered: bool = False


async def correlate_now(
    client: Client,
    store: Store,
    settings: Settings,
    message: c.DeliverMessage,
    *,
    every: bool,
    started_by: str,
    instance_id: str | None = None,
    business_key: str | None = None,
    variables_match: dict[str, Any] | None = None,
) -> Delivery:
    """Correlate at once or not at all (Camunda 7's ``POST /message``): to the named
    instance, else the business key's running instances, else those waiting for the name,
    each kept only if its variables match ``variables_match``; when none takes it and
    neither an instance nor variables were named, the processes with that message start
    event start. Nothing is buffered: the caller answers "no match" instead."""
    found = await candidates(
        client,
        store,
        settings,
        message,
        instance_id=instance_id,
        business_key=business_key,
        variables_match=variables_match,
    )
    taken = await correlate(client, settings, message, found, every=every)
    if taken or instance_id is not None or variables_match:
        return Delivery(taken, [], [])
    started = await start_by_message(
        client,
        store,
        settings,
        name=message.name,
        message_id=None,
        business_key=business_key,
        variables=dict(message.variables),
        business=None,
        started_by=started_by,
        every=every,
    )
    return Delivery([], [], started)


async def deliver(
    client: Client,
    store: Store,
    settings: Settings,
    message: c.DeliverMessage,
    *,
    every: bool,
    started_by: str,
    business_key: str | None = None,
    keep: timedelta | None = None,
    duplicate_is_conflict: bool = True,
    start_message_id: str | None = None,
    sweeper: MessageSweeper | None = None,
) -> Delivery:
    """Deliver a message addressed by name (and correlation key), the first way that
    reaches someone: to the instances waiting for it (the first, or ``every``); else, with
    a ``business_key``, to that key's running instances (``fan_out``); else by starting
    the processes with that message start event (as that business key); else into the
    buffer for ``keep`` (default: the settling window), since "nobody waits" is known only
    through visibility, which lags behind a subscription. A message id buffered already
    is a ``Conflict`` unless ``duplicate_is_conflict`` is False (then it is kept once).
    ``start_message_id`` derives the ids of the instances it starts, so a repeat finds
    them (None: fresh ids)."""
    settle = timedelta(seconds=settings.message_settle_seconds)
    waiting = await waiting_instances(client, settings, message.name, message.correlation_key)
    taken = await correlate(client, settings, message, waiting, every=every)
    if taken:
        return Delivery(taken, [], [])
    if business_key:
        # the subscription may be too new for the visibility store, or not made yet: the
        # instances of this business key keep the message until an element takes it,
        # also those that show up during the settling window
        kept = await fan_out(
            client, store, message, business_key, task_queue=settings.task_queue, settle=settle
        )
        if kept:
            return Delivery([], kept, [])
    started = await start_by_message(
        client,
        store,
        settings,
        name=message.name,
        message_id=start_message_id,
        business_key=business_key,
        variables=dict(message.variables),
        business=None,
        started_by=started_by,
        every=True,
    )
    if started:
        return Delivery([], [], started)
    try:
        await buffer(store, message, keep or settle)
    except buffered_messages.DuplicateMessage as err:
        if duplicate_is_conflict:
            raise Conflict(str(err), field="messageId") from err
    if sweeper is not None:
        sweeper.ensure_running()
    return Delivery([], [], [], buffered=True)


async def publish_to(client: Client, instance_id: str, message: c.DeliverMessage) -> None:
    """Hand the message to one running instance, which keeps it until an element takes
    it."""
    try:
        taken = await signal_message(client, instance_id, message)
    except RPCError as err:
        raise Unavailable(f"Temporal did not accept the message: {err.message}") from err
    if not taken:
        raise NotFound("no running instance to publish the message to", field="processInstanceId")


# ------------------------------------------------------------------ the sweeper


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
        MESSAGES.labels("expired").inc(await buffered_messages.drop_expired(self._store))
        pending = await buffered_messages.live(self._store)
        for row in pending:
            await self._deliver(row)
        fanning = await sweep_fan_outs(self._client, self._store, self._settings.task_queue)
        return bool(pending) or fanning > 0 or self._kicked

    async def _deliver(self, row: BufferedMessage) -> None:
        found = await waiting_instances(self._client, self._settings, row.name, row.correlation_key)
        if not found or not await buffered_messages.claim(self._store, row.id):
            return
        message = c.DeliverMessage(
            name=row.name,
            correlation_key=row.correlation_key,
            variables=dict(row.variables),
            message_id=row.message_id or row.id,
        )
        for instance_id in found:
            try:
                taker = await correlate_one(self._client, self._settings, instance_id, message)
                if taker is not None:  # "" is an instance that took this id before
                    await buffered_messages.delivered(self._store, row.id)
                    return
            except Exception:
                # the outcome is unknown (it may have been taken): try this instance again
                # next round rather than handing the message to another one now
                _log.exception("buffered message %s: delivery to %s failed", row.id, instance_id)
                break
        await buffered_messages.release(self._store, row.id)
