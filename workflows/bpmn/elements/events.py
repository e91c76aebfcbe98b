"""Start-to-end events as elements: end events (none, error, escalation, terminate,
signal, compensation, message), intermediate throw events and link jumps, intermediate
catch events and receive tasks (their waiting is ``behaviors.catch_events``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        CancelEventDefinition,
        CompensateEventDefinition,
        EndEvent,
        ErrorEventDefinition,
        EscalationEventDefinition,
        IntermediateCatchEvent,
        IntermediateThrowEvent,
        LinkEventDefinition,
        MessageEventDefinition,
        Node,
        ReceiveTask,
        SignalEventDefinition,
        TerminateEventDefinition,
    )
    from workflows.tokens import BpmnThrow, Token

from workflows.bpmn import advance
from workflows.bpmn.behaviors import catch_events, compensation, signals, variables
from workflows.bpmn.control import Incident, code_and_ref
from workflows.bpmn.elements import tasks

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def catch_event(rt: Runtime, node: IntermediateCatchEvent, token: Token) -> bool:
    """An intermediate catch event waits for its trigger, then maps its outputs."""
    await catch_events.catch(rt, node, node.event, holder=token)
    variables.apply_mappings(rt, node.outputs, node.id)
    return True


async def receive(rt: Runtime, node: ReceiveTask, token: Token) -> bool:
    """A receive task waits for its message."""
    await catch_events.catch(rt, node, node.event, holder=token)
    return True


async def end_event(rt: Runtime, node: EndEvent, token: Token) -> bool:
    event = node.event
    if event is None:
        return False
    if isinstance(event, TerminateEventDefinition):
        terminate(token)
        return False
    if isinstance(event, ErrorEventDefinition | EscalationEventDefinition):
        code, ref = code_and_ref(event)
        raise BpmnThrow(event.kind, code, f"thrown by {node.id}", node.id, ref)
    if isinstance(event, SignalEventDefinition):
        await signals.throw_signal(rt, event, node, token)
        return False
    if isinstance(event, MessageEventDefinition):
        if node.implementation is not None:
            await tasks.run_implementation(rt, node, node.implementation, token)
        return False
    if isinstance(event, CompensateEventDefinition):
        await compensation.compensate(rt, compensation.compensation_scope(rt, token.scope), event)
        return False
    if isinstance(event, CancelEventDefinition):
        # a transaction's cancel end: undo what completed, then leave by the cancel
        # boundary event of the transaction
        await compensation.compensate(
            rt, compensation.compensation_scope(rt, token.scope), CompensateEventDefinition()
        )
        raise BpmnThrow("cancel", None, f"cancelled by {node.id}", node.id)
    raise Incident(f"{event.kind} end events are not executable yet")


async def throw_event(rt: Runtime, node: IntermediateThrowEvent, token: Token) -> bool:
    event = node.event
    if event is None:
        return True
    if isinstance(event, LinkEventDefinition):
        advance.spawn(rt, token.scope, link_target(rt, node, event.link_name), via=None)
        return False
    if isinstance(event, SignalEventDefinition):
        await signals.throw_signal(rt, event, node, token)
        return True
    if isinstance(event, MessageEventDefinition):
        if node.implementation is not None:
            await tasks.run_implementation(rt, node, node.implementation, token)
        return True
    if isinstance(event, EscalationEventDefinition):
        raise BpmnThrow(
            "escalation",
            event.escalation_code,
            f"thrown by {node.id}",
            node.id,
            event.escalation_ref,
        )
    if isinstance(event, CompensateEventDefinition):
        await compensation.compensate(rt, compensation.compensation_scope(rt, token.scope), event)
        return True
    raise Incident(f"{event.kind} throw events are not executable yet")


def link_target(rt: Runtime, node: Node, name: str) -> str:
    assert rt.definition is not None
    for other in rt.definition.nodes.values():
        if (
            isinstance(other, IntermediateCatchEvent)
            and isinstance(other.event, LinkEventDefinition)
            and other.event.link_name == name
            and other.scope == node.scope
        ):
            return other.id
    raise Incident(f"no link catch event named {name!r}")


def terminate(token: Token) -> None:
    """Terminate end event: every other token of the scope is cancelled."""
    scope = token.scope
    scope.terminated = True
    for other in list(scope.tokens.values()):
        if other is not token and other.task is not None:
            other.task.cancel()
