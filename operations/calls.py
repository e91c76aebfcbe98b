"""Temporal client calls with bounded waits, and their failures as operation errors.

Updates and queries need a live worker; without ``rpc_timeout`` they would hang, so every
call here carries one and a timeout becomes ``Unavailable`` (503 in the API).

Commands are updates with an id (the client's ``Idempotency-Key``, else one derived from
the command itself), so they tell their outcome honestly: a refusal (the workflow's
``Rejection``) carries ``outcome: "refused"`` and changed nothing; a timeout is
``Unavailable`` with ``outcome: "unknown"`` (the command may or may not have been
applied); ``Unavailable`` with ``outcome: "not-applied"`` means Temporal took nothing
(the instance cannot take commands for a moment) and the command may simply be sent
again; sending the same command again with the same key is safe: Temporal answers a
repeated update id with the first one's outcome instead of applying it twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
from datetime import timedelta
from typing import Any, TypeVar

from baton_client.contracts import bpmn as c
from baton_client.contracts import letsflow as lc
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from operations import commands
from operations.commands import Update
from operations.errors import (
    Conflict,
    Forbidden,
    NotFound,
    OperationError,
    Refused,
    TooLarge,
    Unavailable,
    UpstreamError,
)

A = TypeVar("A")
T = TypeVar("T")

#: What each refusal of the workflow is to the caller. A type not listed (a newer
#: workflow's) is a ``Conflict`` that still carries its ``code``.
REJECTIONS: dict[c.Rejection | lc.Rejection, type[OperationError]] = {
    c.Rejection.TASK_NOT_FOUND: NotFound,
    c.Rejection.TASK_NOT_ACTIVE: Conflict,
    c.Rejection.TASK_NOT_PERMITTED: Forbidden,
    c.Rejection.TASK_ALREADY_CLAIMED: Conflict,
    c.Rejection.TASK_DELEGATED: Conflict,
    c.Rejection.TASK_NOT_DELEGATED: Conflict,
    c.Rejection.INCIDENT_NOT_FOUND: NotFound,
    c.Rejection.INCIDENT_RESOLVED: Conflict,
    c.Rejection.INSTANCE_ENDED: Conflict,
    c.Rejection.MESSAGE_NOT_CORRELATED: NotFound,
    c.Rejection.TIMER_NOT_FOUND: NotFound,
    c.Rejection.VARIABLES_TOO_LARGE: TooLarge,
    lc.Rejection.PROCESS_ENDED: Refused,  # a LetsFlow process that has ended takes no steps
}
_BY_TYPE: dict[str, type[OperationError]] = {str(k): v for k, v in REJECTIONS.items()}

#: Temporal's own type for an update accepted before the run closed (not a refusal).
_ACCEPTED_THEN_CLOSED = "AcceptedUpdateCompletedWorkflow"


def rejection(err: BaseException) -> str | None:
    """The workflow's refusal type behind a failed update, if it was one."""
    cause = err.cause if isinstance(err, WorkflowUpdateFailedError) else err
    return cause.type if isinstance(cause, ApplicationError) else None


#: The ``Idempotency-Key`` of the request (or job) the current task serves; the API sets
#: it once per request (``api.deps.idempotency_key``), so every command the request
#: sends is deduplicated by it without each call passing it along.
IDEMPOTENCY_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)


def command_id(
    update: Update[Any, Any], instance_id: str, arg: Any, idempotency_key: str | None
) -> str | None:
    """The update id of a command: the client's key (scoped to the command and instance,
    so one key cannot answer for another command), else for a one-shot command a digest
    of the command itself, so the same request sent again is the same update; else None
    (the SDK makes a fresh id)."""
    name = update.name
    idempotency_key = idempotency_key or IDEMPOTENCY_KEY.get()
    body = arg.model_dump(mode="json") if hasattr(arg, "model_dump") else arg
    digest = hashlib.sha256(
        json.dumps([name, instance_id, body], sort_keys=True, default=str).encode()
    ).hexdigest()
    if idempotency_key:
        # the command's digest too: a key reused for another command (another task of
        # the same instance) is another update, never answered with the first's result
        return f"{name}:{digest[:16]}:key:{idempotency_key}"[:400]
    if not update.one_shot:
        return None
    return f"{name}:{digest[:40]}"


def unknown_outcome(instance_id: str, why: str) -> Unavailable:
    """A command whose outcome is not known: it may have been applied."""
    return Unavailable(
        f"{why}; the command may or may not have been applied to {instance_id}. Send it "
        "again (with the same Idempotency-Key, if you gave one) to learn the outcome: "
        "it is applied at most once.",
        retry_after=1,
        outcome="unknown",
    )


def timeout(settings: Settings) -> timedelta:
    """The bound on one update, query or describe (``BATON_TEMPORAL_RPC_TIMEOUT_SECONDS``)."""
    return timedelta(seconds=settings.temporal_rpc_timeout_seconds)


#: gRPC statuses of a call that broke off (Temporal restarting, a connection cut, the
#: server overloaded): for a command its outcome is unknown, for a read: try again.
_TRANSIENT = frozenset(
    {
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.ABORTED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)


def rpc_error(err: RPCError, instance_id: str) -> OperationError:
    """A failed call about an instance, as the caller should hear it."""
    if err.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"no process instance {instance_id}")
    if err.status in _TRANSIENT:
        return Unavailable(
            f"Temporal did not answer in time for {instance_id}: {err.message}", retry_after=1
        )
    return UpstreamError(f"Temporal refused the call for {instance_id}: {err.message}")


async def query(
    client: Client, settings: Settings, instance_id: str, which: commands.Query[T]
) -> T:
    """Ask a running or closed instance (a closed one answers as of its end)."""
    handle = client.get_workflow_handle(instance_id)
    try:
        return await which.ask(handle, rpc_timeout=timeout(settings))
    except RPCError as err:
        raise rpc_error(err, instance_id) from err
    except WorkflowQueryFailedError as err:
        raise Unavailable(f"the instance {instance_id} could not answer: {err}") from err


_OPEN_TASKS = (c.TaskState.CREATED, c.TaskState.ASSIGNED, c.TaskState.SUSPENDED)
#: Ends no workflow code took part in: the ``state`` query answers as of before them.
_ENDED_FROM_OUTSIDE = (
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
    WorkflowExecutionStatus.FAILED,
)


async def state_view(client: Client, settings: Settings, instance_id: str) -> c.ProcessStateView:
    """The instance's ``state`` query, corrected by how its run ended: a run terminated,
    timed out or failed from outside never ran the code that would say so, and its
    query answers as of its last workflow task (the reconciler closes the read model the
    same way)."""
    view = await query(client, settings, instance_id, commands.STATE)
    if view.state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
        return view
    try:
        described = await client.get_workflow_handle(instance_id).describe(
            rpc_timeout=timeout(settings)
        )
    except RPCError as err:
        raise rpc_error(err, instance_id) from err
    if described.status in (None, WorkflowExecutionStatus.RUNNING):
        return view
    if described.status not in _ENDED_FROM_OUTSIDE:
        # it completed (or was cancelled) between the two calls: its own answer says so
        return await query(client, settings, instance_id, commands.STATE)
    ended = [
        task.model_copy(update={"state": c.TaskState.CANCELED, "ended": described.close_time})
        if task.state in _OPEN_TASKS
        else task
        for task in view.tasks
    ]
    return view.model_copy(
        update={
            "state": c.InstanceState.TERMINATED,
            "end_time": described.close_time,
            "tasks": ended,
            "incidents": [i.model_copy(update={"resolved": True}) for i in view.incidents],
            "active": [],
            "waiting_messages": [],
            "waiting_timers": [],
            "waiting_elements": [],
        }
    )


async def update(
    client: Client,
    settings: Settings,
    instance_id: str,
    which: Update[A, T],
    arg: A,
    *,
    idempotency_key: str | None = None,
) -> T:
    """Send a command to an instance and answer its result, or raise why it was refused
    (``outcome: "refused"``) or why its outcome is not known."""
    handle = client.get_workflow_handle(instance_id)
    bound = timeout(settings)
    try:
        # the SDK re-sends an update the server hands back before it was accepted (a
        # workflow task that failed), each time with a fresh rpc_timeout: the whole call
        # is bounded here, so the answer comes within the documented timeout
        async with asyncio.timeout(bound.total_seconds()):
            return await which.execute(
                handle,
                arg,
                id=command_id(which, instance_id, arg, idempotency_key),
                rpc_timeout=bound,
            )
    except TimeoutError as err:
        raise unknown_outcome(instance_id, "no worker answered in time") from err
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == _ACCEPTED_THEN_CLOSED:
            # accepted (and applied) before the run closed while the update waited for its
            # rows to be written: not a refusal
            raise unknown_outcome(instance_id, "the instance ended while it answered") from err
        if isinstance(cause, ApplicationError):
            kind = _BY_TYPE.get(cause.type or "", Conflict)
            raise kind(cause.message, code=cause.type, outcome="refused") from err
        raise Conflict(str(cause or err), outcome="refused") from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise unknown_outcome(instance_id, "no worker answered in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(
                f"the process instance {instance_id} is not running",
                code=c.Rejection.INSTANCE_ENDED.value,
                outcome="refused",
            ) from err
        if err.status in _TRANSIENT:
            raise unknown_outcome(instance_id, f"Temporal did not answer: {err.message}") from err
        if err.status == RPCStatusCode.FAILED_PRECONDITION:
            # e.g. "Workflow Task in failed state": Temporal took nothing; try again later
            raise Unavailable(
                f"the instance {instance_id} cannot take commands right now ({err.message}); "
                "the command was not applied",
                retry_after=1,
                outcome="not-applied",
            ) from err
        refusal = rpc_error(err, instance_id)
        refusal.extensions["outcome"] = "refused"  # Temporal took nothing
        raise refusal from err


async def wait_for_wait_state(
    client: Client, settings: Settings, instance_id: str, timeout: timedelta
) -> c.ProcessStateView | None:
    """The instance's state once every token waits or it has ended; None when that takes
    longer than ``timeout`` (the instance runs on; the caller answers 202)."""
    handle = client.get_workflow_handle(instance_id)
    try:
        # the server answers an update's long poll after about 20 s at most and the SDK
        # then polls on: bound the whole wait, not only one call
        return await asyncio.wait_for(
            commands.AWAIT_WAIT_STATE.execute(handle, None, rpc_timeout=timeout),
            timeout.total_seconds(),
        )
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        return None
    except WorkflowUpdateFailedError:
        pass  # the instance ended (e.g. it was terminated) while the update waited
    except RPCError as err:
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
            return None
        if err.status != RPCStatusCode.NOT_FOUND:
            raise rpc_error(err, instance_id) from err
    # it ended before the update arrived: its final state answers
    return await query(client, settings, instance_id, commands.STATE)


async def wait_for_end(client: Client, instance_id: str, timeout: timedelta) -> bool:
    """Wait until the instance's run has closed, however it ended; False on timeout."""
    handle = client.get_workflow_handle(instance_id)
    try:
        await asyncio.wait_for(handle.result(follow_runs=True), timeout.total_seconds())
    except TimeoutError:
        return False
    except WorkflowFailureError:
        return True  # cancelled (or failed): closed all the same
    return True
