"""Message and signal subscriptions: what a wait subscribes to, matching a delivered
message by name and correlation keys, the bounded buffer of messages nobody waits for
yet, and delivering one to its subscriber.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import MessageEventDefinition, Node, SignalEventDefinition
    from workflows import continuation
    from workflows.tokens import ScopeRun, Subscription, Token, Wait

from workflows import semantics
from workflows.bpmn.control import waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def wait_subscription(
    rt: Runtime,
    node: Node,
    event: MessageEventDefinition | SignalEventDefinition,
    owner: str | None,
    holder: Token | ScopeRun,
    occurrence: int,
) -> None:
    snap = holder.resume.pop(node.id, None)
    if snap is not None and snap.subscription is not None:
        # names and keys were evaluated when the wait began, not again
        subscription = continuation.subscription_from(snap.subscription)
    elif isinstance(event, MessageEventDefinition):
        name = message_name(rt, event, node)
        key = None
        if event.correlation_key is not None:
            key = str(rt.evaluate(event.correlation_key, node.id))
        subscription = Subscription(
            kind="message",
            name=name,
            element_id=node.id,
            correlation_key=key,
            sequence=len(rt.subscriptions),
            owner=owner,
        )
    else:
        subscription = Subscription(
            kind="signal",
            name=signal_name(rt, event, node),
            element_id=node.id,
            correlation_key=None,
            sequence=len(rt.subscriptions),
            owner=owner,
        )
    kind, name = subscription.kind, subscription.name
    rt.subscriptions.append(subscription)
    ready = lambda: subscription.delivered is not None  # noqa: E731
    wait = Wait(kind, ready, subscription=subscription, occurrence=occurrence)
    try:
        if kind == "message":
            take_buffered(rt, subscription)
        with waiting_on(holder, node.id, wait):
            await workflow.wait_condition(ready)
    finally:
        subscription.cancelled = True
        rt.subscriptions = [s for s in rt.subscriptions if not s.cancelled]
    assert subscription.delivered is not None
    rt.set_variables(subscription.delivered, node.id)
    rt.record(
        "MESSAGE_CORRELATED" if kind == "message" else "SIGNAL_RECEIVED",
        node.id,
        details={"name": name},
    )


def matching(
    rt: Runtime, kind: str, name: str, key: str | None, element_id: str | None = None
) -> list[Subscription]:
    return [
        s
        for s in rt.subscriptions
        if s.kind == kind
        and (s.element_id == element_id if element_id else s.name == name)
        and not s.cancelled
        and s.delivered is None
        and (s.correlation_key is None or key is None or s.correlation_key == key)
    ]


def take_buffered(rt: Runtime, subscription: Subscription) -> None:
    for message in rt.buffered:
        by_name = message.name == subscription.name
        by_element = (
            not by_name
            and subscription.kind == "message"
            and message.element_id is not None
            and message.element_id == subscription.element_id
            and rt.holds(semantics.MESSAGE_FLOW)
        )
        if (by_name or by_element) and (
            subscription.correlation_key is None
            or message.correlation_key in (None, subscription.correlation_key)
        ):
            rt.buffered.remove(message)
            subscription.delivered = dict(message.variables)
            return


def deliver(rt: Runtime, message: c.DeliverMessage) -> Subscription | None:
    if message.message_id:
        if message.message_id in rt.seen_message_ids:
            return None
        rt.seen_message_ids[message.message_id] = None
    matches = [
        s
        for s in rt.subscriptions
        if s.kind == "flow"
        and s.name == message.name
        and s.element_id == message.element_id
        and s.delivered is None
        and not s.cancelled
    ] or matching(rt, "message", message.name, message.correlation_key, message.element_id)
    if not matches:
        return None
    target = min(matches, key=lambda s: s.sequence)
    target.delivered = dict(message.variables)
    return target


def message_name(rt: Runtime, event: MessageEventDefinition, node: Node) -> str:
    """The message's name; an unnamed message is reachable only by element id."""
    if event.message_name is None:
        return ""
    return str(rt.evaluate(event.message_name, node.id))


def signal_name(rt: Runtime, event: SignalEventDefinition, node: Node) -> str:
    if event.signal_name is None:
        return ""
    return str(rt.evaluate(event.signal_name, node.id))
