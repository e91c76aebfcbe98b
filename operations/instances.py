"""Starting, cancelling and changing ``BpmnProcess`` instances: one way to do each.

Every start goes through ``_launch`` -- the Eximee and ONEWEB start routes (``start``),
and signal and message start events, message flows between pools and correlation
(``start_at``) -- so an instance carries the same input, search attributes and summary in
the Web UI however it began.

``start_at`` starts under a workflow id derived from what triggered it, so a retried
activity or a repeated request finds the instance it started the first time instead of
starting a second one; ``start`` does the same for a client's ``Idempotency-Key``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from operations import calls, commands
from operations.errors import Conflict, Invalid, NotFound, Unavailable
from store import Store, business_data
from store.definitions import DeployedDefinition

#: Ids of instances started with an Idempotency-Key: the same caller and key always
#: name the same workflow id, so Temporal itself refuses a second start.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c2a64-6d0e-4c57-9a7e-3b0e5d1c9b21")


@dataclass(frozen=True)
class Started:
    """An instance a start created, or (``replayed``) the one an earlier start with the
    same key created; ``raced``: that earlier start ran at the same moment as this one."""

    instance_id: str
    definition_key: str
    version: int
    business_key: str | None
    state: str
    start_time: datetime
    end_time: datetime | None = None
    replayed: bool = False
    raced: bool = False


async def _launch(
    client: Client,
    deployed: DeployedDefinition,
    *,
    workflow_id: str,
    task_queue: str,
    summary: str,
    details: str | None = None,
    **input_fields: Any,
) -> WorkflowHandle[Any, c.ProcessResult]:
    """The one ``start_workflow`` of a ``BpmnProcess``; ``input_fields`` are the further
    ``ProcessInput`` fields (variables, business key, start event, partners …)."""
    return await client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=c.DefinitionRef(
                key=deployed.key, version=deployed.version, sha256=deployed.sha256
            ),
            **input_fields,
        ),
        id=workflow_id,
        result_type=c.ProcessResult,
        task_queue=task_queue,
        search_attributes=sa.at_start(
            deployed.key, deployed.version, input_fields.get("business_key")
        ),
        static_summary=summary,
        static_details=details,
    )


async def start(
    client: Client,
    store: Store,
    settings: Settings,
    deployed: DeployedDefinition,
    *,
    started_by: str,
    variables: dict[str, Any],
    business_key: str | None = None,
    business: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Started:
    """Start ``deployed`` at its none start event for a caller. With ``idempotency_key``
    the same caller and key always name the same instance: a repeat answers the first
    one (``replayed``); a key used for another process is ``Invalid``. ``business`` is
    stored as the instance's business data before it starts."""
    if idempotency_key:
        instance_id = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{started_by}\n{idempotency_key}"))
        earlier = await _replay(client, settings, instance_id, deployed.key)
        if earlier is not None:
            return earlier
    else:
        instance_id = str(uuid.uuid4())
    if business is not None:
        # a racing request with the same key must not overwrite the winner's data
        await business_data.put(store, instance_id, business, by=started_by, replace=False)
    summary = f"{deployed.name or deployed.key} v{deployed.version}"
    if business_key:
        summary += f" · {business_key}"
    try:
        handle = await _launch(
            client,
            deployed,
            workflow_id=instance_id,
            task_queue=settings.task_queue,
            summary=summary,
            details=(
                f"BPMN process `{deployed.key}` version {deployed.version} (sha256 "
                f"`{deployed.sha256[:12]}`), started by {started_by} through the Eximee BPMS API."
            ),
            business_key=business_key,
            variables=variables,
            started_by=started_by,
            business_data_ref=instance_id if business is not None else None,
        )
    except WorkflowAlreadyStartedError:  # the same key raced this request and won
        earlier = await _replay(client, settings, instance_id, deployed.key)
        assert earlier is not None
        return Started(**{**earlier.__dict__, "raced": True})
    described = await handle.describe()
    return Started(
        instance_id=instance_id,
        definition_key=deployed.key,
        version=deployed.version,
        business_key=business_key,
        state=c.InstanceState.ACTIVE.value,
        start_time=described.start_time,
    )


async def _replay(
    client: Client, settings: Settings, instance_id: str, definition_key: str
) -> Started | None:
    """The instance an earlier start with the same Idempotency-Key created, if any."""
    try:
        described = await client.get_workflow_handle(instance_id).describe(
            rpc_timeout=calls.timeout(settings)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise Unavailable(f"Temporal did not answer for {instance_id}: {err.message}") from err
    attributes = described.typed_search_attributes
    key = attributes.get(sa.PROCESS_KEY)
    if key != definition_key:
        raise Invalid(
            f"this Idempotency-Key already started an instance of {key!r}, not of "
            f"{definition_key!r}",
            field="Idempotency-Key",
        )
    return Started(
        instance_id=instance_id,
        definition_key=definition_key,
        version=attributes.get(sa.PROCESS_VERSION) or 0,
        business_key=attributes.get(sa.BUSINESS_KEY),
        state=attributes.get(sa.STATE) or c.InstanceState.ACTIVE.value,
        start_time=described.start_time,
        end_time=described.close_time,
        replayed=True,
    )


async def start_at(
    client: Client,
    deployed: DeployedDefinition,
    start_event: str,
    *,
    workflow_id: str,
    task_queue: str,
    summary: str,
    variables: dict[str, Any],
    **input_fields: Any,
) -> str:
    """Start ``deployed`` at ``start_event`` as ``workflow_id`` (or find it started);
    ``input_fields`` are further ``ProcessInput`` fields (business key, partners …)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await _launch(
            client,
            deployed,
            workflow_id=workflow_id,
            task_queue=task_queue,
            summary=f"{deployed.key} v{deployed.version}, {summary}",
            variables=dict(variables),
            start_event=start_event,
            **input_fields,
        )
    return workflow_id


async def exists(client: Client, settings: Settings, instance_id: str) -> None:
    """``NotFound`` for an unknown instance (an update to one would read as "not
    running")."""
    try:
        await client.get_workflow_handle(instance_id).describe(rpc_timeout=calls.timeout(settings))
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(f"no process instance {instance_id}") from err
        raise Unavailable(f"Temporal did not answer for {instance_id}: {err.message}") from err


@dataclass(frozen=True)
class Cancelled:
    """The instance's state after a cancellation; ``ended`` False: it is still winding
    down after the wait."""

    view: c.ProcessStateView
    ended: bool


async def cancel(
    client: Client, settings: Settings, instance_id: str, *, reason: str | None, by: str
) -> Cancelled:
    """Record who cancels and why (the ``cancel_instance`` update), cancel the workflow
    and wait (up to the RPC timeout) until it has ended. ``Conflict`` when it had ended
    before, naming how."""
    await exists(client, settings, instance_id)
    try:
        await calls.update(
            client,
            settings,
            instance_id,
            commands.CANCEL_INSTANCE,
            c.CancelInstance(reason=reason, user_id=by),
        )
    except Conflict as err:  # only a running instance can be cancelled: say how it ended
        before = await calls.state_view(client, settings, instance_id)
        raise Conflict(
            f"process instance {instance_id} is {before.state.value}: nothing to cancel",
            code=c.Rejection.INSTANCE_ENDED.value,
        ) from err
    try:
        await client.get_workflow_handle(instance_id).cancel(
            reason=reason or "", rpc_timeout=calls.timeout(settings)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:  # it ended between the two calls
            raise Conflict(f"process instance {instance_id} has ended") from err
        raise Unavailable(f"Temporal did not accept the cancellation: {err.message}") from err
    ended = await calls.wait_for_end(client, instance_id, calls.timeout(settings))
    view = await calls.state_view(client, settings, instance_id)
    if view.end_time is not None and view.state != c.InstanceState.TERMINATED:
        # it ended on its own between the update and the cancel request
        raise Conflict(
            f"process instance {instance_id} is {view.state.value}: it ended before the "
            "cancellation took effect",
            code=c.Rejection.INSTANCE_ENDED.value,
        )
    return Cancelled(view, ended)


async def fire_timer(
    client: Client, settings: Settings, instance_id: str, element_id: str
) -> c.ProcessStateView:
    """Fire the timer ``element_id`` waits on now (Cockpit's "execute job now" on a timer
    job): the workflow decides, and refuses with ``NotFound`` when no timer of that element
    runs. Answers the instance as it stands after the timer fired."""
    await exists(client, settings, instance_id)
    await calls.update(
        client, settings, instance_id, commands.FIRE_TIMER, c.FireTimer(element_id=element_id)
    )
    return await calls.state_view(client, settings, instance_id)


async def set_variables(
    client: Client,
    settings: Settings,
    instance_id: str,
    values: dict[str, Any],
    *,
    by: str,
    deletions: Sequence[str] = (),
) -> None:
    """Set process variables, then remove ``deletions`` (the instance decides: it
    refuses values over its size bound, and removing a name it does not hold is no
    error). One update, so both land in one step of the case history."""
    await calls.update(
        client,
        settings,
        instance_id,
        commands.SET_VARIABLES,
        c.SetVariables(variables=values, deletions=list(deletions), user_id=by),
    )
