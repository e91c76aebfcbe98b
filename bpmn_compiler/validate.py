"""Semantic checks on a built process: the rules a modeller breaks without noticing.

Each check reports through the context with the element's id and line; checks that only
matter for running the process are marked ``execution=True`` (warnings in documentation-
only processes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from lxml import etree

from bpmn_compiler import dialects, timers
from bpmn_compiler.context import Context
from bpmn_compiler.ir import (
    BoundaryEvent,
    CallActivity,
    ConditionalEventDefinition,
    EndEvent,
    Gateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    MessageEventDefinition,
    MultiInstance,
    Node,
    ReceiveTask,
    SequenceFlow,
    SignalEventDefinition,
    StartEvent,
    SubProcess,
    TimerEventDefinition,
    implicit_starts,
)

Find = Callable[[str], etree._Element | None]
Here = etree._Element | None

_ACTIVITY_KINDS = {
    "task",
    "serviceTask",
    "scriptTask",
    "userTask",
    "receiveTask",
    "callActivity",
    "subProcess",
}
_EVENT_SUB_ONLY = {"error", "escalation", "compensate"}
_EVENT_GATEWAY_TARGETS = {"message", "timer", "signal", "conditional"}


def validate_process(
    ctx: Context,
    nodes: dict[str, Node],
    flows: dict[str, SequenceFlow],
    elements: dict[str, etree._Element],
    process_el: etree._Element,
    process_starts: list[str],
    degraded: set[str] | frozenset[str] = frozenset(),
    rejected: dict[str, tuple[str, str | None]] | None = None,
) -> None:
    """Check one process; ``degraded`` nodes lost flows to rejected elements, so checks
    that count flows skip them (the root cause is reported already)."""
    find: Find = elements.get
    rejected = rejected or {}
    # a start event that was itself rejected is the root cause: no follow-up complaint
    rejected_starts = {scope for tag, scope in rejected.values() if tag == "startEvent"}
    if None not in rejected_starts:
        _check_starts(ctx, nodes, find, process_el, process_starts)
    for node in nodes.values():
        _check_node(
            ctx,
            node,
            nodes,
            flows,
            find,
            degraded=node.id in degraded or node.id in rejected_starts,
        )
    _check_links(ctx, nodes, find)
    _check_subscriptions(ctx, nodes, flows, find)


def _check_starts(
    ctx: Context,
    nodes: dict[str, Node],
    find: Find,
    process_el: etree._Element,
    process_starts: list[str],
) -> None:
    implicit = implicit_starts(nodes, None)
    if not process_starts and not implicit:
        ctx.report(
            "no-start-event",
            "the process has no start event and no element without incoming sequence flow, "
            "so no instance can begin (only its event sub-processes could ever run)",
            process_el,
            warning=True,
        )
    elif not process_starts:
        ctx.report(
            "implicit-start",
            "the process has no start event: a start puts a token on every element without "
            f"incoming sequence flow ({', '.join(implicit)})",
            process_el,
            warning=True,
        )
    none_starts = [
        s for s in process_starts if isinstance(n := nodes[s], StartEvent) and n.event is None
    ]
    if len(none_starts) > 1:
        ctx.report(
            "multiple-none-start-events",
            f"the process has {len(none_starts)} none start events ({', '.join(none_starts)}); "
            "a start must name the one it begins at",
            find(none_starts[1]),
            warning=True,
        )
    for start_id in process_starts:
        start = nodes[start_id]
        if isinstance(start, StartEvent) and start.event and start.event.kind in _EVENT_SUB_ONLY:
            ctx.report(
                "invalid-event-definition",
                f"a {start.event.kind} start event is only allowed in an event sub-process",
                find(start_id),
                execution=True,
            )


def _check_node(
    ctx: Context,
    node: Node,
    nodes: dict[str, Node],
    flows: dict[str, SequenceFlow],
    find: Find,
    *,
    degraded: bool,
) -> None:
    here = find(node.id)
    default = getattr(node, "default_flow", None)
    if default is not None and not degraded:
        if default not in node.outgoing:
            ctx.report(
                "invalid-default-flow",
                f"the default flow {default!r} is not an outgoing flow of this element",
                here,
            )
        elif flows[default].condition is not None:
            ctx.report(
                "default-flow-with-condition",
                f"the default flow {default!r} has a condition, which is ignored",
                here,
                warning=True,
            )

    if isinstance(node, StartEvent):
        if node.incoming:
            ctx.report(
                "start-event-with-incoming", "a start event cannot have incoming flows", here
            )
    elif isinstance(node, BoundaryEvent):
        _check_boundary(ctx, node, nodes, here)
    elif isinstance(node, Gateway) and not degraded:
        _check_gateway(ctx, node, nodes, flows, here)
    elif isinstance(node, SubProcess) and not degraded:
        _check_sub_process(ctx, node, nodes, here)
    elif isinstance(node, EndEvent) and node.outgoing:
        ctx.report("end-event-with-outgoing", "an end event cannot have outgoing flows", here)

    loop = getattr(node, "loop", None)
    if isinstance(loop, MultiInstance) and loop.cardinality is None and loop.collection is None:
        ctx.report(
            "multi-instance-without-input",
            "a multi-instance activity needs loopCardinality or a collection "
            "(camunda:collection, zeebe:loopCharacteristics inputCollection)",
            here,
            execution=True,
        )
    event = getattr(node, "event", None)
    if isinstance(event, TimerEventDefinition) and event.value.language == "literal":
        try:
            timers.validate(event.timer, event.value.source)
        except timers.TimerValueError as exc:
            ctx.report("invalid-timer", str(exc), here, execution=True)
    if isinstance(node, CallActivity) and not node.called_element.source:
        ctx.report("missing-called-element", "the called element is empty", here, execution=True)

    needs_incoming = not isinstance(node, StartEvent | BoundaryEvent) and not (
        getattr(node, "is_for_compensation", False)
        or (isinstance(node, SubProcess) and node.variant == "event")
        or (
            isinstance(node, IntermediateCatchEvent) and isinstance(node.event, LinkEventDefinition)
        )
        or (isinstance(node, Gateway) and node.gateway == "eventBased" and node.instantiate)
    )
    parent = nodes.get(node.scope) if node.scope else None
    if (
        needs_incoming
        and not degraded
        and not node.incoming
        and not (isinstance(parent, SubProcess) and parent.variant == "adHoc")
    ):
        ctx.report(
            "no-incoming-flow",
            "no sequence flow leads here: it gets a token whenever its scope starts "
            "(implicit start), beside the start events",
            here,
            warning=True,
        )


def _check_boundary(ctx: Context, node: BoundaryEvent, nodes: dict[str, Node], here: Here) -> None:
    host = nodes.get(node.attached_to)
    if node.incoming:
        ctx.report("boundary-with-incoming", "a boundary event cannot have incoming flows", here)
    if host is None:
        return  # reported while resolving attachedToRef
    if node.event.kind == "cancel" and not (
        isinstance(host, SubProcess) and host.variant == "transaction"
    ):
        ctx.report(
            "cancel-boundary-outside-transaction",
            "a cancel boundary event can only be attached to a transaction sub-process",
            here,
            execution=True,
        )


def _check_gateway(
    ctx: Context, node: Gateway, nodes: dict[str, Node], flows: dict[str, SequenceFlow], here: Here
) -> None:
    if node.gateway == "parallel":
        for flow_id in node.outgoing:
            if flows[flow_id].condition is not None:
                ctx.report(
                    "condition-ignored",
                    f"flow {flow_id!r} leaves a parallel gateway: its condition is ignored",
                    here,
                    warning=True,
                )
    if node.gateway == "eventBased":
        if not node.outgoing and not node.instantiate:
            ctx.report(
                "event-gateway-needs-events",
                "an event-based gateway needs outgoing flows to events",
                here,
                execution=True,
            )
        elif len(node.outgoing) < 2 and not node.instantiate:
            # BPMN asks for two; Camunda 7 deploys one (a plain wait for that event)
            ctx.report(
                "event-gateway-needs-events",
                "an event-based gateway with one outgoing flow only waits for that event "
                "(BPMN asks for at least two)",
                here,
                warning=True,
            )
        for flow_id in node.outgoing:
            target = nodes.get(flows[flow_id].target)
            ok = isinstance(target, ReceiveTask) or (
                isinstance(target, IntermediateCatchEvent)
                and target.event.kind in _EVENT_GATEWAY_TARGETS
            )
            if not ok:
                ctx.report(
                    "invalid-event-gateway-target",
                    f"flow {flow_id!r} of an event-based gateway must lead to a message, timer, "
                    "signal or conditional catch event or a receive task",
                    here,
                    execution=True,
                )
    if node.gateway in ("exclusive", "inclusive") and len(node.outgoing) > 1:
        unconditional = [
            f for f in node.outgoing if flows[f].condition is None and f != node.default_flow
        ]
        if unconditional:
            ctx.report(
                "flow-without-condition",
                f"flow(s) {', '.join(unconditional)} leave a diverging {node.gateway} gateway "
                "without a condition and are always taken",
                here,
                warning=True,
            )


def _check_sub_process(ctx: Context, node: SubProcess, nodes: dict[str, Node], here: Here) -> None:
    starts = [nodes[s] for s in node.start_nodes]
    if node.variant == "event":
        if node.incoming or node.outgoing:
            ctx.report(
                "event-subprocess-with-flows",
                "an event sub-process cannot have incoming or outgoing sequence flows",
                here,
            )
        triggered = [s for s in starts if isinstance(s, StartEvent) and s.event is not None]
        if not starts or len(triggered) != len(starts):
            ctx.report(
                "event-subprocess-start",
                "an event sub-process needs start events with a trigger (each one starts it)",
                here,
                execution=True,
            )
        return
    if node.variant == "adHoc" or not node.children:
        return
    none_starts = [s for s in starts if isinstance(s, StartEvent) and s.event is None]
    if len(none_starts) != len(starts) or not (none_starts or implicit_starts(nodes, node.id)):
        ctx.report(
            "subprocess-start",
            "an embedded sub-process needs none start events (or elements without incoming "
            "sequence flow) and no triggered ones",
            here,
            execution=True,
        )


def _check_links(ctx: Context, nodes: dict[str, Node], find: Find) -> None:
    catches: Counter[tuple[str | None, str]] = Counter()
    for node in nodes.values():
        if isinstance(node, IntermediateCatchEvent) and isinstance(node.event, LinkEventDefinition):
            key = (node.scope, node.event.link_name)
            catches[key] += 1
            if catches[key] == 2:
                ctx.report(
                    "duplicate-link",
                    f"another link catch event is named {node.event.link_name!r} in this scope",
                    find(node.id),
                    execution=True,
                )
    for node in nodes.values():
        if (
            isinstance(node, IntermediateThrowEvent)
            and isinstance(node.event, LinkEventDefinition)
            and (node.scope, node.event.link_name) not in catches
        ):
            known = sorted(n for s, n in catches if s == node.scope)
            ctx.report(
                "unknown-link",
                f"no link catch event named {node.event.link_name!r} in this scope"
                + (f" (known: {', '.join(known)})" if known else ""),
                find(node.id),
                execution=True,
            )


def _subscription_scope(
    node: Node, nodes: dict[str, Node], flows: dict[str, SequenceFlow]
) -> tuple[str, str | None] | None:
    """Where Camunda 7 keeps the node's event subscription (its "event scope"), among
    the nodes that compete there: start events of the process, start events of the
    interrupting event sub-processes of one scope, boundary events of one activity, the
    events after one event-based gateway. None for a node that waits alone."""
    if isinstance(node, StartEvent):
        parent = nodes.get(node.scope) if node.scope else None
        if parent is None:
            return ("another start event of the process", None)
        if isinstance(parent, SubProcess) and parent.variant == "event" and node.interrupting:
            # Camunda 7's test pins two interrupting ones; a non-interrupting one beside an
            # interrupting one has a meaning (both fire) and other engines' suites use it
            where = f"{parent.scope!r}" if parent.scope else "the process"
            return (f"another interrupting event sub-process of {where}", parent.scope)
        return None
    if isinstance(node, BoundaryEvent):
        return (f"another boundary event of {node.attached_to!r}", node.attached_to)
    if isinstance(node, IntermediateCatchEvent) and len(node.incoming) == 1:
        source = nodes.get(flows[node.incoming[0]].source) if node.incoming[0] in flows else None
        if isinstance(source, Gateway) and source.gateway == "eventBased":
            return (f"another event after the gateway {source.id!r}", source.id)
    return None


def _check_subscriptions(
    ctx: Context, nodes: dict[str, Node], flows: dict[str, SequenceFlow], find: Find
) -> None:
    """Camunda 7 refuses two message (or signal) subscriptions with the same name in one
    event scope, and two conditional start events with the same condition."""
    seen: set[tuple[str, str | None, str, str]] = set()
    for node in nodes.values():
        event = getattr(node, "event", None)
        if isinstance(event, MessageEventDefinition) and event.message_name is not None:
            kind, name = "message", event.message_name.source
        elif isinstance(event, SignalEventDefinition) and event.signal_name is not None:
            kind, name = "signal", event.signal_name.source
        elif isinstance(event, ConditionalEventDefinition) and isinstance(node, StartEvent):
            kind, name = "condition", event.condition.source
        else:
            continue
        where = _subscription_scope(node, nodes, flows)
        if where is None or (kind == "condition" and where[1] is not None):
            continue
        key = (where[0], where[1], kind, name)
        if key not in seen:
            seen.add(key)
            continue
        what = (
            f"the same condition {name!r}"
            if kind == "condition"
            else f"the same {kind} name {name!r}"
        )
        # A signal reaches every catcher: two process start events on one signal each
        # start an instance, which BPMN allows (and the token-simulation conformance suite
        # runs); only Camunda 7 refuses it, so only its files get the error.
        broadcast = kind == "signal" and isinstance(node, StartEvent) and node.scope is None
        dialects.camunda7_rule(
            ctx,
            "duplicate-subscription",
            f"{where[0]} already waits for {what}; Camunda 7 refuses two such "
            "subscriptions in one scope" + ("" if broadcast else " (which one would fire?)"),
            find(node.id),
            generic=not broadcast,
        )


def is_activity(node: Node) -> bool:
    return node.kind in _ACTIVITY_KINDS
