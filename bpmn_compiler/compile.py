"""From BPMN bytes to :class:`ProcessDefinition` values or diagnostics.

The compiler is pure (bytes in, IR or diagnostics out) and never raises on bad input:
every problem becomes a :class:`Diagnostic` naming the element and its line, and an
unexpected failure becomes an ``internal-error`` diagnostic rather than an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.context import (
    Catalog,
    Context,
    bpmn_children,
    did_you_mean,
    is_bpmn,
    local,
    ref,
    xsd_bool,
)
from bpmn_compiler.diagram import read_diagram
from bpmn_compiler.dialects import (
    camunda7_rule,
    check_camunda7_attributes,
    dialect_of,
    formal_expression,
)
from bpmn_compiler.elements import IGNORED, REGISTRY
from bpmn_compiler.engine_limits import check_engine_limits
from bpmn_compiler.errors import CompileFailed, Diagnostic, Severity
from bpmn_compiler.events import message_correlation
from bpmn_compiler.expression_check import check_expressions
from bpmn_compiler.ir import (
    BoundaryEvent,
    Error,
    Escalation,
    Gateway,
    Message,
    MessageFlow,
    Node,
    ProcessDefinition,
    SequenceFlow,
    Signal,
    StartEvent,
    SubProcess,
    Waypoint,
)
from bpmn_compiler.validate import is_activity, validate_process
from bpmn_compiler.xml import parse_xml


@dataclass
class CompileResult:
    """What one file compiled to: its executable definitions and every finding."""

    definitions: list[ProcessDefinition] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    processes: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def recovered(self) -> bool:
        """Read in XML recovery mode: fine to lint, never to deploy (text may be lost)."""
        return any(d.code == "xml-recovered" for d in self.diagnostics)

    @property
    def crashed(self) -> bool:
        return any(d.code == "internal-error" for d in self.diagnostics)


class ProcessWalker:
    """Builds the nodes and flows of one process, descending into sub-processes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.nodes: dict[str, Node] = {}
        self.flows: dict[str, SequenceFlow] = {}
        self.elements: dict[str, etree._Element] = {}
        self.associations: list[tuple[str, str]] = []
        self.degraded: set[str] = set()  # nodes that lost a flow to a rejected element
        self.rejected: dict[str, tuple[str, str | None]] = {}  # id → (tag, scope)
        self.start_nodes: list[str] = []
        self.event_subprocesses: list[str] = []

    def walk_scope(
        self, container: etree._Element, scope: str | None
    ) -> tuple[list[str], list[str], list[str]]:
        """Build the direct children of ``container``: (children, starts, event subs)."""
        children: list[str] = []
        starts: list[str] = []
        event_subs: list[str] = []
        for child in container:
            if not is_bpmn(child):
                continue
            name = local(child)
            element_id = child.get("id")
            if (
                not element_id
                and name == "subProcess"
                and xsd_bool(child.get("triggeredByEvent"), False)
            ):
                element_id = self._name_event_sub_process(child, container, scope)
            if element_id:
                if element_id in self.elements or element_id in self.ctx.seen_ids:
                    self.ctx.report("duplicate-id", f"the id {element_id!r} is used twice", child)
                    self.rejected[f"{element_id}#dup{child.sourceline}"] = (name, scope)
                    continue
                self.elements[element_id] = child
                self.ctx.seen_ids[element_id] = ""
            if name == "sequenceFlow":
                self._flow(child)
                continue
            if name == "association":
                source, target = ref(child.get("sourceRef")), ref(child.get("targetRef"))
                if source and target:
                    self.associations.append((source, target))
                continue
            if name in IGNORED:
                continue
            spec = REGISTRY.get(name)
            if spec is None or spec.builder is None:
                reason = spec.summary if spec else f"{name} is not a BPMN element Baton can run"
                self.ctx.report("unsupported-element", reason, child, execution=True)
                continue
            if not element_id:
                self.ctx.report("missing-id", f"a {name} needs an id attribute", child)
                continue
            node = spec.builder(self.ctx, child, scope, self)
            if node is None:
                self.rejected[element_id] = (name, scope)
                continue
            self.nodes[node.id] = node
            children.append(node.id)
            if isinstance(node, StartEvent) or (
                isinstance(node, Gateway) and node.instantiate and node.gateway == "eventBased"
            ):
                starts.append(node.id)
            if isinstance(node, SubProcess) and node.variant == "event":
                event_subs.append(node.id)
        return children, starts, event_subs

    def _name_event_sub_process(
        self, el: etree._Element, container: etree._Element, scope: str | None
    ) -> str:
        """Camunda 7 deploys an event sub-process without an id: it gets one from its
        position (its scope and its place among that scope's event sub-processes), so
        the same file always compiles to the same ids."""
        place = sum(
            1
            for sibling in el.itersiblings(preceding=True)
            if is_bpmn(sibling)
            and local(sibling) == "subProcess"
            and xsd_bool(sibling.get("triggeredByEvent"), False)
        )
        base = f"{scope or container.get('id', 'process')}-eventSubProcess-{place + 1}"
        element_id, n = base, 1
        while element_id in self.elements or element_id in self.ctx.seen_ids:
            n += 1
            element_id = f"{base}#{n}"
        el.set("id", element_id)
        self.ctx.report(
            "missing-id",
            f"an event sub-process without an id: named {element_id!r} after its position",
            el,
            warning=True,
        )
        return element_id

    def _flow(self, el: etree._Element) -> None:
        flow_id = el.get("id", "")
        if not flow_id:
            # Camunda accepts flows without ids (its engine tests have them): name them
            # after their ends, deterministically, so the IR hash stays stable.
            base = f"{el.get('sourceRef', '')}->{el.get('targetRef', '')}"
            flow_id, n = base, 1
            while flow_id in self.elements:
                n += 1
                flow_id = f"{base}#{n}"
            self.elements[flow_id] = el
        condition = None
        cond_el = next(iter(bpmn_children(el, "conditionExpression")), None)
        if cond_el is not None:
            condition = formal_expression(self.ctx, cond_el, el, condition=True)
        self.flows[flow_id] = SequenceFlow(
            id=flow_id,
            source=ref(el.get("sourceRef")) or "",
            target=ref(el.get("targetRef")) or "",
            name=el.get("name"),
            condition=condition,
            line=el.sourceline,
        )

    def connect(self) -> None:
        """Resolve flows, boundary attachments and compensation handlers."""
        incoming: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        outgoing: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for flow in list(self.flows.values()):
            el = self.elements[flow.id]
            broken = False
            for role, end in (("sourceRef", flow.source), ("targetRef", flow.target)):
                if end not in self.elements:
                    self.ctx.report(
                        "unknown-reference",
                        f"{role} {end!r} names no element of this process"
                        + did_you_mean(end, self.elements, self.ctx),
                        el,
                    )
                    broken = True
            if broken:
                del self.flows[flow.id]
                continue
            if flow.source not in self.nodes or flow.target not in self.nodes:
                # an endpoint was rejected and reported already; spare its neighbours
                # follow-up complaints about the missing flow
                self.degraded.update((flow.source, flow.target))
                del self.flows[flow.id]
                continue
            source_scope = self.nodes[flow.source].scope
            if source_scope != self.nodes[flow.target].scope:
                self.ctx.report(
                    "flow-crosses-scope",
                    f"the flow connects {flow.source!r} and {flow.target!r}, which are in "
                    "different (sub-)processes; sequence flows cannot cross a sub-process border",
                    el,
                )
                del self.flows[flow.id]
                continue
            # Some tools write every flow at process level, even inside sub-processes:
            # what matters is that both ends share a scope.
            outgoing[flow.source].append(flow.id)
            incoming[flow.target].append(flow.id)

        boundaries: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if not isinstance(node, BoundaryEvent):
                continue
            host = self.nodes.get(node.attached_to)
            el = self.elements[node.id]
            if host is None and node.attached_to in self.elements:
                continue  # the activity itself was rejected and reported
            if host is None:
                self.ctx.report(
                    "unknown-reference",
                    f"attachedToRef {node.attached_to!r} names no activity"
                    + did_you_mean(node.attached_to, self.nodes, self.ctx),
                    el,
                )
                continue
            if not is_activity(host):
                self.ctx.report(
                    "boundary-on-non-activity",
                    f"a boundary event can only be attached to an activity, not a {host.kind}",
                    el,
                )
                continue
            if host.scope != node.scope:
                self.ctx.report(
                    "boundary-scope",
                    "a boundary event must be in the same (sub-)process as its activity",
                    el,
                )
            boundaries.setdefault(host.id, []).append(node.id)

        handlers: dict[str, str] = {}
        for source, target in self.associations:
            boundary = self.nodes.get(source)
            handler = self.nodes.get(target)
            if (
                isinstance(boundary, BoundaryEvent)
                and boundary.event.kind == "compensate"
                and handler is not None
            ):
                handlers[boundary.attached_to] = handler.id

        for node_id, node in list(self.nodes.items()):
            update: dict[str, object] = {
                "incoming": incoming[node_id],
                "outgoing": outgoing[node_id],
            }
            if is_activity(node):
                update["boundary_events"] = boundaries.get(node_id, [])
                if node_id in handlers:
                    update["compensation_handler"] = handlers[node_id]
            self.nodes[node_id] = node.model_copy(update=update)


def _read_catalog(ctx: Context, root: etree._Element) -> Catalog:
    catalog = Catalog()
    for el in bpmn_children(root):
        name, element_id = local(el), el.get("id")
        if not element_id:
            continue
        if name == "message":
            catalog.messages[element_id] = Message(
                id=element_id, name=el.get("name"), correlation_key=message_correlation(el)
            )
        elif name == "signal":
            catalog.signals[element_id] = Signal(id=element_id, name=el.get("name"))
        elif name == "error":
            catalog.errors[element_id] = Error(
                id=element_id,
                name=el.get("name"),
                code=el.get("errorCode"),
                message=el.get("{http://camunda.org/schema/1.0/bpmn}errorMessage"),
            )
        elif name == "escalation":
            catalog.escalations[element_id] = Escalation(
                id=element_id, name=el.get("name"), code=el.get("escalationCode")
            )
        elif name.endswith("EventDefinition"):
            catalog.event_definitions[element_id] = el
    _check_signals(ctx, root)
    ctx.catalog = catalog
    return catalog


def _check_signals(ctx: Context, root: etree._Element) -> None:
    """Camunda 7 refuses a ``<signal>`` without id and two signals with one name."""
    names: dict[str, str] = {}
    for el in bpmn_children(root, "signal"):
        element_id, name = el.get("id"), el.get("name")
        if not element_id:
            camunda7_rule(ctx, "signal-without-id", "a signal needs an id", el)
        if name is None:
            continue
        if name in names:
            camunda7_rule(
                ctx,
                "duplicate-signal-name",
                f"signal {names[name]!r} already has the name {name!r}; two signals with one "
                "name would be one broadcast",
                el,
            )
        else:
            names[name] = element_id or "(no id)"


def _collaboration(root: etree._Element) -> tuple[dict[str, str], list[etree._Element]]:
    """Participant of each process, and every message flow of the file."""
    participants: dict[str, str] = {}
    message_flows: list[etree._Element] = []
    for collab in bpmn_children(root, "collaboration"):
        for participant in bpmn_children(collab, "participant"):
            ref = (participant.get("processRef") or "").split(":")[-1]
            if ref and participant.get("id"):
                participants[ref] = participant.get("id", "")
        message_flows += bpmn_children(collab, "messageFlow")
    return participants, message_flows


def _executable(ctx: Context, process: etree._Element, include_non_executable: bool) -> bool:
    flag = process.get("isExecutable")
    if flag is None:
        ctx.report(
            "is-executable-missing",
            'the process does not say isExecutable="true"; Baton treats it as executable',
            process,
            warning=True,
        )
        return True
    return xsd_bool(flag, True) or include_non_executable


def compile_bpmn(
    data: bytes, *, filename: str | None = None, include_non_executable: bool = False
) -> CompileResult:
    """Compile every executable process in a BPMN file.

    Processes marked ``isExecutable="false"`` are validated but not returned unless
    ``include_non_executable``: deploying a documentation-only diagram must be deliberate.
    Problems that only matter for execution are warnings in such processes.
    """
    result = CompileResult()
    ctx = Context(filename=filename, diagnostics=result.diagnostics)
    try:
        _compile(ctx, data, result, include_non_executable)
    except Exception as exc:
        ctx.executable = True
        ctx.report("internal-error", f"the compiler failed on this file: {exc!r}")
    return result


def _compile(ctx: Context, data: bytes, result: CompileResult, include_all: bool) -> None:
    root, diagnostics = parse_xml(data, ctx.filename, expected_root=ns.q(ns.BPMN, "definitions"))
    result.diagnostics.extend(diagnostics)
    if root is None:
        return
    if root.tag != ns.q(ns.BPMN, "definitions"):
        ctx.report(
            "not-bpmn",
            f"the root element is {etree.QName(root).localname!r} in "
            f"{etree.QName(root).namespace or 'no namespace'}, not BPMN 2.0 definitions "
            f"({ns.BPMN})",
            root,
        )
        return
    catalog = _read_catalog(ctx, root)
    ctx.expression_language = root.get("expressionLanguage")
    participants, flow_elements = _collaboration(root)
    processes = bpmn_children(root, "process")
    result.processes = len(processes)
    if not processes:
        ctx.report(
            "no-process",
            "the file contains no process (only a collaboration or choreography?)",
            root,
            warning=True,
        )
        return
    built: list[tuple[etree._Element, ProcessWalker, bool]] = []
    owner: dict[str, str] = {}
    for process in processes:
        key = process.get("id")
        if not key:
            ctx.report("missing-id", "a process needs an id attribute", process)
            continue
        ctx.executable = _executable(ctx, process, include_all)
        errors_before = ctx.error_count()
        walker = ProcessWalker(ctx)
        walker.elements[key] = process
        _, walker.start_nodes, walker.event_subprocesses = walker.walk_scope(process, None)
        walker.connect()
        check_expressions(ctx, walker.nodes, walker.flows, walker.elements)
        check_camunda7_attributes(ctx, walker.elements.values())
        validate_process(
            ctx,
            walker.nodes,
            walker.flows,
            walker.elements,
            process,
            walker.start_nodes,
            walker.degraded,
            walker.rejected,
        )
        check_engine_limits(ctx, walker.nodes, walker.flows, walker.elements)
        for element_id in walker.elements:
            owner[element_id] = key
        ok = ctx.error_count() == errors_before
        if not ctx.executable:
            ctx.report(
                "not-executable",
                'the process is marked isExecutable="false": validated, not deployed',
                process,
                warning=True,
            )
        built.append((process, walker, ok and ctx.executable))

    ctx.executable = True
    diagram = read_diagram(root)
    message_flows = [
        _attached(flow, diagram.edges.get(flow.id))
        for flow in _message_flows(ctx, flow_elements, participants, owner)
    ]
    for process, walker, deployable in built:
        if not deployable:
            continue
        key = process.get("id", "")
        participant = participants.get(key)
        mine = {nid for nid, pid in owner.items() if pid == key}
        if participant:
            mine.add(participant)
        result.definitions.append(
            ProcessDefinition(
                key=key,
                name=process.get("name"),
                version_tag=process.get("{http://camunda.org/schema/1.0/bpmn}versionTag"),
                nodes=walker.nodes,
                flows=walker.flows,
                start_nodes=walker.start_nodes,
                event_subprocesses=walker.event_subprocesses,
                messages=catalog.messages,
                signals=catalog.signals,
                errors=catalog.errors,
                escalations=catalog.escalations,
                message_flows=[
                    f for f in message_flows if key in (f.source_process, f.target_process)
                ],
                participant=participant,
                diagram=diagram.restricted_to(mine | set(walker.flows) | {participant or key}),
                dialect=dialect_of(process),
            )
        )


def _message_flows(
    ctx: Context,
    elements: list[etree._Element],
    participants: dict[str, str],
    owner: dict[str, str],
) -> list[MessageFlow]:
    process_of_participant = {p: k for k, p in participants.items()}
    flows: list[MessageFlow] = []
    for el in elements:
        source, target = ref(el.get("sourceRef")) or "", ref(el.get("targetRef")) or ""
        ends: list[str | None] = []
        for role, end in (("sourceRef", source), ("targetRef", target)):
            process = owner.get(end) or process_of_participant.get(end)
            if process is None and end not in participants.values():
                ctx.report(
                    "unknown-reference",
                    f"message flow {role} {end!r} names no element"
                    + did_you_mean(end, list(owner) + list(participants.values()), ctx),
                    el,
                    warning=True,
                )
            ends.append(process)
        message_ref = ref(el.get("messageRef"))
        flows.append(
            MessageFlow(
                id=el.get("id", ""),
                source=source,
                target=target,
                message_ref=message_ref,
                source_process=ends[0],
                target_process=ends[1],
            )
        )
    return flows


def _attached(flow: MessageFlow, points: list[Waypoint] | None) -> MessageFlow:
    """Where the flow touches its ends, left to right: an element handles its message
    flows in that order (the BPMN token simulation's rule)."""
    if not points:
        return flow
    return flow.model_copy(update={"source_x": points[0].x, "target_x": points[-1].x})


def compile_or_raise(
    data: bytes, *, filename: str | None = None, include_non_executable: bool = False
) -> list[ProcessDefinition]:
    """Like :func:`compile_bpmn` but raise :class:`CompileFailed` when there are errors."""
    result = compile_bpmn(data, filename=filename, include_non_executable=include_non_executable)
    if not result.ok:
        raise CompileFailed(result.diagnostics)
    return result.definitions
