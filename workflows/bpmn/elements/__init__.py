"""Element behaviours, registered by IR type: the interpreter's counterpart of the
compiler's ``bpmn_compiler.elements.REGISTRY`` (and of Zeebe's ``BpmnElementProcessors``).

Each entry runs one element for one token and answers whether the token goes on along
the outgoing flows (``True``) or ends here (``False``). Adding an element type means
writing its behaviour in a module of this package and one line in ``ELEMENTS``; the
runtime (``workflows.bpmn.advance``) finds it here. Loops, boundary events and message
flows wrap every element alike, so they live in ``advance`` and ``behaviors/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        BoundaryEvent,
        CallActivity,
        EndEvent,
        Gateway,
        IntermediateCatchEvent,
        IntermediateThrowEvent,
        Node,
        ReceiveTask,
        ScriptTask,
        ServiceTask,
        StartEvent,
        SubProcess,
        Task,
        UserTask,
    )
    from workflows.tokens import Token

from workflows.bpmn.behaviors import message_flows
from workflows.bpmn.control import Incident
from workflows.bpmn.elements import call_activity, events, gateways, sub_process, tasks, user_task

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


#: Runs ``node`` (of the registered type) for a token; True: follow the outgoing flows.
ElementBehavior = Callable[["Runtime", Any, Token], Awaitable[bool]]


async def passes(_rt: Runtime, _node: Node, _token: Token) -> bool:
    """Start events, plain tasks, and boundary events (whose trigger already happened):
    the token just leaves."""
    return True


ELEMENTS: dict[type[Any], ElementBehavior] = {
    StartEvent: passes,
    Task: passes,
    BoundaryEvent: passes,
    ServiceTask: tasks.run,
    ScriptTask: tasks.run,
    UserTask: user_task.run,
    ReceiveTask: events.receive,
    IntermediateCatchEvent: events.catch_event,
    IntermediateThrowEvent: events.throw_event,
    EndEvent: events.end_event,
    Gateway: gateways.gateway,
    SubProcess: sub_process.run,
    CallActivity: call_activity.run,
}


async def single(rt: Runtime, node: Node, token: Token) -> bool:
    """One run of ``node``'s own behaviour (a loop runs it repeatedly), after the
    messages its message flows carry."""
    if message_flows.has_message_flows(rt, node):
        await message_flows.message_flows(rt, node, token)
    behavior = ELEMENTS.get(type(node))
    if behavior is None:
        raise Incident(f"{node.kind} elements are not executable yet")
    return await behavior(rt, node, token)
