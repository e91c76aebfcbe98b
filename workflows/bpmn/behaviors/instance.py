"""The instance's own beginning and end: describing an SDK-started instance with Baton's
search attributes, winding down on cancellation, and the final flush of the read models.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c
    from baton_client.contracts import search_attributes as sa

    from workflows.tokens import BpmnThrow

from workflows.bpmn.behaviors import outbox

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def final_flush(rt: Runtime) -> None:
    """Wait until the last rows are written. The process has ended: a cancellation
    arriving now changes nothing, and before ``semantics.AFTER_COMMIT`` it ended the run
    as cancelled with its last rows unwritten (the read model kept it ACTIVE)."""
    while True:
        try:
            await workflow.wait_condition(lambda: not outbox.dirty(rt) and not rt.flushing)
            return
        except asyncio.CancelledError:
            if not rt.after_commit:
                raise


def describe_self(input: c.ProcessInput) -> None:
    """An instance started by a plain Temporal client (an SDK, the CLI) carries no
    Baton search attributes: it sets them, so the documented filters find it like one
    started through REST. One upsert, only for such instances."""
    if workflow.info().typed_search_attributes.get(sa.PROCESS_KEY) is not None:
        return
    ref = input.definition
    workflow.upsert_search_attributes(
        [
            pair.key.value_set(pair.value)
            for pair in sa.at_start(ref.key, ref.version, input.business_key)
        ]
    )


async def stop_everything(rt: Runtime) -> None:
    """Every token and event sub-process trigger stops (but the task calling, which may be
    the token that ends the instance) and every open incident closes, as deleted with the
    instance: what ending with an error and being cancelled share."""
    stopping: list[asyncio.Task[None]] = []
    for scope in list(rt.live_scopes()):
        for task in [*scope.watchers, *(t.task for t in scope.tokens.values() if t.task)]:
            if task is not asyncio.current_task():
                task.cancel()
                stopping.append(task)
    await asyncio.gather(*stopping, return_exceptions=True)
    for incident in rt.incidents.values():
        if not incident.resolved:
            incident.resolved = True
            incident.deleted = True
            incident.ended = workflow.now()
            rt.dirty_incidents.add(incident.id)


async def end_with_error(rt: Runtime) -> None:
    """A called instance whose BPMN error nobody inside caught (semantics.CALLED_ERROR):
    its other tokens stop, open tasks end as CANCELED and incidents close, the read model
    says TERMINATED, and the run waits for its rows and for update handlers still
    answering (a task completion that led here) before it ends with the error."""
    await stop_everything(rt)
    thrown = rt.error_to_caller
    rt.state = c.InstanceState.TERMINATED
    rt.end_time = workflow.now()
    rt.record("PROCESS_ENDED", details={"errorToCaller": thrown.code if thrown else None})
    rt.touch_instance()
    await final_flush(rt)
    await workflow.wait_condition(workflow.all_handlers_finished)


def error_for_caller(thrown: BpmnThrow) -> ApplicationError:
    """The failure the caller's call activity reads as the BPMN error (type
    ``BpmnError``, the code as first detail, as an HTTP worker's BPMN error)."""
    return ApplicationError(
        thrown.message or thrown.code or "BPMN error",
        thrown.code or "",
        type="BpmnError",
        non_retryable=True,
    )


async def wind_down(rt: Runtime) -> None:
    """The workflow was cancelled (``cancel_instance`` then ``WorkflowHandle.cancel``,
    or the Web UI): every token and event sub-process trigger stops, open tasks end
    as CANCELED, open incidents close, and the read model says TERMINATED, with who
    cancelled and why in the case history, before the run ends as cancelled."""
    await stop_everything(rt)
    request = rt.cancel_request or c.CancelInstance()
    rt.state = c.InstanceState.TERMINATED
    rt.end_time = workflow.now()
    details = {"reason": request.reason} if request.reason else {}
    rt.record("PROCESS_CANCELLED", user_id=request.user_id, details=details)
    rt.touch_instance()
    await workflow.wait_condition(lambda: not outbox.dirty(rt) and not rt.flushing)
