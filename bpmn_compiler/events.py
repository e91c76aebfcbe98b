"""Event definitions: from ``<xEventDefinition>`` elements to resolved IR values.

References (``messageRef``, ``signalRef``, ``errorRef``, ``escalationRef``) are resolved
against the file's catalogue here, so the interpreter never looks anything up by id.
"""

from __future__ import annotations

from lxml import etree

from bpmn_compiler import dialects, timers
from bpmn_compiler.context import Context, bpmn_children, did_you_mean, local, ref, xsd_bool
from bpmn_compiler.ir import (
    CancelEventDefinition,
    CompensateEventDefinition,
    ConditionalEventDefinition,
    ErrorEventDefinition,
    EscalationEventDefinition,
    EventDefinition,
    Expression,
    LinkEventDefinition,
    MessageEventDefinition,
    SignalEventDefinition,
    TerminateEventDefinition,
    TimerEventDefinition,
)

#: Event-definition element → the kinds of event that may carry it.
EVENT_DEFINITION_KINDS = (
    "messageEventDefinition",
    "timerEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "compensateEventDefinition",
    "conditionalEventDefinition",
    "linkEventDefinition",
    "terminateEventDefinition",
    "cancelEventDefinition",
)


def definition_elements(ctx: Context, event: etree._Element) -> list[etree._Element]:
    """The event's definitions, inline or by ``eventDefinitionRef``."""
    found = [c for c in bpmn_children(event) if local(c).endswith("EventDefinition")]
    for ref_el in bpmn_children(event, "eventDefinitionRef"):
        target = ref(ref_el.text) or ""
        resolved = ctx.catalog.event_definitions.get(target)
        if resolved is None:
            ctx.report(
                "unknown-reference",
                f"eventDefinitionRef {target!r} names no event definition"
                + did_you_mean(target, ctx.catalog.event_definitions, ctx),
                event,
            )
        else:
            found.append(resolved)
    return found


def parse_event_definition(
    ctx: Context, event: etree._Element, allowed: frozenset[str]
) -> tuple[bool, EventDefinition | None]:
    """``(ok, definition)``; ``definition`` None is a none event. Reports what is wrong."""
    definitions = definition_elements(ctx, event)
    if not definitions:
        return True, None
    if len(definitions) > 1:
        ctx.report(
            "unsupported-multiple-event",
            f"a {local(event)} with {len(definitions)} event definitions (multiple / parallel "
            "multiple event) is not supported; split it into one event per trigger",
            event,
            execution=True,
        )
        return False, None
    el = definitions[0]
    kind = local(el)
    if kind not in allowed:
        readable = kind.removesuffix("EventDefinition")
        ctx.report(
            "invalid-event-definition",
            f"a {local(event)} cannot have a {readable} event definition",
            event,
            execution=kind in EVENT_DEFINITION_KINDS,
        )
        return False, None
    parsed = _PARSERS[kind](ctx, event, el)
    return parsed is not None, parsed


def _resolve(
    ctx: Context, event: etree._Element, what: str, ref: str | None, catalog: dict[str, object]
) -> bool:
    if ref is None:
        return True
    if ref in catalog:
        return True
    ctx.report(
        "unknown-reference",
        f"{what} {ref!r} is not defined in this file" + did_you_mean(ref, catalog, ctx),
        event,
    )
    return False


#: events that throw: Camunda 7 does not resolve their messageRef
_THROWS = frozenset({"intermediateThrowEvent", "endEvent"})


def _ref(el: etree._Element, attr: str) -> str | None:
    return ref(el.get(attr))


def _message(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    ref = _ref(el, "messageRef")
    if ref is not None and ref not in ctx.catalog.messages and local(event) in _THROWS:
        # Camunda 7 never resolves a throw event's messageRef (its delegate, if any,
        # sends whatever it sends): deployed there, so deployed here, with a word
        ctx.report(
            "unknown-reference",
            f"messageRef {ref!r} is not defined in this file; the throw event sends no "
            "named message (Camunda 7 ignores the reference too)",
            event,
            warning=True,
        )
        return MessageEventDefinition(message_ref=ref)
    if not _resolve(ctx, event, "messageRef", ref, ctx.catalog.messages):  # type: ignore[arg-type]
        return None
    message = ctx.catalog.messages.get(ref) if ref else None
    name = None
    if message is not None and message.name:
        name = dialects.any_expression(message.name)
    # Camunda 7: "Cannot have a message event subscription with an empty or missing name"
    # (an event without messageRef stays a plain wait, as Baton always read it; other
    # tools' documentation models leave messages unnamed: an error for Camunda 7 files only)
    if (
        local(event) not in _THROWS
        and message is not None
        and not (message.name or "").strip()
        and dialects.camunda7_rule(
            ctx,
            "message-without-name",
            f"the message event waits for message {ref!r}, which has an empty or missing "
            "name; nothing could ever correlate to it",
            event,
            generic=False,
        )
    ):
        return None
    # Camunda 7: "expressions in the message start event name are not allowed!"
    parent = event.getparent()
    if (
        message is not None
        and message.name
        and local(event) == "startEvent"
        and parent is not None
        and local(parent) == "process"
        and ("${" in message.name or "#{" in message.name)
        and dialects.camunda7_rule(
            ctx,
            "message-start-expression",
            f"the message start event's message name {message.name!r} is an expression; a "
            "message that starts a process needs a fixed name (expressions are allowed on "
            "catch events and event sub-processes)",
            event,
        )
    ):
        return None
    return MessageEventDefinition(
        message_ref=ref,
        message_name=name,
        correlation_key=message.correlation_key if message else None,
    )


def _timer(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    for child in bpmn_children(el):
        kind = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}.get(
            local(child)
        )
        text = (child.text or "").strip()
        if kind == "date" and text.startswith("P") and dialects.dialect_of(el) != "zeebe":
            try:
                timers.parse_duration(text)
            except timers.TimerValueError:
                pass
            else:
                # Camunda 7's due-date calendar reads a period as "that long from now"
                ctx.report(
                    "timer-date-is-duration",
                    f"timeDate {text!r} is a duration; it runs as timeDuration (as in "
                    "Camunda 7): due that long after the timer starts",
                    event,
                    warning=True,
                )
                kind = "duration"
        if kind and text:
            return TimerEventDefinition(timer=kind, value=dialects.any_expression(text))
    ctx.report(
        "timer-without-value",
        "a timer needs a timeDate, timeDuration or timeCycle with a value",
        event,
        execution=True,
    )
    return None


def _signal(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    ref = _ref(el, "signalRef")
    if not _resolve(ctx, event, "signalRef", ref, ctx.catalog.signals):  # type: ignore[arg-type]
        return None
    signal = ctx.catalog.signals.get(ref) if ref else None
    name = dialects.any_expression(signal.name) if signal and signal.name else None
    if name is None:
        ctx.report(
            "signal-without-name",
            "the signal event refers to no named signal; it cannot be broadcast or caught",
            event,
            execution=True,
        )
        return None
    return SignalEventDefinition(signal_ref=ref, signal_name=name)


def _error(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    ref = _ref(el, "errorRef")
    error = ctx.catalog.errors.get(ref) if ref else None
    code = error.code if error else None
    if ref is not None and error is None:
        # Camunda 7 reads an errorRef that names no <error> as the error code itself,
        # and its own tests rely on it: accepted, with a word in case it is a typo
        ctx.report(
            "unknown-reference",
            f"errorRef {ref!r} names no <error> in this file: it is used as the error code "
            "(as Camunda 7 does)" + did_you_mean(ref, ctx.catalog.errors, ctx),
            event,
            warning=True,
        )
        code = ref
    if local(event) == "endEvent":
        # Camunda 7: an error end event throws a code; without one nothing can catch it
        if ref is None and dialects.camunda7_rule(
            ctx,
            "error-end-without-code",
            "the error end event names no error (errorRef); it needs one with an errorCode",
            event,
            generic=False,  # other tools' documentation models leave errors bare
        ):
            return None
        if (
            error is not None
            and not (code or "").strip()
            and dialects.camunda7_rule(
                ctx,
                "error-end-without-code",
                f"the error end event throws error {ref!r}, which has no errorCode; a "
                "throwing error event needs one",
                event,
                generic=False,
            )
        ):
            return None
    return ErrorEventDefinition(
        error_ref=ref,
        error_code=code,
        error_name=error.name if error else None,
        error_message=error.message if error else None,
        code_variable=dialects.camunda_attr(el, "errorCodeVariable"),
        message_variable=dialects.camunda_attr(el, "errorMessageVariable"),
    )


def _escalation(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    ref = _ref(el, "escalationRef")
    if not _resolve(ctx, event, "escalationRef", ref, ctx.catalog.escalations):  # type: ignore[arg-type]
        return None
    escalation = ctx.catalog.escalations.get(ref) if ref else None
    return EscalationEventDefinition(
        escalation_ref=ref,
        escalation_code=escalation.code if escalation else None,
        escalation_name=escalation.name if escalation else None,
        code_variable=dialects.camunda_attr(el, "escalationCodeVariable"),
    )


def _compensate(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:  # noqa: ARG001
    return CompensateEventDefinition(
        activity_ref=_ref(el, "activityRef"),
        wait_for_completion=xsd_bool(el.get("waitForCompletion"), True),
    )


def _conditional(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    condition = next(iter(bpmn_children(el, "condition")), None)
    text = (condition.text or "").strip() if condition is not None else ""
    if not text:
        ctx.report(
            "conditional-without-condition",
            "a conditional event needs a condition expression",
            event,
            execution=True,
        )
        return None
    events = dialects.camunda_attr(el, "variableEvents") or ""
    return ConditionalEventDefinition(
        condition=dialects.any_expression(text),
        variable_name=dialects.camunda_attr(el, "variableName"),
        variable_events=[e.strip() for e in events.split(",") if e.strip()],
    )


def _link(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:
    name = (el.get("name") or event.get("name") or "").strip()
    if not name:
        ctx.report("link-without-name", "a link event needs a name to pair throw and catch", event)
        return None
    return LinkEventDefinition(link_name=name)


def _terminate(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:  # noqa: ARG001
    return TerminateEventDefinition()


def _cancel(ctx: Context, event: etree._Element, el: etree._Element) -> EventDefinition | None:  # noqa: ARG001
    return CancelEventDefinition()


_PARSERS = {
    "messageEventDefinition": _message,
    "timerEventDefinition": _timer,
    "signalEventDefinition": _signal,
    "errorEventDefinition": _error,
    "escalationEventDefinition": _escalation,
    "compensateEventDefinition": _compensate,
    "conditionalEventDefinition": _conditional,
    "linkEventDefinition": _link,
    "terminateEventDefinition": _terminate,
    "cancelEventDefinition": _cancel,
}


def message_correlation(message: etree._Element) -> Expression | None:
    """``zeebe:subscription correlationKey`` on a ``<message>``."""
    subscription = dialects.zeebe(message, "subscription")
    if subscription is None or not subscription.get("correlationKey"):
        return None
    return dialects.feel_or_literal(subscription.get("correlationKey", ""))


__all__ = ["EVENT_DEFINITION_KINDS", "message_correlation", "parse_event_definition"]
