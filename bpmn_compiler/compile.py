"""From BPMN bytes to :class:`ProcessDefinition` values or diagnostics.

The compiler is pure (bytes in, IR or diagnostics out) and never raises on bad input:
every problem becomes a :class:`Diagnostic` naming the element and its line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from bpmn_compiler import dialects
from bpmn_compiler import namespaces as ns
from bpmn_compiler.errors import CompileFailed, Diagnostic, Severity
from bpmn_compiler.ir import (
    EndEvent,
    Node,
    ProcessDefinition,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    UserTask,
)
from bpmn_compiler.xml import parse_xml

DEFAULT_RETRIES = 3


@dataclass
class CompileResult:
    """What one file compiled to: its executable definitions and every finding."""

    definitions: list[ProcessDefinition] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Context:
    filename: str | None
    diagnostics: list[Diagnostic]

    def report(
        self, code: str, message: str, el: etree._Element | None = None, *, warning: bool = False
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                severity=Severity.WARNING if warning else Severity.ERROR,
                message=message,
                element_id=el.get("id") if el is not None else None,
                tag=_local(el) if el is not None else None,
                name=el.get("name") if el is not None else None,
                file=self.filename,
                line=el.sourceline if el is not None else None,
            )
        )


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _common(el: etree._Element) -> dict[str, object]:
    return {
        "id": el.get("id", ""),
        "name": el.get("name"),
        "incoming": [],
        "outgoing": [],
        "line": el.sourceline,
    }


def _event_definitions(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c).endswith("EventDefinition")]


def _start_event(ctx: _Context, el: etree._Element) -> Node | None:
    defs = _event_definitions(el)
    if defs:
        ctx.report(
            "unsupported-event-definition",
            f"start events with a {_local(defs[0])} are not supported yet",
            el,
        )
        return None
    return StartEvent.model_validate(_common(el))


def _end_event(ctx: _Context, el: etree._Element) -> Node | None:
    defs = _event_definitions(el)
    if defs:
        ctx.report(
            "unsupported-event-definition",
            f"end events with a {_local(defs[0])} are not supported yet",
            el,
        )
        return None
    return EndEvent.model_validate(_common(el))


def _service_task(ctx: _Context, el: etree._Element) -> Node | None:
    zeebe = dialects.extension(el, ns.ZEEBE, "taskDefinition")
    retries: int | None = None
    headers: dict[str, str] = {}
    external = False
    task_type: str | None = None
    if zeebe is not None:
        task_type = (zeebe.get("type") or "").strip() or None
        raw = (zeebe.get("retries") or "").strip()
        if raw.isdigit():
            retries = int(raw)
        elif raw:
            ctx.report("invalid-retries", f"retries must be a whole number, not {raw!r}", el)
        external = True
        header_list = dialects.extension(el, ns.ZEEBE, "taskHeaders")
        if header_list is not None:
            for header in header_list.iterchildren(ns.q(ns.ZEEBE, "header")):
                headers[header.get("key", "")] = header.get("value", "")
    else:
        if dialects.camunda_attr(el, "type") == "external":
            task_type = dialects.camunda_attr(el, "topic")
            external = True
        elif (cls := dialects.camunda_attr(el, "class")) is not None:
            task_type = cls
        elif (delegate := dialects.camunda_attr(el, "delegateExpression")) is not None:
            task_type = delegate.removeprefix("${").removeprefix("#{").removesuffix("}").strip()
        retries = dialects.camunda_retries(el)
        headers = dialects.camunda_properties(el)
    if not task_type:
        ctx.report(
            "service-task-without-type",
            "a service task needs an implementation: zeebe:taskDefinition type, "
            'camunda:type="external" with camunda:topic, camunda:class or '
            "camunda:delegateExpression",
            el,
        )
        return None
    return ServiceTask.model_validate(
        {
            **_common(el),
            "task_type": task_type,
            "retries": DEFAULT_RETRIES if retries is None else max(retries, 1),
            "headers": headers,
            "external": external,
        }
    )


def _user_task(ctx: _Context, el: etree._Element) -> Node | None:  # noqa: ARG001 - registry shape
    fields: dict[str, object] = dict(_common(el))
    zeebe = dialects.extension(el, ns.ZEEBE, "assignmentDefinition")
    if zeebe is not None:
        if assignee := zeebe.get("assignee"):
            fields["assignee"] = dialects.feel_or_literal(assignee)
        fields["candidate_users"] = dialects.zeebe_list(zeebe.get("candidateUsers"))
        fields["candidate_groups"] = dialects.zeebe_list(zeebe.get("candidateGroups"))
    if (form := dialects.extension(el, ns.ZEEBE, "formDefinition")) is not None:
        fields["form_key"] = form.get("formKey") or form.get("formId")
    if (schedule := dialects.extension(el, ns.ZEEBE, "taskSchedule")) is not None and (
        due := schedule.get("dueDate")
    ):
        fields["due_date"] = dialects.feel_or_literal(due)
    if (prio := dialects.extension(el, ns.ZEEBE, "priorityDefinition")) is not None and (
        value := prio.get("priority")
    ):
        fields["priority"] = dialects.feel_or_literal(value)

    if (assignee := dialects.camunda_attr(el, "assignee")) is not None:
        fields["assignee"] = dialects.juel_or_literal(assignee)
    if (users := dialects.camunda_attr(el, "candidateUsers")) is not None:
        fields["candidate_users"] = dialects.camunda_list(users)
    if (groups := dialects.camunda_attr(el, "candidateGroups")) is not None:
        fields["candidate_groups"] = dialects.camunda_list(groups)
    if (form_key := dialects.camunda_attr(el, "formKey")) is not None:
        fields["form_key"] = form_key
    if (due_date := dialects.camunda_attr(el, "dueDate")) is not None:
        fields["due_date"] = dialects.juel_or_literal(due_date)
    if (priority := dialects.camunda_attr(el, "priority")) is not None:
        fields["priority"] = dialects.juel_or_literal(priority)
    return UserTask.model_validate(fields)


NodeBuilder = Callable[[_Context, etree._Element], Node | None]

#: BPMN element (local name in the BPMN namespace) → builder. The supported-elements
#: documentation is generated from this registry.
NODE_BUILDERS: dict[str, NodeBuilder] = {
    "startEvent": _start_event,
    "endEvent": _end_event,
    "serviceTask": _service_task,
    "userTask": _user_task,
}

#: Elements that are read and deliberately ignored: they do not change execution.
IGNORED = frozenset(
    {
        "documentation",
        "extensionElements",
        "laneSet",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "textAnnotation",
        "association",
        "group",
        "ioSpecification",
        "property",
        "sequenceFlow",
    }
)


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _compile_process(ctx: _Context, process: etree._Element) -> ProcessDefinition | None:
    errors_before = len([d for d in ctx.diagnostics if d.severity is Severity.ERROR])
    nodes: dict[str, Node] = {}
    for child in process:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != ns.BPMN:
            continue
        local = _local(child)
        if local in IGNORED:
            continue
        builder = NODE_BUILDERS.get(local)
        if builder is None:
            ctx.report("unsupported-element", f"{local} is not supported yet", child)
            continue
        if not child.get("id"):
            ctx.report("missing-id", f"a {local} needs an id attribute", child)
            continue
        if child.get("id") in nodes:
            ctx.report("duplicate-id", f"the id {child.get('id')!r} is used twice", child)
            continue
        node = builder(ctx, child)
        if node is not None:
            nodes[node.id] = node

    flows: dict[str, SequenceFlow] = {}
    incoming: dict[str, list[str]] = {nid: [] for nid in nodes}
    outgoing: dict[str, list[str]] = {nid: [] for nid in nodes}
    element_ids = [c.get("id", "") for c in process if isinstance(c.tag, str)]
    for el in process.iterchildren(ns.q(ns.BPMN, "sequenceFlow")):
        flow_id, source, target = el.get("id", ""), el.get("sourceRef", ""), el.get("targetRef", "")
        broken = False
        for role, ref in (("sourceRef", source), ("targetRef", target)):
            if ref not in element_ids:
                ctx.report(
                    "unknown-reference",
                    f"{role} {ref!r} names no element of this process"
                    + _did_you_mean(ref, element_ids),
                    el,
                )
                broken = True
        if broken or source not in nodes or target not in nodes:
            continue
        condition = None
        cond_el = el.find(ns.q(ns.BPMN, "conditionExpression"))
        if cond_el is not None and (cond_el.text or "").strip():
            text = cond_el.text.strip()  # type: ignore[union-attr]
            condition = (
                dialects.feel_or_literal(text)
                if text.startswith("=")
                else dialects.juel_or_literal(text)
            )
        flows[flow_id] = SequenceFlow(
            id=flow_id, source=source, target=target, name=el.get("name"), condition=condition
        )
        outgoing[source].append(flow_id)
        incoming[target].append(flow_id)

    nodes = {
        nid: n.model_copy(update={"incoming": incoming[nid], "outgoing": outgoing[nid]})
        for nid, n in nodes.items()
    }
    starts = [nid for nid, n in nodes.items() if n.kind == "startEvent"]
    if not starts:
        ctx.report("no-start-event", "an executable process needs a none start event", process)
    for nid in starts:
        if incoming[nid]:
            start_el = process.find(f"*[@id='{nid}']")
            ctx.report(
                "start-event-with-incoming", "a start event cannot have incoming flows", start_el
            )
    errors_after = len([d for d in ctx.diagnostics if d.severity is Severity.ERROR])
    if errors_after > errors_before:
        return None
    return ProcessDefinition(
        key=process.get("id", ""),
        name=process.get("name"),
        nodes=nodes,
        flows=flows,
        start_nodes=starts,
    )


def compile_bpmn(data: bytes, *, filename: str | None = None) -> CompileResult:
    """Compile every executable process in a BPMN file.

    Processes marked ``isExecutable="false"`` are validated but not returned: deploying
    a documentation-only diagram must be a deliberate choice.
    """
    result = CompileResult()
    ctx = _Context(filename=filename, diagnostics=result.diagnostics)
    try:
        root, diagnostics = parse_xml(data, filename)
        result.diagnostics.extend(diagnostics)
        if root is None:
            return result
        if root.tag != ns.q(ns.BPMN, "definitions"):
            ctx.report(
                "not-bpmn",
                f"the root element is {root.tag!r}, not BPMN 2.0 definitions ({ns.BPMN})",
                root,
            )
            return result
        processes = list(root.iterchildren(ns.q(ns.BPMN, "process")))
        for process in processes:
            if not process.get("id"):
                ctx.report("missing-id", "a process needs an id attribute", process)
                continue
            definition = _compile_process(ctx, process)
            if process.get("isExecutable", "true").strip().lower() == "false":
                ctx.report(
                    "not-executable",
                    'the process is marked isExecutable="false" and is not deployed',
                    process,
                    warning=True,
                )
                continue
            if definition is not None:
                result.definitions.append(definition)
        if not processes:
            ctx.report("no-process", "the file contains no process", root)
    except Exception as exc:
        ctx.report("internal-error", f"the compiler failed on this file: {exc!r}")
    return result


def compile_or_raise(data: bytes, *, filename: str | None = None) -> list[ProcessDefinition]:
    """Like :func:`compile_bpmn` but raise :class:`CompileFailed` when there are errors."""
    result = compile_bpmn(data, filename=filename)
    if not result.ok:
        raise CompileFailed(result.diagnostics)
    return result.definitions
