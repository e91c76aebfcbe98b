"""Message flows between pools of one collaboration: a sending element delivers to the
receiving pool's element (another instance, or one of its own waits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import (
        EndEvent,
        IntermediateThrowEvent,
        MessageFlow,
        Node,
        ScriptTask,
        ServiceTask,
        Task,
        UserTask,
    )
    from workflows.tokens import Subscription, Token

from workflows import semantics
from workflows.bpmn.behaviors import outbox, subscriptions
from workflows.bpmn.constants import INFRA_RETRY, LOCAL_TIMEOUT

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def has_message_flows(rt: Runtime, node: Node) -> bool:
    assert rt.definition is not None
    if not rt.definition.message_flows or not isinstance(
        node, Task | ServiceTask | ScriptTask | UserTask | EndEvent | IntermediateThrowEvent
    ):
        return False
    return any(node.id in (f.source, f.target) for f in rt.definition.message_flows)


async def message_flows(rt: Runtime, node: Node, token: Token) -> None:
    """An element with message flows to or from other pools handles them when its
    token arrives, left to right as they attach to it in the diagram: an outgoing
    flow sends, an incoming one (tasks only) waits for its message; then the element
    does its own work. Messages carry no variables."""
    assert rt.definition is not None
    steps: list[tuple[float, int, MessageFlow, bool]] = []
    for index, flow in enumerate(rt.definition.message_flows):
        if flow.source == node.id:
            steps.append((flow.source_x if flow.source_x is not None else 1e18, index, flow, True))
        if flow.target == node.id and not isinstance(node, EndEvent | IntermediateThrowEvent):
            steps.append((flow.target_x if flow.target_x is not None else 1e18, index, flow, False))
    if not steps or not rt.holds(semantics.MESSAGE_FLOW):
        return
    token.busy = True  # a half-done sequence cannot be carried by continue-as-new
    try:
        for _, _, flow, sends in sorted(steps, key=lambda s: (s[0], s[1])):
            if sends:
                await send_along(rt, flow)
            else:
                await wait_along(rt, node, flow)
    finally:
        token.busy = False


async def send_along(rt: Runtime, flow: MessageFlow) -> None:
    if flow.target_process is None:
        return
    sent = await outbox.exclusive_local(
        rt,
        c.SEND_ALONG_FLOW,
        c.SendAlongFlow(
            flow_id=flow.id,
            target=flow.target,
            target_process=flow.target_process,
            sender_instance_id=workflow.info().workflow_id,
            sender_process=rt.input.definition.key,
            partners=rt.partners.get(flow.target_process, []),
            throw_id=rt.new_id("m"),
        ),
        result_type=c.FlowSent,
        start_to_close_timeout=LOCAL_TIMEOUT,
        retry_policy=INFRA_RETRY,
        summary=f"message flow {flow.id} to {flow.target}",
    )
    if sent.started:
        rt.partners.setdefault(flow.target_process, []).append(sent.started)
    rt.record(
        "MESSAGE_SENT",
        flow.source,
        details={"flow": flow.id, "started": sent.started or "", "delivered": sent.delivered},
    )


async def wait_along(rt: Runtime, node: Node, flow: MessageFlow) -> None:
    subscription = Subscription(
        kind="flow",
        name=flow.id,
        element_id=node.id,
        correlation_key=None,
        sequence=len(rt.subscriptions),
    )
    rt.subscriptions.append(subscription)
    try:
        subscriptions.take_buffered(rt, subscription)
        await workflow.wait_condition(lambda: subscription.delivered is not None)
    finally:
        subscription.cancelled = True
        rt.subscriptions = [s for s in rt.subscriptions if not s.cancelled]
    assert subscription.delivered is not None
    rt.set_variables(subscription.delivered, node.id)
    rt.record("MESSAGE_CORRELATED", node.id, details={"flow": flow.id})
