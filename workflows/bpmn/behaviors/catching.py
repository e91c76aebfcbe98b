"""Catching thrown errors and escalations: the catcher search up the scope tree (event
sub-processes first, then the host's boundary events), firing the catcher, and what an
uncaught throw from an end or throw event does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        EndEvent,
        ErrorEventDefinition,
        EscalationEventDefinition,
        IntermediateThrowEvent,
        Node,
        StartEvent,
        SubProcess,
    )
    from workflows.tokens import BpmnThrow, ScopeRun, Token

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.behaviors import boundaries, event_subprocesses
from workflows.bpmn.control import Catcher

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def unhandled_throw_passes(rt: Runtime, node: Node, thrown: BpmnThrow) -> bool:
    """An error or escalation thrown by an end or intermediate throw event that no
    one catches behaves like a none event (BPMN leaves an uncaught escalation without
    effect; Camunda 7 treats an unhandled error end event as a none end event). It is
    kept in the case history. Errors raised by service tasks still park as incidents:
    silently dropping failed work would lose it. Histories recorded before this rule
    raised an incident here, hence the patch marker.

    In an instance a call activity started, an uncaught error of any element goes to
    the caller instead (``semantics.CALLED_ERROR``): the instance ends with it, and the
    call activity throws it again for its own catchers, as in Camunda 7."""
    if (
        thrown.kind == "error"
        and thrown.element_id == node.id
        and rt.input.parent_instance_id is not None
        and rt.holds(semantics.CALLED_ERROR)
    ):
        rt.record("ERROR_TO_CALLER", node.id, details={"code": thrown.code or ""})
        if rt.error_to_caller is None:
            rt.error_to_caller = thrown
        return True
    if (
        thrown.kind not in ("error", "escalation")
        or thrown.element_id != node.id
        or not isinstance(node, EndEvent | IntermediateThrowEvent)
        or not rt.holds(semantics.UNHANDLED_THROW)
    ):
        return False
    rt.record(f"UNHANDLED_{thrown.kind.upper()}", node.id, details={"code": thrown.code or ""})
    return True


def rethrower(rt: Runtime, node: Node) -> str | None:
    """An event sub-process whose own run threw: its scope has already handled one
    event, so the throw goes past that scope's event sub-processes to the boundary
    events of its host (BPMN "rethrow"). Before this rule the sub-process caught its
    own throw again until the burst limit parked it, hence the patch marker."""
    if isinstance(node, SubProcess) and node.variant == "event" and rt.holds(semantics.ESP_RETHROW):
        return node.id
    return None


def find_catcher(
    rt: Runtime, scope: ScopeRun, thrown: BpmnThrow, rethrower: str | None = None
) -> Catcher | None:
    """The nearest catcher up the scope chain: an event sub-process of a scope (exact
    code before catch-all), else a boundary event of the sub-process hosting it."""
    running = {run.element_id for run in scope.chain()}
    if rethrower is not None:
        running.add(rethrower)
    for run in scope.chain():
        best: tuple[str, StartEvent] | None = None
        for esp_id, start in event_subprocesses.event_starts(rt, run):
            if esp_id in running or start.event is None or start.event.kind != thrown.kind:
                continue
            assert isinstance(start.event, ErrorEventDefinition | EscalationEventDefinition)
            match = boundaries.catches(rt, start.event, thrown)
            if match == 2:
                best = (esp_id, start)
                break
            if match == 1 and best is None:
                best = (esp_id, start)
        if best is not None:
            interrupting = thrown.kind == "error" or best[1].interrupting
            return Catcher(run, interrupting, esp=best[0], start=best[1])
        if run.element_id is None:
            return None
        host = rt.node(run.element_id)
        hosted = [rt.node(b) for b in getattr(host, "boundary_events", [])]
        boundary = boundaries.boundary_for(rt, hosted, thrown)
        if boundary is not None:
            interrupting = thrown.kind == "error" or boundary.cancel_activity
            return Catcher(run, interrupting, boundary=boundary)
    return None


def fire_catcher(rt: Runtime, catcher: Catcher, thrown: BpmnThrow, current: Token) -> None:
    if catcher.esp is not None and catcher.start is not None:
        event = catcher.start.event
        if isinstance(event, ErrorEventDefinition):
            values: dict[str, Any] = {}
            if event.code_variable:
                values[event.code_variable] = thrown.code
            if event.message_variable:
                values[event.message_variable] = thrown.message
            rt.set_variables(values, catcher.esp)
        event_subprocesses.trigger_esp(rt, catcher.run, catcher.esp, catcher.start, current=current)
    elif catcher.boundary is not None and catcher.run.parent is not None:
        advance.spawn(rt, catcher.run.parent, catcher.boundary.id, via=None)
