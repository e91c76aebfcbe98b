"""Messages and signals from outside: correlate, publish, broadcast.

Each route translates its body into one delivery of ``operations.messages`` (the same
path ``/v1/events`` and case announcements take) or a broadcast of
``operations.signals``, and its outcome into the Eximee answer.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Request, status

from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep, sweeper
from api.problems import NotFound
from api.schemas import (
    CorrelatedOut,
    CorrelateMessageIn,
    CorrelationResultOut,
    PublishedOut,
    PublishMessageIn,
    SignalIn,
    SignalOut,
)
from operations import messages
from operations.calls import IDEMPOTENCY_KEY
from operations.signals import broadcast

router = APIRouter(prefix="/v1/bpms", tags=["messages and signals"], dependencies=IDEMPOTENT)


def _started(found: list[messages.StartedByMessage]) -> list[CorrelatedOut]:
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
    key = IDEMPOTENCY_KEY.get()
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
    found = await messages.candidates(
        client,
        store,
        settings,
        message,
        instance_id=body.process_instance_id,
        business_key=body.business_key,
        variables_match=body.correlation_keys,
    )
    correlated = [
        CorrelatedOut(
            result_type="Execution", process_instance_id=t.instance_id, activity_id=t.element_id
        )
        for t in await messages.correlate(client, settings, message, found, every=body.all)
    ]
    if not correlated and body.process_instance_id is None:
        correlated = _started(
            await messages.start_by_message(
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
    if body.process_instance_id is not None:
        await messages.publish_to(client, body.process_instance_id, message)
        return PublishedOut(process_instance_ids=[body.process_instance_id])
    if body.business_key is not None:
        # delivered now to the instances known now, and during the settling window to
        # those started before it that show up late
        sweeper(request, client, store, settings).ensure_running()
        reached = await messages.fan_out(
            client,
            store,
            message,
            body.business_key,
            task_queue=settings.task_queue,
            settle=timedelta(seconds=settings.message_settle_seconds),
        )
        return PublishedOut(process_instance_ids=reached, buffered=not reached)
    # a message without a time-to-live is kept for the settling window (see deliver); a
    # time-to-live the client chose is kept as it is
    delivery = await messages.deliver(
        client,
        store,
        settings,
        message,
        every=False,
        started_by=principal.subject,
        keep=timedelta(milliseconds=body.time_to_live) if body.time_to_live else None,
        start_message_id=body.message_id,
        sweeper=sweeper(request, client, store, settings),
    )
    reached = [t.instance_id for t in delivery.taken] + [s.instance_id for s in delivery.started]
    return PublishedOut(process_instance_ids=reached, buffered=delivery.buffered)


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
