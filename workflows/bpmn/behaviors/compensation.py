"""Compensation: remembering each completed compensable activity per scope, and undoing
them in reverse order of completion through boundary handlers or compensation event
sub-processes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        CompensateEventDefinition,
        MultiInstance,
        Node,
        StartEvent,
        SubProcess,
    )
    from workflows.tokens import ScopeRun, Token

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.control import LOCALS

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def remember_compensable(rt: Runtime, node: Node, token: Token) -> None:
    """A completed activity with a compensation handler, or a sub-process whose own
    run left something to compensate, stays compensable in its scope."""
    if getattr(node, "is_for_compensation", False):
        return
    child = token.child_run
    if (
        getattr(node, "compensation_handler", None)
        and isinstance(getattr(node, "loop", None), MultiInstance)
        and not isinstance(node, SubProcess)
        and rt.holds(semantics.COMPENSATE_EACH_INSTANCE)
    ):
        # Camunda 7 compensates each completed instance of a multi-instance activity,
        # with the loop variables it ran with (before the rule: the handler ran once)
        for local in token.completed_instances:
            token.scope.compensable.append((node.id, None))
            token.scope.instance_locals.setdefault(node.id, []).append(local)
        return
    if getattr(node, "compensation_handler", None) or (
        child is not None and (child.compensable or compensation_esp(rt, node) is not None)
    ):
        token.scope.compensable.append((node.id, child))


def compensation_esp(rt: Runtime, node: Node) -> tuple[str, StartEvent] | None:
    if not isinstance(node, SubProcess):
        return None
    for esp_id in node.event_subprocesses:
        esp = rt.node(esp_id)
        assert isinstance(esp, SubProcess)
        for start_id in esp.start_nodes:
            start = rt.node(start_id)
            if isinstance(start, StartEvent) and isinstance(start.event, CompensateEventDefinition):
                return esp_id, start
    return None


def compensation_scope(rt: Runtime, scope: ScopeRun) -> ScopeRun:
    """Where a compensation throw looks for completed activities: its own scope, but
    for a throw inside an event sub-process the scope hosting that sub-process (the
    sub-process itself has nothing completed to undo; BPMN and Camunda compensate
    the enclosing scope). Before this rule such throws found nothing, hence the
    patch marker."""
    if scope.element_id is None or scope.parent is None:
        return scope
    host = rt.node(scope.element_id)
    if (
        isinstance(host, SubProcess)
        and host.variant == "event"
        and rt.holds(semantics.ESP_COMPENSATION)
    ):
        return scope.parent
    return scope


async def compensate(rt: Runtime, scope: ScopeRun, event: CompensateEventDefinition) -> None:
    """Run the handlers of completed activities of ``scope`` (or of the one named),
    most recent first; each activity is compensated at most once."""
    chosen = [
        entry
        for entry in reversed(scope.compensable)
        if event.activity_ref is None or entry[0] == event.activity_ref
    ]
    runs = []
    outer = LOCALS.get()
    for entry in chosen:
        scope.compensable.remove(entry)
        # an instance of a multi-instance activity: its handler sees that instance's loop
        # variables (a task copies the context it is created in)
        instances = scope.instance_locals.get(entry[0])
        LOCALS.set(instances.pop() if instances else outer)
        runs.append(asyncio.create_task(detached_run(rt, scope, *entry)))
    LOCALS.set(outer)
    if event.wait_for_completion:
        for run in runs:  # one after another, as the handlers were registered
            await run


async def detached_run(
    rt: Runtime, scope: ScopeRun, element_id: str, child: ScopeRun | None
) -> None:
    """A compensation run is a coroutine of its own: no continue-as-new while any
    is under way (the snapshot could not carry it)."""
    rt.detached += 1
    try:
        await compensate_one(rt, scope, element_id, child)
    finally:
        rt.detached -= 1


async def compensate_one(
    rt: Runtime,
    scope: ScopeRun,
    element_id: str,
    child: ScopeRun | None,
    *,
    inner_only: bool = False,
) -> None:
    node = rt.node(element_id)
    handler = getattr(node, "compensation_handler", None)
    esp = compensation_esp(rt, node) if child is not None else None
    if handler and esp is not None and not inner_only and rt.holds(semantics.COMPENSATE_BOTH):
        # a sub-process with a compensation event sub-process and a compensation
        # boundary event: its run undoes itself first, then the boundary's handler
        await compensate_one(rt, scope, element_id, child, inner_only=True)
    if handler and not inner_only:
        token = advance.spawn(rt, scope, handler, via=None, awaited=True)
        if token.task is not None:
            await token.task
        return
    if child is None:
        return
    if esp is not None:
        # the sub-process's run compensates itself (back among the live scopes)
        child.finished = False
        if child not in rt.scopes:
            rt.scopes.append(child)
        token = Token(
            id=rt.new_id("t"),
            element_id=esp[0],
            scope=child,
            start_event=esp[1].id,
            awaited=True,
        )
        child.tokens[token.id] = token
        token.task = asyncio.create_task(advance.run_token(rt, token))
        await token.task
        child.finished = True
        return
    await compensate(rt, child, CompensateEventDefinition())
