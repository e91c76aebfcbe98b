"""One way to deliver a message to the running instances of a business key.

Every way of addressing a message by business key -- ``/v1/bpms/messages`` (publish and
correlate), case-status announcements, ``/v1/events`` -- goes through ``fan_out``:

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

import logging
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from store import Store, buffered_messages, message_fanouts, queries
from store.models import MessageFanOut
from workflows import contracts as c
from workflows import search_attributes as sa

_log = logging.getLogger("baton.messages")

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
        await client.get_workflow_handle(instance_id).signal(c.DELIVER_MESSAGE, message)
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
