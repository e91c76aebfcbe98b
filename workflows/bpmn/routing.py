"""Pure routing rules: which outgoing flows a token takes, and how well a catcher matches
a throw. No Temporal calls: the runtime passes the condition evaluator and the semantic
rules in as callables, consulted only where they decide (a rule's marker is recorded only
where it matters), and the unit tests pass plain functions
(``tests/workflows/test_routing_rules.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        ErrorEventDefinition,
        EscalationEventDefinition,
        Expression,
        Gateway,
        Node,
        SequenceFlow,
    )
    from workflows.tokens import BpmnThrow

from workflows.bpmn.control import Incident, code_and_ref


def choose_flows(
    node: Node,
    flows: Mapping[str, SequenceFlow],
    holds: Callable[[str, Expression], bool],
    *,
    sink_ends: Callable[[], bool],
) -> list[str]:
    """Outgoing flows to follow.

    A gateway with no outgoing flow at all ends the token, as any element without
    outgoing flows does (``sink_ends``: the rule holds for this run). Exclusive gateway:
    the first flow (document order) whose condition holds, else the default, else an
    incident. Inclusive gateway and other elements: every flow whose condition holds
    (unconditional ones always), the default only when no other flow is taken; an
    inclusive gateway with no flow to take is an incident. Conditions are evaluated in
    document order and only as far as the choice needs them (an exclusive gateway stops
    at the first that holds), as Camunda 7 and Zeebe do.
    """
    default = getattr(node, "default_flow", None)
    candidates = [f for f in node.outgoing if f != default]
    if isinstance(node, Gateway) and not node.outgoing and sink_ends():
        return []  # a gateway without outgoing flows is an implicit end, not a dead end
    if isinstance(node, Gateway) and node.gateway == "exclusive":
        for flow_id in candidates:
            condition = flows[flow_id].condition
            if condition is None or holds(flow_id, condition):
                return [flow_id]
        if default is not None:
            return [default]
        raise Incident("no outgoing flow of the exclusive gateway matched")
    if isinstance(node, Gateway) and node.gateway in ("parallel", "eventBased"):
        return [] if node.gateway == "eventBased" else list(node.outgoing)
    taken = [f for f in candidates if (cond := flows[f].condition) is None or holds(f, cond)]
    if default is not None and not taken:
        taken.append(default)
    if isinstance(node, Gateway) and node.gateway == "inclusive" and node.outgoing and not taken:
        raise Incident("no outgoing flow of the inclusive gateway matched")
    return taken


def catch_rank(
    event: ErrorEventDefinition | EscalationEventDefinition,
    thrown: BpmnThrow,
    *,
    by_reference: Callable[[], bool],
) -> int:
    """2: the catcher names what was thrown; 1: it catches it as a catch-all; 0: not
    this. A catcher without code catches every code (Camunda 7, Zeebe). Among those,
    the one that references the same code-less error/escalation element as the throw
    (or, for a throw that references none, the one that references none) is the
    exact match, as in the BPMN token simulation; ``by_reference`` says that rule holds
    for this run (before it, every code-less catcher was an exact match for a code-less
    throw), consulted only where the ranking differs."""
    code, ref = code_and_ref(event)
    if code is not None:
        return 2 if code == thrown.code else 0
    if thrown.code is not None:
        return 1
    new = 2 if ref == thrown.ref else 1
    if new != 2 and not by_reference():
        return 2
    return new
