"""Messages and signals from outside: correlate, publish, broadcast.

Correlation is a ``correlate_message`` update on each candidate instance (the instance
decides whether an element waits for that name and correlation key, so a refused
correlation changes nothing); when no instance waits, processes with a matching message
start event start. Publishing without a target may buffer the message for its
time-to-live (``api/correlation.py``). Signals reuse the interpreter's broadcast.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request, status
from temporalio.client import (
    Client,
)
from temporalio.service import RPCError

from activities.signals import broadcast
from api import correlation, temporal_calls
from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep
from api.problems import Conflict, NotFound, Unavailable
from api.schemas import (
    CorrelatedOut,
    CorrelateMessageIn,
    CorrelationResultOut,
    PublishedOut,
    PublishMessageIn,
    SignalIn,
    SignalOut,
)
from baton.settings import Settings
from operations import messages
from store import Store, buffered_messages
from workflows import contracts as c

router = APIRouter(prefix="/v1/bpms", tags=["messages and signals"], dependencies=IDEMPOTENT)


async def _candidates(
    client: Client, store: Store, settings: Settings, body: CorrelateMessageIn
) -> list[str]:
    """Instances that may take the message, oldest first: the one named, the running
    ones with the business key, or those that wait for the message name (and key); with
    ``correlationKeys``, only those whose variables have those values."""
    if body.process_instance_id is not None:
        found = [body.process_instance_id]
    elif body.business_key is not None:
        key = body.business_key
        found = await _settled(
            lambda: messages.business_key_instances(client, store, settings.task_queue, key)
        )
    else:
        found = await _settled(
            lambda: correlation.waiting_instances(
                client, settings, body.message_name, body.correlation_key
            )
        )
    if not body.correlation_keys:
        return found
    wanted = body.correlation_keys
    matching = []
    for instance_id in found:
        try:
            view = await temporal_calls.query(
                client, settings, instance_id, c.STATE_QUERY, c.ProcessStateView
            )
        except NotFound:
            continue
        if all(k in view.variables and view.variables[k] == v for k, v in wanted.items()):
            matching.append(instance_id)
    return matching


#: How long a correlation that finds no candidate looks again: an instance started or
#: subscribed a moment ago shows in visibility (and the read model) a little later.
CANDIDATE_PATIENCE = 2.0


async def _settled(find: Callable[[], Awaitable[list[str]]]) -> list[str]:
    """Candidates, looked up again for up to ``CANDIDATE_PATIENCE`` seconds while none
    show: correlation answers at once and must not miss what was just started."""
    deadline = asyncio.get_running_loop().time() + CANDIDATE_PATIENCE
    while True:
        found = await find()
        if found or asyncio.get_running_loop().time() >= deadline:
            return found
        await asyncio.sleep(0.1)


def _started(found: list[correlation.Started]) -> list[CorrelatedOut]:
    return [
        CorrelatedOut(
            result_type="ProcessDefinition",
            process_instance_id=s.instance_id,
            activity_id=s.start_event,
            process_definition_key=s.definition_key,
        )
        for s in found
    ]


def _delivery(body: CorrelateMessageIn | PublishMessageIn) -> c.DeliverMessage:
    """The message as an instance takes it, from either way of sending one."""
    key = temporal_calls.IDEMPOTENCY_KEY.get()
    return c.DeliverMessage(
        name=body.message_name,
        correlation_key=body.correlation_key,
        variables=dict(body.process_data),
        # a client retrying with its Idempotency-Key sends the same message, taken once
        message_id=body.message_id or (f"idempotency:{key}" if key else None),
    )


@router.post(
    "/messages/correlate",
    response_model=CorrelationResultOut,
    summary="Correlate a message with waiting instances, or start one by message",
    description=(
        "Candidates: the given `processInstanceId`, else the running instances with the "
        "`businessKey`, else every running instance (oldest first). An instance takes the "
        "message when one of its elements waits for `messageName` with this "
        "`correlationKey`. With `all=false` (the default) the first taker ends the search. "
        "When no instance takes it and no instance id was given, every process whose "
        "message start event has this name is started (the latest version). 404 when "
        "nothing took the message. A `messageId` makes the call idempotent."
    ),
    responses={404: {"description": "Nothing waits for the message"}},
)
async def correlate_message(
    body: CorrelateMessageIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("events:publish")],
) -> CorrelationResultOut:
    message = _delivery(body)
    correlated: list[CorrelatedOut] = []
    for instance_id in await _candidates(client, store, settings, body):
        element_id = await correlation.correlate_one(client, settings, instance_id, message)
        if element_id is None:
            continue
        correlated.append(
            CorrelatedOut(
                result_type="Execution", process_instance_id=instance_id, activity_id=element_id
            )
        )
        if not body.all:
            break
    if not correlated and body.process_instance_id is None:
        correlated = _started(
            await correlation.start_by_message(
                client,
                store,
                settings,
                name=body.message_name,
                message_id=body.message_id,
                business_key=body.business_key,
                variables=body.process_data,
                business=body.business_data,
                started_by=principal.subject,
                every=body.all,
            )
        )
    if not correlated:
        raise NotFound(
            f"no instance waits for message {body.message_name!r}"
            + (f" with correlation key {body.correlation_key!r}" if body.correlation_key else "")
            + " and no process starts by it",
            field="messageName",
        )
    return CorrelationResultOut(correlated=correlated)


router.add_api_route(
    "/messages",
    correlate_message,
    methods=["POST"],
    name="correlate_message_short",
    response_model=CorrelationResultOut,
    summary="Correlate a message (the same as /messages/correlate)",
    responses={404: {"description": "Nothing waits for the message"}},
)


@router.post(
    "/messages/publish",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PublishedOut,
    summary="Publish a message: delivered now, or buffered until an instance waits for it",
    description=(
        "To a `processInstanceId`, or to every running instance with the `businessKey`: "
        "fire and forget, and an instance that does not wait for the message yet keeps it "
        "(the last 1,000) until an element subscribes. By business key, the message is "
        "also kept for `BATON_MESSAGE_SETTLE_SECONDS` (15 s) and reaches instances started "
        "before it that Temporal shows late (`buffered: true` when none showed yet). "
        "Without either, the message goes to the first instance waiting for its name and "
        "correlation key, else starts the processes with that message start event, else "
        "waits `timeToLive` ms (without one: the settling window) for an instance to "
        "subscribe (Zeebe's publish). A `messageId` is delivered once per instance."
    ),
    responses={
        404: {"description": "The instance named is not running"},
        409: {"description": "A message with this id is buffered already"},
    },
)
async def publish_message(
    request: Request,
    body: PublishMessageIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("events:publish")],
) -> PublishedOut:
    message = _delivery(body)
    if body.process_instance_id is None and body.business_key is None:
        return await _publish_by_name(request, body, message, client, store, settings, principal)
    if body.process_instance_id is None:
        assert body.business_key is not None
        # delivered now to the instances known now, and during the settling window to
        # those started before it that show up late
        correlation.sweeper(request, client, store, settings).ensure_running()
        reached = await messages.fan_out(
            client,
            store,
            message,
            body.business_key,
            task_queue=settings.task_queue,
            settle=timedelta(seconds=settings.message_settle_seconds),
        )
        return PublishedOut(process_instance_ids=reached, buffered=not reached)
    try:
        taken = await messages.signal_message(client, body.process_instance_id, message)
    except RPCError as err:
        raise Unavailable(f"Temporal did not accept the message: {err.message}") from err
    if not taken:
        raise NotFound("no running instance to publish the message to", field="processInstanceId")
    return PublishedOut(process_instance_ids=[body.process_instance_id])


async def _publish_by_name(
    request: Request,
    body: PublishMessageIn,
    message: c.DeliverMessage,
    client: Client,
    store: Store,
    settings: Settings,
    principal: Principal,
) -> PublishedOut:
    for instance_id in await correlation.waiting_instances(
        client, settings, body.message_name, body.correlation_key
    ):
        if await correlation.correlate_one(client, settings, instance_id, message) is not None:
            return PublishedOut(process_instance_ids=[instance_id])
    started = await correlation.start_by_message(
        client,
        store,
        settings,
        name=body.message_name,
        message_id=body.message_id,
        business_key=None,
        variables=body.process_data,
        business=None,
        started_by=principal.subject,
        every=True,
    )
    if started:
        return PublishedOut(process_instance_ids=[s.instance_id for s in started])
    # "Nobody waits now" is known only through visibility, which lags behind a
    # subscription: a message without a time-to-live is kept for the settling window,
    # so an instance that already waits (but does not show yet) gets it. A time-to-live
    # the client chose is kept as it is.
    keep = (
        timedelta(milliseconds=body.time_to_live)
        if body.time_to_live
        else timedelta(seconds=settings.message_settle_seconds)
    )
    try:
        await messages.buffer(store, message, keep)
    except buffered_messages.DuplicateMessage as err:
        raise Conflict(str(err), field="messageId") from err
    correlation.sweeper(request, client, store, settings).ensure_running()
    return PublishedOut(process_instance_ids=[], buffered=True)


@router.post(
    "/signals",
    response_model=SignalOut,
    summary="Broadcast a signal: every waiting catcher fires, signal start events start",
    description=(
        "Running instances are found through Temporal's visibility store, which is "
        "eventually consistent: an instance started a moment ago may miss the signal."
    ),
)
async def broadcast_signal(
    body: SignalIn,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("events:publish")],
) -> SignalOut:
    result = await broadcast(
        client,
        store,
        c.BroadcastSignal(
            name=body.signal_name, variables=dict(body.process_data), throw_id=str(uuid.uuid4())
        ),
        settings.task_queue,
    )
    return SignalOut(started=result.started, signalled=result.signalled)
