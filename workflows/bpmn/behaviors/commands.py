"""Instance-level commands from outside (message delivery and correlation, signals, firing
a timer, cancelling the instance, setting variables, waiting for a wait state) and their
validators: a refused command changes nothing and leaves no history event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

from workflows.bpmn.behaviors import outbox, query, subscriptions, variables
from workflows.bpmn.constants import MAX_MESSAGE_BUFFER

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def deliver_message(rt: Runtime, message: c.DeliverMessage) -> None:
    duplicate = message.message_id is not None and message.message_id in rt.seen_message_ids
    if subscriptions.deliver(rt, message) is None and not duplicate:
        rt.buffered.append(message)
        del rt.buffered[:-MAX_MESSAGE_BUFFER]


def correlate_message(rt: Runtime, message: c.DeliverMessage) -> c.MessageCorrelated:
    target = subscriptions.deliver(rt, message)
    if target is None:  # the validator saw a match; a duplicate id is acknowledged
        return c.MessageCorrelated(element_id="")
    return c.MessageCorrelated(element_id=target.element_id)


def validate_correlate(rt: Runtime, message: c.DeliverMessage) -> None:
    variables.check_variables(rt, message.variables)
    if message.message_id and message.message_id in rt.seen_message_ids:
        return
    if not subscriptions.matching(
        rt, "message", message.name, message.correlation_key, message.element_id
    ):
        raise ApplicationError(
            f"no element of this instance waits for message {message.name!r}",
            type=c.Rejection.MESSAGE_NOT_CORRELATED,
            non_retryable=True,
        )


def deliver_signal(rt: Runtime, signal: c.DeliverSignal) -> None:
    for subscription in subscriptions.matching(rt, "signal", signal.name, None, signal.element_id):
        subscription.delivered = dict(signal.variables)


def fire_timer(rt: Runtime, cmd: c.FireTimer) -> None:
    rt.fire_requests[cmd.element_id] += 1


def validate_fire_timer(rt: Runtime, cmd: c.FireTimer) -> None:
    if rt.timers[cmd.element_id] <= rt.fire_requests[cmd.element_id]:
        raise ApplicationError(
            f"no timer of {cmd.element_id!r} is running",
            type=c.Rejection.TIMER_NOT_FOUND,
            non_retryable=True,
        )


def cancel_instance(rt: Runtime, cmd: c.CancelInstance) -> None:
    rt.cancel_request = cmd


def validate_cancel_instance(rt: Runtime, cmd: c.CancelInstance) -> None:
    rt.check_running()
    _ = cmd


async def await_wait_state(rt: Runtime) -> c.ProcessStateView:
    await workflow.wait_condition(lambda: settled(rt) and not outbox.dirty(rt) and not rt.flushing)
    return query.state(rt)


def settled(rt: Runtime) -> bool:
    if rt.state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
        return True
    if rt.root is None or rt.local_busy:
        return False
    for scope in rt.live_scopes():
        for token in scope.tokens.values():
            if token.busy:
                continue  # a call activity or multi-instance body: judged by its parts
            waits = token.waits
            if not (token.element_id in waits or "@incident" in waits or "@enter" in waits):
                return False
            if any(wait.ready() for wait in waits.values()):
                return False
    return True


def set_variables(rt: Runtime, cmd: c.SetVariables) -> None:
    """Set, then remove (Camunda's order: a name in both ends up removed)."""
    rt.set_variables(cmd.variables, None, user_id=cmd.user_id)
    rt.delete_variables(cmd.deletions, None, user_id=cmd.user_id)


def validate_set_variables(rt: Runtime, cmd: c.SetVariables) -> None:
    rt.check_running()
    variables.check_variables(rt, cmd.variables)
    variables.check_deletions(cmd.deletions)
