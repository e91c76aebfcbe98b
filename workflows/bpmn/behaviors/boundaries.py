"""Boundary events: an activity runs while its boundary catchers wait; the first to fire
interrupts it (or, non-interrupting, spawns a token beside it). Error and escalation
boundaries are matched by code, then by reference (``catches``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        BoundaryEvent,
        CancelEventDefinition,
        ErrorEventDefinition,
        EscalationEventDefinition,
        Node,
    )
    from workflows.tokens import BpmnThrow, Token

from workflows import semantics
from workflows.bpmn import advance, routing
from workflows.bpmn.behaviors import catch_events
from workflows.bpmn.control import Exhausted

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def with_boundaries(rt: Runtime, node: Node, token: Token, boundary_ids: list[str]) -> str:
    """Run the activity while its boundary events wait; an interrupting one that fires
    cancels the activity and the token leaves through the boundary event."""
    watchers: dict[asyncio.Task[Any], BoundaryEvent] = {}
    boundaries = [rt.node(b) for b in boundary_ids]

    fired_count: Counter[str] = Counter()
    # after continue-as-new, only the boundary waits that were still armed come back
    resuming = dict(token.resume) if token.resume else None
    if resuming is not None:
        for key, snap in resuming.items():
            fired_count[key] = snap.occurrence

    def arm(boundary: BoundaryEvent) -> None:
        if boundary.event.kind in ("error", "escalation", "compensate", "cancel"):
            return  # caught when thrown, not awaited
        wait = catch_events.catch(
            rt, boundary, boundary.event, fired_count[boundary.id], holder=token
        )
        watchers[asyncio.create_task(wait)] = boundary

    for boundary in boundaries:
        assert isinstance(boundary, BoundaryEvent)
        if resuming is None or boundary.id in resuming:
            arm(boundary)
    # created after the watchers, so they subscribe before the body can throw
    body = asyncio.create_task(advance.body(rt, node, token))
    try:
        while True:
            done, _ = await workflow.wait([body, *watchers], return_when=asyncio.FIRST_COMPLETED)
            if body in done:
                return "continue" if body.result() else "end"
            for fired in done:
                boundary = watchers.pop(fired)
                try:
                    fired.result()
                except Exhausted:
                    continue  # a repeating timer that has no occurrence left
                fired_count[boundary.id] += 1
                if boundary.cancel_activity:
                    body.cancel()
                    await workflow.wait([body])
                    leave_boundary(rt, token, boundary)
                    return "interrupted"
                leave_boundary(rt, token, boundary)
                arm(boundary)  # non-interrupting: may fire again
    except BpmnThrow as thrown:
        catcher = boundary_for(rt, boundaries, thrown)
        if catcher is None:
            raise
        leave_boundary(rt, token, catcher, thrown)
        return "interrupted"
    finally:
        for watcher in watchers:
            watcher.cancel()
        if not body.done():
            body.cancel()


def boundary_for(rt: Runtime, boundaries: list[Node], thrown: BpmnThrow) -> BoundaryEvent | None:
    fallback = None
    for boundary in boundaries:
        assert isinstance(boundary, BoundaryEvent)
        event = boundary.event
        if thrown.kind == "cancel" and isinstance(event, CancelEventDefinition):
            return boundary
        if thrown.kind == event.kind and isinstance(
            event, ErrorEventDefinition | EscalationEventDefinition
        ):
            match = catches(rt, event, thrown)
            if match == 2:
                return boundary
            if match == 1 and fallback is None:
                fallback = boundary
    return fallback


def catches(
    rt: Runtime, event: ErrorEventDefinition | EscalationEventDefinition, thrown: BpmnThrow
) -> int:
    """How well ``event`` catches ``thrown`` (``routing.catch_rank``)."""
    return routing.catch_rank(event, thrown, by_reference=lambda: rt.holds(semantics.THROW_REF))


def leave_boundary(
    rt: Runtime, token: Token, boundary: BoundaryEvent, thrown: BpmnThrow | None = None
) -> None:
    if thrown is not None and isinstance(boundary.event, ErrorEventDefinition):
        values: dict[str, Any] = {}
        if boundary.event.code_variable:
            values[boundary.event.code_variable] = thrown.code
        if boundary.event.message_variable:
            values[boundary.event.message_variable] = thrown.message
        rt.set_variables(values, boundary.id)
    advance.spawn(rt, token.scope, boundary.id, via=None)
