"""Flow elements: one builder per BPMN element, registered by tag.

The registry is the single source of truth for what Baton runs: the compiler dispatches
on it, and ``docs/bpmn-support.md`` is generated from it (``baton docs``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

from bpmn_compiler import dialects
from bpmn_compiler import namespaces as ns
from bpmn_compiler.context import Context, bpmn_children, did_you_mean, local, ref, xsd_bool
from bpmn_compiler.events import parse_event_definition
from bpmn_compiler.ir import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    Expression,
    Gateway,
    Implementation,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LoopCharacteristics,
    Mapping,
    Message,
    MessageEventDefinition,
    Node,
    ReceiveTask,
    Script,
    ScriptTask,
    ServiceTask,
    StandardLoop,
    StartEvent,
    SubProcess,
    Task,
    UserTask,
)
from expressions import javascript
from expressions.errors import ExpressionSyntaxError

if TYPE_CHECKING:
    from bpmn_compiler.compile import ProcessWalker

Builder = Callable[[Context, etree._Element, str | None, "ProcessWalker"], Node | None]


@dataclass(frozen=True)
class ElementSpec:
    """What Baton does with one BPMN element (drives dispatch and the support doc)."""

    tag: str
    summary: str
    builder: Builder | None
    events: tuple[str, ...] = ()
    notes: str = ""


# ---------------------------------------------------------------- helpers


def _base(el: etree._Element, scope: str | None, ctx: Context) -> dict[str, Any]:
    return {
        "id": el.get("id", ""),
        "name": el.get("name"),
        "scope": scope,
        "line": el.sourceline,
        "listeners": dialects.listeners(ctx, el),
    }


def _loop(el: etree._Element) -> LoopCharacteristics | None:
    for child in bpmn_children(el):
        name = local(child)
        if name == "multiInstanceLoopCharacteristics":
            return dialects.multi_instance(child)
        if name == "standardLoopCharacteristics":
            condition = next(iter(bpmn_children(child, "loopCondition")), None)
            text = (condition.text or "").strip() if condition is not None else ""
            maximum = child.get("loopMaximum")
            return StandardLoop(
                condition=dialects.any_expression(text) if text else None,
                test_before=xsd_bool(child.get("testBefore"), False),
                maximum=int(maximum)
                if maximum and maximum.isascii() and maximum.isdecimal()
                else None,
            )
    return None


def _activity(el: etree._Element, scope: str | None, ctx: Context) -> dict[str, Any]:
    inputs, outputs = dialects.io_mappings(el)
    before, after = dialects.camunda_async(el)
    return {
        **_base(el, scope, ctx),
        "default_flow": el.get("default"),
        "loop": _loop(el),
        "inputs": inputs,
        "outputs": outputs,
        "async_before": before,
        "async_after": after,
        "is_for_compensation": xsd_bool(el.get("isForCompensation"), False),
    }


def _implementation(ctx: Context, el: etree._Element) -> Implementation | None:
    return dialects.zeebe_job(ctx, el) or dialects.camunda_implementation(ctx, el)


def _message(ctx: Context, el: etree._Element, message_ref: str) -> Message | None:
    message = ctx.catalog.messages.get(message_ref)
    if message is None:
        ctx.report(
            "unknown-reference",
            f"messageRef {message_ref!r} is not defined in this file"
            + did_you_mean(message_ref, ctx.catalog.messages, ctx),
            el,
        )
    return message


def _missing_implementation(ctx: Context, el: etree._Element, what: str) -> None:
    last = ctx.diagnostics[-1] if ctx.diagnostics else None
    if (
        last is not None
        and last.code in ("missing-task-type", "unsupported-task-type")
        and last.element_id == el.get("id")
    ):
        return  # the dialect reader already said what is missing
    ctx.report(
        "missing-implementation",
        f"a {what} needs an implementation: zeebe:taskDefinition type, "
        'camunda:type="external" with camunda:topic, camunda:class, '
        "camunda:delegateExpression, camunda:expression or camunda:connector",
        el,
        execution=True,
    )


# ----------------------------------------------------------------- events

_START = frozenset(
    {
        "messageEventDefinition",
        "timerEventDefinition",
        "signalEventDefinition",
        "conditionalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "compensateEventDefinition",
    }
)
_END = frozenset(
    {
        "messageEventDefinition",
        "signalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "compensateEventDefinition",
        "terminateEventDefinition",
        "cancelEventDefinition",
    }
)
_CATCH = frozenset(
    {
        "messageEventDefinition",
        "timerEventDefinition",
        "signalEventDefinition",
        "conditionalEventDefinition",
        "linkEventDefinition",
    }
)
_THROW = frozenset(
    {
        "messageEventDefinition",
        "signalEventDefinition",
        "escalationEventDefinition",
        "compensateEventDefinition",
        "linkEventDefinition",
    }
)
_BOUNDARY = frozenset(
    {
        "messageEventDefinition",
        "timerEventDefinition",
        "signalEventDefinition",
        "conditionalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "compensateEventDefinition",
        "cancelEventDefinition",
    }
)


def start_event(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    ok, event = parse_event_definition(ctx, el, _START)
    if not ok:
        return None
    _, outputs = dialects.io_mappings(el)
    return StartEvent(
        **_base(el, scope, ctx),
        event=event,
        interrupting=xsd_bool(el.get("isInterrupting"), True),
        outputs=outputs,
        initiator=dialects.camunda_attr(el, "initiator"),
    )


def _throw_implementation(ctx: Context, el: etree._Element) -> Implementation | None:
    """Message throw/end events may run a job (Zeebe) or a delegate (Camunda 7)."""
    impl = dialects.zeebe_job(ctx, el)
    if impl is not None:
        return impl
    for definition in bpmn_children(el, "messageEventDefinition"):
        found = dialects.camunda_implementation(ctx, definition)
        if found is not None:
            return found
    return None


def _throwing(
    ctx: Context,
    el: etree._Element,
    scope: str | None,
    allowed: frozenset[str],
    cls: type[EndEvent] | type[IntermediateThrowEvent],
) -> Node | None:
    """End and intermediate throw events: same data, different allowed triggers."""
    ok, event = parse_event_definition(ctx, el, allowed)
    if not ok:
        return None
    inputs, _ = dialects.io_mappings(el)
    return cls(
        **_base(el, scope, ctx),
        event=event,
        inputs=inputs,
        implementation=_throw_implementation(ctx, el),
    )


def end_event(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    return _throwing(ctx, el, scope, _END, EndEvent)


def intermediate_catch_event(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    ok, event = parse_event_definition(ctx, el, _CATCH)
    if not ok:
        return None
    if event is None:
        ctx.report(
            "catch-without-trigger",
            "an intermediate catch event needs a trigger (message, timer, signal, "
            "conditional or link)",
            el,
            execution=True,
        )
        return None
    _, outputs = dialects.io_mappings(el)
    return IntermediateCatchEvent(**_base(el, scope, ctx), event=event, outputs=outputs)


def intermediate_throw_event(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    return _throwing(ctx, el, scope, _THROW, IntermediateThrowEvent)


def boundary_event(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    ok, event = parse_event_definition(ctx, el, _BOUNDARY)
    if not ok:
        return None
    if event is None:
        ctx.report(
            "boundary-without-trigger",
            "a boundary event needs a trigger (message, timer, signal, conditional, error, "
            "escalation, compensation or cancel)",
            el,
            execution=True,
        )
        return None
    attached = ref(el.get("attachedToRef")) or ""
    if not attached:
        ctx.report("boundary-not-attached", "a boundary event needs an attachedToRef", el)
        return None
    _, outputs = dialects.io_mappings(el)
    return BoundaryEvent(
        **_base(el, scope, ctx),
        attached_to=attached,
        cancel_activity=xsd_bool(el.get("cancelActivity"), True),
        event=event,
        outputs=outputs,
    )


# ------------------------------------------------------------------ tasks


def task(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    return Task(**_activity(el, scope, ctx), manual=local(el) == "manualTask")


def service_task(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    kind = {"serviceTask": "service", "sendTask": "send", "businessRuleTask": "businessRule"}[
        local(el)
    ]
    implementation = _implementation(ctx, el)
    if implementation is None and kind == "businessRule":
        called = dialects.zeebe(el, "calledDecision")
        if called is not None and called.get("decisionId"):
            implementation = Implementation(
                kind="decision",
                decision_ref=dialects.feel_or_literal(called.get("decisionId", "")),
                result_variable=called.get("resultVariable"),
            )
    message_ref = ref(el.get("messageRef"))
    if message_ref and _message(ctx, el, message_ref) is None:
        return None
    if implementation is None and kind == "send" and message_ref:
        implementation = Implementation(kind="none")
    if implementation is None:
        _missing_implementation(ctx, el, local(el))
        return None
    return ServiceTask(
        **_activity(el, scope, ctx),
        task=kind,
        implementation=implementation,
        message_ref=message_ref,
    )


def script_task(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    z = dialects.zeebe(el, "script")
    if z is not None and z.get("expression"):
        impl = Implementation(
            kind="expression",
            expression=dialects.feel_or_literal(z.get("expression", "")),
            result_variable=z.get("resultVariable"),
        )
        return ScriptTask(**_activity(el, scope, ctx), implementation=impl)
    job = dialects.zeebe_job(ctx, el)
    if job is not None:
        return ScriptTask(**_activity(el, scope, ctx), implementation=job)
    fmt = el.get("scriptFormat") or ""
    body = next(iter(bpmn_children(el, "script")), None)
    text = body.text if body is not None else None
    resource = dialects.camunda_attr(el, "resource")
    if fmt and body is not None and not (text and text.strip()) and not resource:
        return _empty_script(ctx, el, scope)
    if not fmt or not ((text and text.strip()) or resource):
        ctx.report(
            "script-without-body",
            "a script task needs a scriptFormat and a script (or camunda:resource), "
            "or zeebe:script with an expression",
            el,
            execution=True,
        )
        return None
    value = dialects.script_value(fmt, text, resource)
    result_variable = dialects.camunda_attr(el, "resultVariable")
    if isinstance(value, Expression):
        impl = Implementation(kind="expression", expression=value, result_variable=result_variable)
    else:
        impl = Implementation(
            kind="script",
            task_type=f"script.{value.format}",  # type: ignore[union-attr]
            script=value,
            result_variable=result_variable,
        )
        _script_warning(ctx, el, value)  # type: ignore[arg-type]
    return ScriptTask(**_activity(el, scope, ctx), implementation=impl)


def _script_warning(ctx: Context, el: etree._Element, script: Script) -> None:
    """Say at deploy time who runs a script Baton does not run itself: an inline
    JavaScript script runs in Baton (``baton.javascript``); anything else (groovy,
    python, a script resource) is the activity ``script.<format>`` a worker must serve,
    or the instance waits there."""
    if javascript.is_javascript(script.format) and script.source and not script.resource:
        try:
            javascript.check_syntax(script.source)
        except ExpressionSyntaxError as exc:
            ctx.report("expression-syntax", f"script: {exc}", el, execution=True)
        return
    language = script.format.strip().lower()
    jvm = language in JVM_SCRIPT_FORMATS
    ctx.report(
        "script-needs-worker" if jvm else "script-runs-as-activity",
        f"script format {script.format} runs as activity script.{script.format}: a worker "
        "must serve it"
        + (" (Camunda 7 ran it in its JVM)" if jvm else "")
        + (" (script resources are not run by Baton)" if script.resource else ""),
        el,
        warning=True,
    )


#: script languages only a JVM engine runs in-process (Camunda 7's JSR-223 engines)
JVM_SCRIPT_FORMATS = frozenset({"groovy", "python", "jython", "ruby", "jruby"})


def _empty_script(ctx: Context, el: etree._Element, scope: str | None) -> Node:
    """``<script></script>``: Camunda 7 deploys it and runs it as nothing (a result
    variable gets null), so it compiles to a FEEL ``null`` evaluated in the workflow."""
    ctx.report(
        "empty-script",
        "the script is empty: the task does nothing (its result variable, if any, is null)",
        el,
        warning=True,
    )
    impl = Implementation(
        kind="expression",
        expression=Expression(language="feel", source="null"),
        result_variable=dialects.camunda_attr(el, "resultVariable"),
    )
    return ScriptTask(**_activity(el, scope, ctx), implementation=impl)


def user_task(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    fields: dict[str, Any] = _activity(el, scope, ctx)
    z = dialects.zeebe(el, "assignmentDefinition")
    if z is not None:
        if assignee := z.get("assignee"):
            fields["assignee"] = dialects.feel_or_literal(assignee)
        fields["candidate_users"] = dialects.zeebe_list(z.get("candidateUsers"))
        fields["candidate_groups"] = dialects.zeebe_list(z.get("candidateGroups"))
    if (form := dialects.zeebe(el, "formDefinition")) is not None:
        fields["form_key"] = (
            form.get("formKey") or form.get("formId") or form.get("externalReference")
        )
    if (schedule := dialects.zeebe(el, "taskSchedule")) is not None:
        if due := schedule.get("dueDate"):
            fields["due_date"] = dialects.feel_or_literal(due)
        if follow := schedule.get("followUpDate"):
            fields["follow_up_date"] = dialects.feel_or_literal(follow)
    if (prio := dialects.zeebe(el, "priorityDefinition")) is not None and prio.get("priority"):
        fields["priority"] = dialects.feel_or_literal(prio.get("priority", ""))

    camunda = {
        "assignee": ("assignee", dialects.juel_or_literal),
        "dueDate": ("due_date", dialects.juel_or_literal),
        "followUpDate": ("follow_up_date", dialects.juel_or_literal),
        "priority": ("priority", dialects.juel_or_literal),
    }
    for attr, (field, convert) in camunda.items():
        if (value := dialects.camunda_attr(el, attr)) is not None and value:
            fields[field] = convert(value)
    if (users := dialects.camunda_attr(el, "candidateUsers")) is not None:
        fields["candidate_users"] = dialects.camunda_list(users)
    if (groups := dialects.camunda_attr(el, "candidateGroups")) is not None:
        fields["candidate_groups"] = dialects.camunda_list(groups)
    if (form_key := dialects.camunda_attr(el, "formKey")) is not None:
        fields["form_key"] = form_key
    _standard_assignment(el, fields)
    return UserTask(**fields)


def _standard_assignment(el: etree._Element, fields: dict[str, Any]) -> None:
    """BPMN ``humanPerformer`` (assignee) and ``potentialOwner`` (candidates), read as
    Camunda 7 does: ``user(x)`` and ``group(y)`` prefixes, unprefixed entries are groups.
    Vendor attributes, read before, take precedence."""

    def expressions(kind: str) -> list[str]:
        found: list[str] = []
        for owner in bpmn_children(el, kind):
            for expr in owner.iter(f"{{{ns.BPMN}}}formalExpression"):
                if (expr.text or "").strip():
                    found.append((expr.text or "").strip())
        return found

    performers = expressions("humanPerformer")
    if performers and "assignee" not in fields:
        fields["assignee"] = dialects.juel_or_literal(performers[0])
    users: list[Expression] = []
    groups: list[Expression] = []
    for text in expressions("potentialOwner"):
        bare = text.replace("${", "").replace("#{", "")
        if dialects.JUEL_MARKER.search(text) and "(" not in bare:
            groups.append(dialects.juel_or_literal(text))
            continue
        for part in (p.strip() for p in text.split(",")):
            if part.startswith("user(") and part.endswith(")"):
                users.append(dialects.juel_or_literal(part[5:-1].strip()))
            elif part.startswith("group(") and part.endswith(")"):
                groups.append(dialects.juel_or_literal(part[6:-1].strip()))
            elif part:
                groups.append(dialects.juel_or_literal(part))
    if users and not fields.get("candidate_users"):
        fields["candidate_users"] = users
    if groups and not fields.get("candidate_groups"):
        fields["candidate_groups"] = groups


def receive_task(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    message_ref = ref(el.get("messageRef"))
    message = None
    if message_ref:
        message = _message(ctx, el, message_ref)
        if message is None:
            return None
        # Camunda 7: "Cannot have a message event subscription with an empty or missing name"
        if not (message.name or "").strip() and dialects.camunda7_rule(
            ctx,
            "message-without-name",
            f"the receive task waits for message {message_ref!r}, which has an empty or "
            "missing name; nothing could ever correlate to it",
            el,
            generic=False,
        ):
            return None
    event = MessageEventDefinition(
        message_ref=message_ref,
        message_name=dialects.any_expression(message.name) if message and message.name else None,
        correlation_key=message.correlation_key if message else None,
    )
    return ReceiveTask(**_activity(el, scope, ctx), event=event)


def call_activity(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    fields: dict[str, Any] = _activity(el, scope, ctx)
    z = dialects.zeebe(el, "calledElement")
    called: Expression | None = None
    if z is not None and z.get("processId"):
        called = dialects.feel_or_literal(z.get("processId", ""))
        fields["propagate_all_child_variables"] = (
            z.get("propagateAllChildVariables") or "true"
        ).lower() != "false"
        fields["propagate_all_parent_variables"] = (
            z.get("propagateAllParentVariables") or "true"
        ).lower() != "false"
    elif el.get("calledElement"):
        called = dialects.juel_or_literal(el.get("calledElement", ""))
    if called is None and dialects.camunda_attr(el, "caseRef") is not None:
        ctx.report(
            "cmmn-not-supported",
            "the call activity starts a CMMN case (camunda:caseRef): CMMN is not supported; "
            "call a BPMN process (calledElement) instead",
            el,
            execution=True,
        )
        return None
    if called is None:
        ctx.report(
            "missing-called-element",
            "a call activity needs calledElement (Camunda 7) or zeebe:calledElement processId",
            el,
            execution=True,
        )
        return None
    binding = dialects.camunda_attr(el, "calledElementBinding")
    if binding in ("latest", "deployment", "version", "versionTag"):
        fields["binding"] = binding
    fields["version"] = dialects.camunda_attr(el, "calledElementVersion") or dialects.camunda_attr(
        el, "calledElementVersionTag"
    )
    in_maps: list[Mapping] = []
    out_maps: list[Mapping] = []
    for child in dialects.extensions(el):
        if etree.QName(child).namespace not in dialects.CAMUNDA_URIS:
            continue
        name = local(child)
        if name not in ("in", "out"):
            continue
        if child.get("businessKey") is not None and name == "in":
            fields["business_key"] = dialects.juel_or_literal(child.get("businessKey", ""))
            continue
        if (child.get("variables") or "").lower() == "all":
            fields[
                "propagate_all_parent_variables"
                if name == "in"
                else "propagate_all_child_variables"
            ] = True
            continue
        source = child.get("sourceExpression")
        value = (
            dialects.juel_or_literal(source)
            if source
            else Expression(language="juel", source="${" + (child.get("source") or "") + "}")
        )
        target = child.get("target") or child.get("source") or ""
        (in_maps if name == "in" else out_maps).append(Mapping(target=target, source=value))
    fields["in_mappings"] = in_maps
    fields["out_mappings"] = out_maps
    return CallActivity(**fields, called_element=called)


# ----------------------------------------------------------- sub-processes


def sub_process(
    ctx: Context, el: etree._Element, scope: str | None, walker: ProcessWalker
) -> Node | None:
    name = local(el)
    variant = "embedded"
    if name == "transaction":
        variant = "transaction"
    elif name == "adHocSubProcess":
        variant = "adHoc"
    elif xsd_bool(el.get("triggeredByEvent"), False):
        variant = "event"
    fields: dict[str, Any] = _activity(el, scope, ctx)
    sub_id = fields["id"]
    children, starts, event_subs = walker.walk_scope(el, sub_id)
    completion = next(iter(bpmn_children(el, "completionCondition")), None)
    if completion is not None and (completion.text or "").strip():
        fields["completion_condition"] = dialects.any_expression(completion.text or "")
    ordering = (el.get("ordering") or "Parallel").lower()
    return SubProcess(
        **fields,
        variant=variant,
        children=children,
        start_nodes=starts,
        event_subprocesses=event_subs,
        ordering="sequential" if ordering == "sequential" else "parallel",
    )


# --------------------------------------------------------------- gateways


def gateway(
    ctx: Context, el: etree._Element, scope: str | None, _walker: ProcessWalker
) -> Node | None:
    kind = {
        "exclusiveGateway": "exclusive",
        "parallelGateway": "parallel",
        "inclusiveGateway": "inclusive",
        "eventBasedGateway": "eventBased",
    }[local(el)]
    return Gateway(
        **_base(el, scope, ctx),
        gateway=kind,
        default_flow=el.get("default"),
        instantiate=xsd_bool(el.get("instantiate"), False),
    )


_EVENTS_DOC = ("none",)

REGISTRY: dict[str, ElementSpec] = {
    spec.tag: spec
    for spec in (
        ElementSpec(
            "startEvent",
            "Where an instance or an event sub-process begins.",
            start_event,
            (
                "none",
                "message",
                "timer",
                "signal",
                "conditional",
                "error (event sub-process)",
                "escalation (event sub-process)",
                "compensation (event sub-process)",
            ),
            "`isInterrupting`, `camunda:initiator`, output mappings.",
        ),
        ElementSpec(
            "endEvent",
            "Ends a path; may throw.",
            end_event,
            (
                "none",
                "message",
                "signal",
                "error",
                "escalation",
                "compensation",
                "terminate",
                "cancel",
            ),
            "Message end events may run a job (`zeebe:taskDefinition`) or a Camunda delegate.",
        ),
        ElementSpec(
            "intermediateCatchEvent",
            "Waits for a trigger.",
            intermediate_catch_event,
            ("message", "timer", "signal", "conditional", "link"),
        ),
        ElementSpec(
            "intermediateThrowEvent",
            "Throws, or passes through (none).",
            intermediate_throw_event,
            ("none", "message", "signal", "escalation", "compensation", "link"),
        ),
        ElementSpec(
            "boundaryEvent",
            "Attached to an activity; interrupting (`cancelActivity`) or not.",
            boundary_event,
            (
                "message",
                "timer",
                "signal",
                "conditional",
                "error",
                "escalation",
                "compensation",
                "cancel",
            ),
        ),
        ElementSpec("task", "Abstract task: completes at once.", task),
        ElementSpec("manualTask", "Completes at once (done outside any system).", task),
        ElementSpec(
            "serviceTask",
            "Runs an activity named by the task type, with the diagram's retries.",
            service_task,
            notes="`zeebe:taskDefinition` (type, retries), `zeebe:taskHeaders`; Camunda 7 "
            '`type="external"` + `topic`, `class`, `delegateExpression`, `expression` + '
            "`resultVariable`, `camunda:connector`, `failedJobRetryTimeCycle`, "
            "`camunda:properties` (as headers).",
        ),
        ElementSpec(
            "sendTask",
            "Like a service task; with only a `messageRef`, throws the message.",
            service_task,
        ),
        ElementSpec(
            "businessRuleTask",
            "Evaluates a decision (`camunda:decisionRef`, `zeebe:calledDecision`) or runs a job.",
            service_task,
        ),
        ElementSpec(
            "scriptTask",
            "FEEL/JUEL scripts run in the workflow; other languages run as activity "
            "`script.<format>`.",
            script_task,
            notes="`scriptFormat`, `script`, `camunda:resource`, `camunda:resultVariable`, "
            "`zeebe:script` (expression, resultVariable).",
        ),
        ElementSpec(
            "userTask",
            "A human step: wait state completed through the `complete_user_task` update.",
            user_task,
            notes="Camunda 7 `assignee`, `candidateUsers`, `candidateGroups`, `dueDate`, "
            "`followUpDate`, `priority`, `formKey`; Zeebe `assignmentDefinition`, "
            "`formDefinition`, `taskSchedule`, `priorityDefinition`; BPMN `potentialOwner`.",
        ),
        ElementSpec("receiveTask", "Waits for its message.", receive_task),
        ElementSpec(
            "callActivity",
            "Starts the called process as a child workflow.",
            call_activity,
            notes="`calledElement`, `camunda:calledElementBinding/Version`, `camunda:in`/"
            '`camunda:out` (source, sourceExpression, target, variables="all", businessKey); '
            "`zeebe:calledElement` (processId, propagateAllChildVariables, "
            "propagateAllParentVariables).",
        ),
        ElementSpec(
            "subProcess", "Embedded or event sub-process: a scope of its own.", sub_process
        ),
        ElementSpec("transaction", "Transaction sub-process (cancel, compensation).", sub_process),
        ElementSpec(
            "adHocSubProcess",
            "Ad-hoc sub-process (`completionCondition`, `ordering`).",
            sub_process,
        ),
        ElementSpec(
            "exclusiveGateway", "First flow whose condition holds, else the default.", gateway
        ),
        ElementSpec("parallelGateway", "Forks all flows; joins all incoming.", gateway),
        ElementSpec(
            "inclusiveGateway",
            "Forks every flow whose condition holds; joins the tokens that can still arrive.",
            gateway,
        ),
        ElementSpec("eventBasedGateway", "The first of the following events wins.", gateway),
        ElementSpec(
            "complexGateway",
            "Rejected: its activation condition has no agreed semantics in the engines users "
            "migrate from. Model it with an inclusive gateway and conditions.",
            None,
        ),
        ElementSpec("choreographyTask", "Rejected: choreographies are not executable.", None),
    )
}

#: Read and deliberately ignored: they do not change execution.
IGNORED = frozenset(
    {
        "documentation",
        "extensionElements",
        "laneSet",
        "lane",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "dataInput",
        "dataOutput",
        "dataInputAssociation",
        "dataOutputAssociation",
        "textAnnotation",
        "association",
        "group",
        "category",
        "ioSpecification",
        "ioBinding",
        "property",
        "sequenceFlow",
        "incoming",
        "outgoing",
        "auditing",
        "monitoring",
        "supportedInterfaceRef",
        "resourceRole",
        "performer",
        "multiInstanceLoopCharacteristics",
        "standardLoopCharacteristics",
        "completionCondition",
        "correlationSubscription",
    }
)
