"""How a token advances: enter the element, run its behaviour (boundary events and loops
around the registered element behaviour), handle what it threw or parked, then take the
outgoing flows; and where a new instance or scope puts its first tokens.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import (
        IntermediateThrowEvent,
        MultiInstance,
        Node,
        StandardLoop,
        StartEvent,
        implicit_starts,
    )
    from workflows.tokens import BpmnThrow, ScopeRun, Token

from workflows import semantics
from workflows.bpmn import elements, routing
from workflows.bpmn.behaviors import (
    boundaries,
    catching,
    compensation,
    continue_as_new,
    event_subprocesses,
    incidents,
)
from workflows.bpmn.constants import (
    MAX_BURST,
)
from workflows.bpmn.control import Incident
from workflows.bpmn.elements import loops

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def process_starts(rt: Runtime, input: c.ProcessInput) -> list[str]:
    """Where a new instance puts its first tokens: the start event asked for (or the
    only none start event), plus every element without incoming sequence flow."""
    assert rt.definition is not None
    key = input.definition.key
    start = input.start_event
    if start is None:
        nones = rt.definition.none_starts()
        if len(nones) > 1:
            raise ApplicationError(
                f"process {key!r} has several none start events ({', '.join(nones)}); "
                "name the one to begin at",
                type=c.Rejection.NO_START_EVENT,
                non_retryable=True,
            )
        start = nones[0] if nones else None
        if start is None and rt.holds(semantics.SINGLE_EVENT_START):
            # Camunda 7 starts a process by key at its one start event, whatever its kind
            events = [n for n in rt.definition.start_nodes if isinstance(rt.node(n), StartEvent)]
            start = events[0] if len(events) == 1 else None
    if start is not None and start not in rt.definition.nodes:
        raise ApplicationError(
            f"process {key!r} has no element {start!r} to start at",
            type=c.Rejection.NO_START_EVENT,
            non_retryable=True,
        )
    implicit = implicit_starts(rt.definition.nodes, None)
    if start is None and not implicit:
        raise ApplicationError(
            f"process {key!r} has no none start event; start it by message or timer",
            type=c.Rejection.NO_START_EVENT,
            non_retryable=True,
        )
    return scope_starts(rt, [start] if start else [], implicit)


def scope_starts(rt: Runtime, starts: list[str], implicit: list[str]) -> list[str]:
    """Start events plus the scope's elements without incoming sequence flow (the
    BPMN token simulation's rule; BPMN's own for scopes without start events). Only
    diagrams that have such elements ask for the patch marker."""
    extra = [n for n in implicit if n not in starts]
    if extra and (not starts or rt.holds(semantics.IMPLICIT_START)):
        return starts + extra
    return starts


async def run_token(rt: Runtime, token: Token, *, resumed: bool = False) -> None:
    """Enter the element, run its behaviour, then follow the outgoing flows. A token
    ``resumed`` after continue-as-new was entered in an earlier run."""
    node = rt.node(token.element_id)
    if not resumed:
        rt.counts.entered[node.id] += 1
        rt.record("ACTIVITY_STARTED", node.id, details={"type": node.kind})
    try:
        if not resumed and rt.draining and not token.awaited:
            await continue_as_new.hold(rt, token)
        token.resume.pop("@enter", None)
        parked = token.resume.pop("@incident", None)
        if parked is not None:
            await incidents.await_retry(rt, node, token, rt.incidents[parked.incident_id])
        while True:
            try:
                if token.skip:  # an operator resolved the incident: leave as done
                    token.skip = False
                    outcome = "continue"
                    taken = taken_flows(rt, node)
                    break
                count_burst(rt, node)
                outcome = await behave(rt, node, token)
                taken = taken_flows(rt, node) if outcome == "continue" else []
                break
            except Incident as incident:
                await incidents.park(
                    rt,
                    node,
                    token,
                    str(incident),
                    incident.attempts,
                    incident_type=incident.incident_type,
                    configuration=incident.configuration,
                )
            except BpmnThrow as thrown:
                catcher = catching.find_catcher(
                    rt, token.scope, thrown, catching.rethrower(rt, node)
                )
                if catcher is None and catching.unhandled_throw_passes(rt, node, thrown):
                    outcome = "continue" if isinstance(node, IntermediateThrowEvent) else "end"
                    taken = taken_flows(rt, node) if outcome == "continue" else []
                    break
                if catcher is None:
                    await incidents.park(
                        rt,
                        node,
                        token,
                        f"uncaught {thrown.kind} {thrown.code!r}: {thrown.message}",
                    )
                    continue
                if not catcher.interrupting:
                    # non-interrupting escalation: the catcher runs, the thrower goes on
                    catching.fire_catcher(rt, catcher, thrown, token)
                    outcome = "continue" if isinstance(node, IntermediateThrowEvent) else "end"
                    taken = taken_flows(rt, node) if outcome == "continue" else []
                    break
                if catcher.run is token.scope and catcher.esp is not None:
                    catching.fire_catcher(rt, catcher, thrown, token)
                    outcome = "interrupted"
                    taken = []
                    break
                raise  # unwinds to the sub-process that hosts this scope
    except asyncio.CancelledError:
        if token.merged:
            rt.counts.merged[node.id] += 1
        else:
            rt.counts.cancelled[node.id] += 1
            rt.record("ACTIVITY_CANCELLED", node.id)
        rt.finish_token(token)
        raise
    except BpmnThrow as thrown:
        # caught further up: this scope run ends, its host activity handles it
        rt.counts.cancelled[node.id] += 1
        scope = token.scope
        scope.tokens.pop(token.id, None)
        scope.thrown = thrown
        rt.touch_instance()
        return
    except Exception as exc:  # an interpreter bug: fail the workflow task, keep the run
        rt.failure = exc
        return
    if outcome == "interrupted":
        rt.counts.cancelled[node.id] += 1
        rt.record("ACTIVITY_CANCELLED", node.id)
        rt.finish_token(token)
        return
    if token.merged:
        rt.counts.merged[node.id] += 1
        rt.finish_token(token)
        return
    rt.counts.completed[node.id] += 1
    rt.record("ACTIVITY_COMPLETED", node.id)
    scope = token.scope
    compensation.remember_compensable(rt, node, token)
    scope.tokens.pop(token.id, None)
    for flow_id in taken:
        spawn(rt, scope, rt.flow_target(flow_id), via=flow_id)
    if not scope.tokens:
        rt.finish_scope(scope)
    rt.touch_instance()


def count_burst(rt: Runtime, node: Node) -> None:
    now = workflow.now()
    if now != rt.burst_time:
        rt.burst_time, rt.burst = now, 0
    rt.burst += 1
    if rt.burst > MAX_BURST:
        rt.burst = 0
        raise Incident(
            f"more than {MAX_BURST} elements ran without any wait: {node.id} is on a cycle "
            "that never waits (add a wait state or a condition that ends it)"
        )


def taken_flows(rt: Runtime, node: Node) -> list[str]:
    """Outgoing flows to follow (``routing.choose_flows``), conditions evaluated here."""
    assert rt.definition is not None
    return routing.choose_flows(
        node,
        rt.definition.flows,
        rt.condition,
        sink_ends=lambda: rt.holds(semantics.SINK),
    )


async def behave(rt: Runtime, node: Node, token: Token) -> str:
    """Run ``node`` for ``token``: "continue" along the outgoing flows, "end" here, or
    "interrupted" (a boundary event took the token elsewhere)."""
    attached = getattr(node, "boundary_events", [])
    if attached:
        return await boundaries.with_boundaries(rt, node, token, attached)
    return "continue" if await body(rt, node, token) else "end"


async def body(rt: Runtime, node: Node, token: Token) -> bool:
    """The element's behaviour; a multi-instance activity runs it once per item."""
    loop = getattr(node, "loop", None)
    if isinstance(loop, MultiInstance):
        token.busy = True  # instance coroutines are not carried by continue-as-new
        try:
            await loops.multi_instance(rt, node, loop, token)
        finally:
            token.busy = False
        return True
    if isinstance(loop, StandardLoop) and rt.holds(semantics.STANDARD_LOOP):
        token.busy = True  # the loop's counter lives in this coroutine
        try:
            await loops.standard_loop(rt, node, loop, token)
        finally:
            token.busy = False
        return True
    if loop is not None:
        raise Incident("standard loops are not executable yet")
    return await elements.single(rt, node, token)


def new_scope(rt: Runtime, element_id: str | None, parent: ScopeRun | None) -> ScopeRun:
    """A new run of a scope (the process, a sub-process activation), watching its event
    sub-processes' message, timer and signal starts from the start."""
    scope = ScopeRun(id=rt.new_id("s"), element_id=element_id, parent=parent)
    rt.scopes.append(scope)
    for esp_id, start in event_subprocesses.event_starts(rt, scope):
        event = start.event
        if event is not None and event.kind in ("message", "timer", "signal"):
            scope.watchers.append(
                asyncio.create_task(event_subprocesses.watch(rt, scope, esp_id, start))
            )
    return scope


def spawn(
    rt: Runtime, scope: ScopeRun, element_id: str, via: str | None, *, awaited: bool = False
) -> Token:
    """A new token at ``element_id`` in ``scope``, advancing in its own asyncio task."""
    token = Token(id=rt.new_id("t"), element_id=element_id, scope=scope, via=via, awaited=awaited)
    scope.tokens[token.id] = token
    token.task = asyncio.create_task(run_token(rt, token))
    rt.touch_instance()
    return token
