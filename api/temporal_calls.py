"""Temporal client calls with bounded waits and errors mapped to HTTP problems.

Updates and queries need a live worker; without ``rpc_timeout`` they would hang, so every
call here carries one and a timeout becomes 503.

Commands are updates with an id (the client's ``Idempotency-Key``, else one derived from
the command itself), so they tell their outcome honestly: a refusal is a 4xx with
``outcome: "refused"`` and changed nothing; a timeout is a 503 with ``outcome:
"unknown"`` (the command may or may not have been applied); a 503 with ``outcome:
"not-applied"`` means Temporal took nothing (the instance cannot take commands for a
moment) and the command may simply be sent again; sending the same command
again with the same key is safe: Temporal answers a repeated update id with the first
one's outcome instead of applying it twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
from datetime import timedelta
from typing import Any, TypeVar

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

from api.problems import ApiProblem, Conflict, Forbidden, NotFound, Unavailable
from baton.settings import Settings
from workflows import contracts as c

T = TypeVar("T")


class PayloadTooLarge(ApiProblem):
    status = 413
    title = "Content too large"


#: Error types raised by the workflow's update validators → HTTP problem class.
_REJECTIONS: dict[str, type[ApiProblem]] = {
    "TaskNotFound": NotFound,
    "TaskNotActive": Conflict,
    "TaskNotPermitted": Forbidden,
    "TaskAlreadyClaimed": Conflict,
    "TaskDelegated": Conflict,
    "TaskNotDelegated": Conflict,
    "IncidentNotFound": NotFound,
    "IncidentResolved": Conflict,
    "InstanceEnded": Conflict,
    "MessageNotCorrelated": NotFound,
    "TimerNotFound": NotFound,
    "ProcessEnded": ApiProblem,  # a LetsFlow process that has ended takes no more steps
    "VariablesTooLarge": PayloadTooLarge,
}


#: Commands that act once on what they name (a task, an incident, the instance): sent
#: again unchanged, they are the same update. Others (claim, unclaim, claim again) may
#: rightly repeat, so they are deduplicated only by the client's Idempotency-Key.
_ONE_SHOT = frozenset(
    {c.COMPLETE_USER_TASK, c.CANCEL_TASK, c.RETRY_INCIDENT, c.RESOLVE_INCIDENT, c.CANCEL_INSTANCE}
)


#: The request's ``Idempotency-Key`` header (set by ``api.deps.idempotency_key``).
IDEMPOTENCY_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)


def command_id(name: str, instance_id: str, arg: Any, idempotency_key: str | None) -> str | None:
    """The update id of a command: the client's key (scoped to the command and instance,
    so one key cannot answer for another command), else for a one-shot command a digest
    of the command itself, so the same request sent again is the same update; else None
    (the SDK makes a fresh id)."""
    idempotency_key = idempotency_key or IDEMPOTENCY_KEY.get()
    body = arg.model_dump(mode="json") if hasattr(arg, "model_dump") else arg
    digest = hashlib.sha256(
        json.dumps([name, instance_id, body], sort_keys=True, default=str).encode()
    ).hexdigest()
    if idempotency_key:
        # the command's digest too: a key reused for another command (another task of
        # the same instance) is another update, never answered with the first's result
        return f"{name}:{digest[:16]}:key:{idempotency_key}"[:400]
    if name not in _ONE_SHOT:
        return None
    return f"{name}:{digest[:40]}"


def unknown_outcome(instance_id: str, why: str) -> Unavailable:
    """503 for a command whose outcome is not known: it may have been applied."""
    return Unavailable(
        f"{why}; the command may or may not have been applied to {instance_id}. Send it "
        "again (with the same Idempotency-Key, if you gave one) to learn the outcome: "
        "it is applied at most once.",
        headers={"Retry-After": "1"},
        outcome="unknown",
    )


def _timeout(settings: Settings) -> timedelta:
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


def _rpc_problem(err: RPCError, instance_id: str) -> ApiProblem:
    if err.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"no process instance {instance_id}")
    if err.status in _TRANSIENT:
        return Unavailable(
            f"Temporal did not answer in time for {instance_id}: {err.message}",
            headers={"Retry-After": "1"},
        )
    return ApiProblem(f"Temporal refused the call for {instance_id}: {err.message}", status=502)


async def query(
    client: Client, settings: Settings, instance_id: str, name: str, result_type: type[T]
) -> T:
    handle = client.get_workflow_handle(instance_id)
    try:
        result: T = await handle.query(
            name, result_type=result_type, rpc_timeout=_timeout(settings)
        )
        return result
    except RPCError as err:
        raise _rpc_problem(err, instance_id) from err
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
    view = await query(client, settings, instance_id, c.STATE_QUERY, c.ProcessStateView)
    if view.state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
        return view
    try:
        described = await client.get_workflow_handle(instance_id).describe(
            rpc_timeout=_timeout(settings)
        )
    except RPCError as err:
        raise _rpc_problem(err, instance_id) from err
    if described.status in (None, WorkflowExecutionStatus.RUNNING):
        return view
    if described.status not in _ENDED_FROM_OUTSIDE:
        # it completed (or was cancelled) between the two calls: its own answer says so
        return await query(client, settings, instance_id, c.STATE_QUERY, c.ProcessStateView)
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
    name: str,
    arg: Any,
    result_type: type[T],
    *,
    idempotency_key: str | None = None,
) -> T:
    handle = client.get_workflow_handle(instance_id)
    try:
        outcome: T = await handle.execute_update(
            name,
            arg,
            id=command_id(name, instance_id, arg, idempotency_key),
            result_type=result_type,
            rpc_timeout=_timeout(settings),
        )
        return outcome
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "AcceptedUpdateCompletedWorkflow":
            # accepted (and applied) before the run closed while the update waited for its
            # rows to be written: not a refusal
            raise unknown_outcome(instance_id, "the instance ended while it answered") from err
        if isinstance(cause, ApplicationError):
            problem = _REJECTIONS.get(cause.type or "", Conflict)
            raise problem(cause.message, code=cause.type, outcome="refused") from err
        raise Conflict(str(cause or err), outcome="refused") from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise unknown_outcome(instance_id, "no worker answered in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(
                f"the process instance {instance_id} is not running",
                code="InstanceEnded",
                outcome="refused",
            ) from err
        if err.status in _TRANSIENT:
            raise unknown_outcome(instance_id, f"Temporal did not answer: {err.message}") from err
        if err.status == RPCStatusCode.FAILED_PRECONDITION:
            # e.g. "Workflow Task in failed state": Temporal took nothing; try again later
            raise Unavailable(
                f"the instance {instance_id} cannot take commands right now ({err.message}); "
                "the command was not applied",
                headers={"Retry-After": "1"},
                outcome="not-applied",
            ) from err
        refusal = _rpc_problem(err, instance_id)
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
        view: c.ProcessStateView = await asyncio.wait_for(
            handle.execute_update(
                c.AWAIT_WAIT_STATE, result_type=c.ProcessStateView, rpc_timeout=timeout
            ),
            timeout.total_seconds(),
        )
        return view
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        return None
    except WorkflowUpdateFailedError:
        pass  # the instance ended (e.g. it was terminated) while the update waited
    except RPCError as err:
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
            return None
        if err.status != RPCStatusCode.NOT_FOUND:
            raise _rpc_problem(err, instance_id) from err
    # it ended before the update arrived: its final state answers
    return await query(client, settings, instance_id, c.STATE_QUERY, c.ProcessStateView)


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
