"""``POST /v1/events``: notifications from other domains (a scoring system, a CRM, a
payment gateway) as CloudEvents-like envelopes, turned into BPMN messages or signals.

* ``type`` is the message (or signal) name; ``subject`` is the correlation key -- a
  business key or case number the waiting element subscribes with; ``data`` becomes
  process variables.
* A message goes to every running instance waiting for it with that key; when none
  waits, it is handed to the running instances whose business key is the subject (they
  keep it until an element subscribes); when there are none, the processes whose message
  start event has that name are started (with the subject as business key). A signal is
  broadcast.
* Events are deduplicated by ``id``: a repeat is answered with the first outcome
  (``duplicate: true``) and delivered nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep, sweeper
from api.limits import Variables
from api.schemas import Searchable, Wire
from core.settings import Settings
from operations import messages
from operations.signals import broadcast
from store.db import Store
from store.models import ReceivedEvent

router = APIRouter(prefix="/v1/events", tags=["events"])


class EventIn(Wire):
    id: str = Field(min_length=1, max_length=255, description="Unique per source; deduplicates.")
    source: str = Field(min_length=1, max_length=255, description="The reporting domain.")
    type: Searchable = Field(
        min_length=1, max_length=255, description="The message or signal name."
    )
    time: datetime | None = Field(default=None, description="When it happened.")
    subject: Searchable | None = Field(
        default=None, max_length=255, description="Correlation key: business key or case id."
    )
    data: Variables = Field(default_factory=dict, description="Becomes process variables.")
    deliver_as: Literal["message", "signal"] = Field(
        default="message", description="A BPMN message (default) or a signal broadcast."
    )


class DeliveryOut(Wire):
    process_instance_id: str = Field(description="The instance reached.")
    result_type: Literal["Execution", "ProcessDefinition", "Delivered"] = Field(
        description="Execution: a waiting element took it; ProcessDefinition: it started the "
        "instance; Delivered: handed to a running instance with the subject as business key, "
        "which takes it when an element subscribes."
    )
    activity_id: str | None = Field(description="The element that took it, when known.")


class EventOut(Wire):
    accepted: bool = Field(description="Always true: the event was taken.")
    duplicate: bool = Field(description="True when this id was seen before (not delivered).")
    correlated: list[DeliveryOut] = Field(description="Where it went.")
    signalled: int = Field(default=0, description="Running instances a signal was sent to.")


async def _deliver(
    client: Client, store: Store, settings: Settings, event: EventIn
) -> tuple[list[DeliveryOut], int]:
    if event.deliver_as == "signal":
        done = await broadcast(
            client,
            store,
            c.BroadcastSignal(name=event.type, variables=event.data, throw_id=event.id),
            settings.task_queue,
        )
        started = [
            DeliveryOut(process_instance_id=i, result_type="ProcessDefinition", activity_id=None)
            for i in done.started
        ]
        return started, done.signalled
    message = c.DeliverMessage(
        name=event.type, correlation_key=event.subject, variables=event.data, message_id=event.id
    )
    # an instance already waiting with this key (under another business key) that does
    # not show yet takes a buffered message when it shows, as a buffered publish would
    delivery = await messages.deliver(
        client,
        store,
        settings,
        message,
        every=True,
        started_by=f"event:{event.source}",
        business_key=event.subject,
        duplicate_is_conflict=False,
        start_message_id=event.id,
    )
    return [
        *(
            DeliveryOut(
                process_instance_id=t.instance_id, result_type="Execution", activity_id=t.element_id
            )
            for t in delivery.taken
        ),
        *(
            DeliveryOut(process_instance_id=i, result_type="Delivered", activity_id=None)
            for i in delivery.kept
        ),
        *(
            DeliveryOut(
                process_instance_id=s.instance_id,
                result_type="ProcessDefinition",
                activity_id=s.start_event,
            )
            for s in delivery.started
        ),
    ], 0


@router.post(
    "",
    status_code=202,
    response_model=EventOut,
    summary="Report a domain event: correlated as a message (or signal), deduplicated by id",
    responses={200: {"description": "A repeat of an event already taken: its first outcome"}},
)
async def receive_event(
    request: Request,
    event: EventIn,
    response: Response,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("events:publish")],
) -> EventOut:
    async with store.session() as session:
        seen = await session.get(ReceivedEvent, event.id)
    if seen is not None:
        response.status_code = 200
        return EventOut.model_validate({**seen.outcome, "duplicate": True})
    sweeper(request, client, store, settings).ensure_running()
    correlated, signalled = await _deliver(client, store, settings, event)
    outcome = EventOut(accepted=True, duplicate=False, correlated=correlated, signalled=signalled)
    try:
        async with store.session() as session, session.begin():
            session.add(
                ReceivedEvent(
                    id=event.id,
                    source=event.source,
                    type=event.type,
                    received=datetime.now(UTC),
                    outcome=outcome.model_dump(by_alias=True),
                )
            )
    except IntegrityError:  # the same id raced this call and was recorded first
        response.status_code = 200
        return outcome.model_copy(update={"duplicate": True})
    return outcome
