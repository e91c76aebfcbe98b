"""Temporal client calls with bounded waits and errors mapped to HTTP problems.

Updates and queries need a live worker; without ``rpc_timeout`` they would hang, so every
call here carries one and a timeout becomes 503.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
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
}


def _timeout(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.temporal_rpc_timeout_seconds)


def _rpc_problem(err: RPCError, instance_id: str) -> ApiProblem:
    if err.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"no process instance {instance_id}")
    if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE):
        return Unavailable(f"Temporal did not answer in time for {instance_id}: {err.message}")
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


async def update(
    client: Client,
    settings: Settings,
    instance_id: str,
    name: str,
    arg: Any,
    result_type: type[T],
) -> T:
    handle = client.get_workflow_handle(instance_id)
    try:
        outcome: T = await handle.execute_update(
            name, arg, result_type=result_type, rpc_timeout=_timeout(settings)
        )
        return outcome
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            problem = _REJECTIONS.get(cause.type or "", Conflict)
            raise problem(cause.message, code=cause.type) from err
        raise Conflict(str(cause or err)) from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise Unavailable(f"no worker answered for {instance_id} in time") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(f"the process instance {instance_id} is not running") from err
        raise _rpc_problem(err, instance_id) from err


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
