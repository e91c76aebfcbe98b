"""Throwing a signal from inside an instance: enclosing catchers innermost first, then the
broadcast to other instances and to signal start events (an activity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import BoundaryEvent, Node, SignalEventDefinition, StartEvent
    from workflows.tokens import Subscription, Token

from workflows import semantics
from workflows.bpmn.behaviors import outbox, subscriptions
from workflows.bpmn.constants import (
    INFRA_RETRY,
    LOCAL_TIMEOUT,
)

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def throw_signal(rt: Runtime, event: SignalEventDefinition, node: Node, token: Token) -> None:
    """A signal thrown inside the instance. Catchers that do not enclose the thrower
    (other branches, intermediate catch events) all receive it. Catchers enclosing
    it — event sub-processes of its scopes and boundary events of the sub-processes
    it runs in — receive it innermost first, and the first interrupting one ends the
    throw: it cancels the thrower with its scope, so the signal goes no further
    (what the BPMN token simulation does). Other instances are reached through the
    API's broadcast."""
    if not rt.holds(semantics.SIGNAL_SCOPE):
        broadcast_signal(rt, event, node.id)
        return
    name = subscriptions.signal_name(rt, event, node)
    if name and rt.holds(semantics.SIGNAL_BROADCAST):
        # other instances first: this token may be cancelled by its own catcher below
        await outbox.exclusive_local(
            rt,
            c.BROADCAST_SIGNAL,
            c.BroadcastSignal(
                name=name,
                sender_instance_id=workflow.info().workflow_id,
                throw_id=rt.new_id("signal-"),
            ),
            result_type=c.SignalBroadcast,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=INFRA_RETRY,
            summary=f"signal {name!r} to other instances",
        )
    depth = {run.element_id: i for i, run in enumerate(token.scope.chain()) if run.element_id}
    owners = {run.id: i for i, run in enumerate(token.scope.chain())}
    enclosing: list[tuple[float, bool, Subscription]] = []
    for subscription in subscriptions.matching(rt, "signal", name, None):
        catcher = rt.node(subscription.element_id)
        if isinstance(catcher, BoundaryEvent) and catcher.attached_to in depth:
            # the boundary sits outside the run of its host: just beyond its ESPs
            level = depth[catcher.attached_to] + 0.5
            enclosing.append((level, catcher.cancel_activity, subscription))
        elif subscription.owner is not None and subscription.owner in owners:
            interrupting = isinstance(catcher, StartEvent) and catcher.interrupting
            enclosing.append((owners[subscription.owner], interrupting, subscription))
        else:
            subscription.delivered = {}
    # at one level, an interrupting catcher absorbs the signal before the others
    for _, interrupting, subscription in sorted(enclosing, key=lambda e: (e[0], not e[1])):
        subscription.delivered = {}
        if interrupting:
            # the catcher cancels this token's scope, and this token with it
            await workflow.wait_condition(lambda: False)


def broadcast_signal(rt: Runtime, event: SignalEventDefinition, element_id: str) -> None:
    """A signal thrown inside the instance reaches its own waiting catchers; other
    instances are reached through the API's broadcast."""
    if event.signal_name is None:
        return
    name = str(rt.evaluate(event.signal_name, element_id))
    for subscription in subscriptions.matching(rt, "signal", name, None):
        subscription.delivered = {}
