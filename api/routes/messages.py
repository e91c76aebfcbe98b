"""Messages and signals from outside: correlate, publish, broadcast.

Correlation is a ``correlate_message`` update on each candidate instance (the instance
itself decides whether an element waits for that name and correlation key, so a rejected
correlation changes nothing); when no instance waits, a process with a matching message
start event is started. Signals reuse the broadcast the interpreter's throw events use.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from fastapi import APIRouter, status
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.signals import broadcast
from api.auth import CurrentPrincipal
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import NotFound, Unavailable
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
from bpmn_compiler.ir import MessageEventDefinition, StartEvent
from store import Store, business_data, definitions, queries
from workflows import contracts as c
from workflows import search_attributes as sa

router = APIRouter(prefix="/v1/bpms", tags=["messages and signals"])

#: Instances started by a message with a message id get an id derived from it, so a
#: repeated message cannot start a second instance.
_MESSAGE_NAMESPACE = uuid.UUID("0b8f3f0e-2a47-4c7e-8d43-8a4a0f0c6e15")


async def _candidates(
    client: Client, store: Store, settings: Settings, body: CorrelateMessageIn
) -> list[str]:
    """Instances that may wait for the message, oldest first (this deployment's task
    queue only: instances served by other workers are not ours to answer for)."""
    if body.process_instance_id is not None:
        return [body.process_instance_id]
    if body.business_key is not None:
        return [r.id for r in await queries.running_instances(store, body.business_key)]
    query = (
        f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
        f'AND TaskQueue = "{settings.task_queue}"'
    )
    found = [(wf.start_time, wf.id) async for wf in client.list_workflows(query)]
    return [workflow_id for _, workflow_id in sorted(found)]


async def _correlate_one(
    client: Client, settings: Settings, instance_id: str, message: c.DeliverMessage
) -> str | None:
    """The element that took the message, or None when nothing there waits for it."""
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


async def _start_by_message(
    client: Client,
    store: Store,
    settings: Settings,
    body: CorrelateMessageIn,
    started_by: str,
) -> list[CorrelatedOut]:
    """Start every latest definition whose message start event has this name."""
    results: list[CorrelatedOut] = []
    for deployed in await definitions.list_latest(store):
        ir = await definitions.load_ir(store, deployed.key, deployed.version, deployed.sha256)
        for start_id in ir.start_nodes:
            start = ir.nodes[start_id]
            if not (
                isinstance(start, StartEvent)
                and isinstance(start.event, MessageEventDefinition)
                and start.event.message_name is not None
                and start.event.message_name.language == "literal"
                and start.event.message_name.source == body.message_name
            ):
                continue
            seed = f"{body.message_id}\n{deployed.key}\n{start_id}" if body.message_id else None
            instance_id = str(uuid.uuid5(_MESSAGE_NAMESPACE, seed) if seed else uuid.uuid4())
            if body.business_data is not None:
                await business_data.put(store, instance_id, body.business_data, by=started_by)
            # the same message id started it before: report that instance
            with contextlib.suppress(WorkflowAlreadyStartedError):
                await client.start_workflow(
                    c.WORKFLOW_NAME,
                    c.ProcessInput(
                        definition=c.DefinitionRef(
                            key=deployed.key, version=deployed.version, sha256=deployed.sha256
                        ),
                        business_key=body.business_key,
                        variables=dict(body.process_data),
                        started_by=started_by,
                        start_event=start_id,
                        business_data_ref=instance_id if body.business_data is not None else None,
                    ),
                    id=instance_id,
                    task_queue=settings.task_queue,
                    search_attributes=sa.at_start(
                        deployed.key, deployed.version, body.business_key
                    ),
                    static_summary=f"{deployed.key} v{deployed.version}, "
                    f"started by message {body.message_name!r}",
                )
            results.append(
                CorrelatedOut(
                    result_type="ProcessDefinition",
                    process_instance_id=instance_id,
                    activity_id=start_id,
                    process_definition_key=deployed.key,
                )
            )
            if not body.all:
                return results
    return results


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
    principal: CurrentPrincipal,
) -> CorrelationResultOut:
    message = c.DeliverMessage(
        name=body.message_name,
        correlation_key=body.correlation_key,
        variables=dict(body.process_data),
        message_id=body.message_id,
    )
    correlated: list[CorrelatedOut] = []
    for instance_id in await _candidates(client, store, settings, body):
        element_id = await _correlate_one(client, settings, instance_id, message)
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
        correlated = await _start_by_message(client, store, settings, body, principal.subject)
    if not correlated:
        raise NotFound(
            f"no instance waits for message {body.message_name!r}"
            + (f" with correlation key {body.correlation_key!r}" if body.correlation_key else "")
            + " and no process starts by it",
            field="messageName",
        )
    return CorrelationResultOut(correlated=correlated)


@router.post(
    "/messages/publish",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PublishedOut,
    summary="Publish a message to an instance: delivered now or buffered until it waits",
    description=(
        "Fire and forget, to the given `processInstanceId` or to every running instance "
        "with the `businessKey`. An instance that does not wait for the message yet keeps "
        "it (the last 1,000) until an element subscribes; a `messageId` it has seen "
        "before is ignored, so publishing twice delivers once."
    ),
    responses={404: {"description": "No running instance to publish to"}},
)
async def publish_message(
    body: PublishMessageIn, client: ClientDep, store: StoreDep, _: CurrentPrincipal
) -> PublishedOut:
    if body.process_instance_id is not None:
        targets = [body.process_instance_id]
    else:
        assert body.business_key is not None
        targets = [r.id for r in await queries.running_instances(store, body.business_key)]
    message = c.DeliverMessage(
        name=body.message_name,
        correlation_key=body.correlation_key,
        variables=dict(body.process_data),
        message_id=body.message_id,
    )
    delivered: list[str] = []
    for instance_id in targets:
        try:
            await client.get_workflow_handle(instance_id).signal(c.DELIVER_MESSAGE, message)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue
            raise Unavailable(f"Temporal did not accept the message: {err.message}") from err
        delivered.append(instance_id)
    if not delivered:
        raise NotFound("no running instance to publish the message to", field="processInstanceId")
    return PublishedOut(process_instance_ids=delivered)


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
    body: SignalIn, client: ClientDep, store: StoreDep, settings: SettingsDep, _: CurrentPrincipal
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
