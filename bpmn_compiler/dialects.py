"""Vendor extensions: Camunda 7 (``camunda:``, also when bound to the Activiti URI) and
Zeebe (Camunda 8). Both may appear in one file; each reader looks only at its own URIs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.context import Context, local, xsd_bool
from bpmn_compiler.ir import (
    Expression,
    Implementation,
    Listener,
    ListValue,
    Mapping,
    MapValue,
    MultiInstance,
    Script,
    Value,
)
from expressions.javascript import is_javascript

CAMUNDA_URIS = (ns.CAMUNDA, ns.ACTIVITI)
_JUEL = re.compile(r"[$#]\{")
JUEL_MARKER = _JUEL
_RETRY_CYCLE = re.compile(r"^R(\d+)/(P\S+)$")
EXPRESSION_SCRIPT_FORMATS = {"juel": "juel", "feel": "feel"}


# ------------------------------------------------------------------ values


def juel_or_literal(text: str) -> Expression:
    """Camunda 7 values: ``${…}``/``#{…}`` is JUEL, anything else a literal."""
    text = text.strip()
    return Expression(language="juel" if _JUEL.search(text) else "literal", source=text)


def feel_or_literal(text: str) -> Expression:
    """Zeebe values: a leading ``=`` makes the rest a FEEL expression."""
    text = text.strip()
    if text.startswith("="):
        return Expression(language="feel", source=text[1:].strip())
    return Expression(language="literal", source=text)


def any_expression(text: str) -> Expression:
    """A value in a standard BPMN slot (condition, timer, cardinality): either dialect."""
    text = text.strip()
    return feel_or_literal(text) if text.startswith("=") else juel_or_literal(text)


_XPATH = "http://www.w3.org/1999/XPath"


def formal_expression(
    ctx: Context, el: etree._Element, owner: etree._Element, *, condition: bool = False
) -> Expression | None:
    """The value of a standard slot (``conditionExpression``, ``loopCardinality``, …).

    The ``language`` attribute (or the file's ``expressionLanguage``) decides: a FEEL URI
    makes the text FEEL even without ``=``; JavaScript (``javascript``, ``js``, …, as
    Camunda 7 accepts) is evaluated by Baton's embedded engine; other script languages
    cannot be a condition here. Without a language, ``=…`` is FEEL and ``${…}`` JUEL, as
    everywhere else.
    """
    text = (el.text or "").strip()
    language = (el.get("language") or ctx.expression_language or "").strip()
    lowered = language.lower()
    if "feel" in lowered:
        return Expression(language="feel", source=text.removeprefix("=").strip()) if text else None
    if is_javascript(lowered) and text:
        return Expression(language="javascript", source=text)
    if language and lowered not in ("juel", "el", _XPATH.lower(), "") and "xpath" not in lowered:
        ctx.report(
            "unsupported-expression-language",
            f"expressions in {language!r} are not supported here; write them in FEEL "
            "(=…) or JUEL (${…})",
            owner,
            execution=True,
        )
        return None
    if not text:
        if camunda_attr(el, "resource"):
            ctx.report(
                "unsupported-expression-language",
                "external script resources are not supported as expressions here",
                owner,
                execution=True,
            )
        return None
    value = any_expression(text)
    if condition and value.language == "literal" and text not in ("true", "false"):
        ctx.report(
            "condition-not-an-expression",
            f"the condition {text!r} is neither FEEL (=…) nor JUEL (${{…}}); it would never "
            "be true",
            owner,
            execution=True,
        )
        return None
    if value.language == "literal" and text in ("true", "false"):
        return Expression(language="feel", source=text)
    return value


def camunda_list(text: str | None) -> list[Expression]:
    """Comma-separated candidates; a list that contains an expression stays one expression."""
    if not text:
        return []
    if _JUEL.search(text):
        return [juel_or_literal(text)]
    return [Expression(language="literal", source=p.strip()) for p in text.split(",") if p.strip()]


def zeebe_list(text: str | None) -> list[Expression]:
    if not text:
        return []
    if text.strip().startswith("="):
        return [feel_or_literal(text)]
    return [Expression(language="literal", source=p.strip()) for p in text.split(",") if p.strip()]


# ------------------------------------------------------------- element access


def camunda_attr(el: etree._Element, name: str) -> str | None:
    """A ``camunda:`` attribute, whichever of the accepted URIs the file bound it to."""
    for uri in CAMUNDA_URIS:
        value = el.get(ns.q(uri, name))
        if value is not None:
            return value.strip()
    return None


def camunda_flag(el: etree._Element, name: str) -> bool:
    return (camunda_attr(el, name) or "").lower() == "true"


def extensions(el: etree._Element) -> list[etree._Element]:
    """Children of every ``<extensionElements>`` of ``el``."""
    found: list[etree._Element] = []
    for ext in el.iterchildren(ns.q(ns.BPMN, "extensionElements")):
        found += [c for c in ext if isinstance(c.tag, str)]
    return found


def extension(el: etree._Element, uri: str, name: str) -> etree._Element | None:
    for child in extensions(el):
        if child.tag == ns.q(uri, name):
            return child
    return None


def camunda_extension(el: etree._Element, name: str) -> etree._Element | None:
    for uri in CAMUNDA_URIS:
        found = extension(el, uri, name)
        if found is not None:
            return found
    return None


def _camunda_children(el: etree._Element, name: str) -> list[etree._Element]:
    return [
        c
        for c in el
        if isinstance(c.tag, str) and etree.QName(c).namespace in CAMUNDA_URIS and local(c) == name
    ]


def zeebe(el: etree._Element, name: str) -> etree._Element | None:
    return extension(el, ns.ZEEBE, name)


# ----------------------------------------------------------- camunda values


def _camunda_value(el: etree._Element) -> Value | None:
    """The value of an inputParameter/outputParameter/entry/value element."""
    for child in el:
        if not isinstance(child.tag, str) or etree.QName(child).namespace not in CAMUNDA_URIS:
            continue
        kind = local(child)
        if kind == "list":
            items = [v for c in _camunda_children(child, "value") if (v := _camunda_value(c))]
            return ListValue(items=items)
        if kind == "map":
            return MapValue(
                entries={
                    e.get("key", ""): _camunda_value(e) or Expression(language="literal", source="")
                    for e in _camunda_children(child, "entry")
                }
            )
        if kind == "script":
            return script_value(child.get("scriptFormat", ""), child.text, child.get("resource"))
    text = (el.text or "").strip()
    return juel_or_literal(text) if text else None


def script_value(fmt: str, text: str | None, resource: str | None) -> Value:
    """A script; JUEL and FEEL scripts become expressions the workflow evaluates itself."""
    language = EXPRESSION_SCRIPT_FORMATS.get(fmt.strip().lower())
    if language and text and text.strip() and not resource:
        source = text.strip()
        if language == "feel":
            return Expression(language="feel", source=source.removeprefix("=").strip())
        return Expression(language="juel", source=source)
    return Script(format=fmt.strip().lower() or "unknown", source=text, resource=resource)


def camunda_io(el: etree._Element) -> tuple[list[Mapping], list[Mapping]]:
    io = camunda_extension(el, "inputOutput")
    return _camunda_io_of(io)


def _camunda_io_of(io: etree._Element | None) -> tuple[list[Mapping], list[Mapping]]:
    if io is None:
        return [], []
    inputs = [
        Mapping(target=p.get("name", ""), source=_camunda_value(p))
        for p in _camunda_children(io, "inputParameter")
    ]
    outputs = [
        Mapping(target=p.get("name", ""), source=_camunda_value(p))
        for p in _camunda_children(io, "outputParameter")
    ]
    return inputs, outputs


def zeebe_io(el: etree._Element) -> tuple[list[Mapping], list[Mapping]]:
    io = zeebe(el, "ioMapping")
    if io is None:
        return [], []

    def mappings(name: str) -> list[Mapping]:
        return [
            Mapping(target=m.get("target", ""), source=feel_or_literal(m.get("source", "")))
            for m in io.iterchildren(ns.q(ns.ZEEBE, name))
        ]

    return mappings("input"), mappings("output")


def io_mappings(el: etree._Element) -> tuple[list[Mapping], list[Mapping]]:
    """Input and output mappings of either dialect (both may be present; both apply)."""
    c_in, c_out = camunda_io(el)
    z_in, z_out = zeebe_io(el)
    return c_in + z_in, c_out + z_out


# ---------------------------------------------------------- implementations


def _retries(ctx: Context, el: etree._Element) -> tuple[int | None, str | None]:
    """Attempts and backoff from ``camunda:failedJobRetryTimeCycle`` (``R5/PT1M``)."""
    cycle = camunda_extension(el, "failedJobRetryTimeCycle")
    if cycle is None or not (cycle.text or "").strip():
        return None, None
    text = (cycle.text or "").strip()
    match = _RETRY_CYCLE.match(text)
    if not match:
        ctx.report(
            "invalid-retry-cycle",
            f"failedJobRetryTimeCycle {text!r} is not 'R<attempts>/<ISO-8601 duration>'; "
            "the default of 3 attempts applies",
            el,
            warning=True,
        )
        return None, None
    return max(int(match.group(1)), 1), match.group(2)


def zeebe_job(ctx: Context, el: etree._Element) -> Implementation | None:
    """``zeebe:taskDefinition``: a job type served by a worker (an activity here)."""
    definition = zeebe(el, "taskDefinition")
    if definition is None:
        return None
    task_type = (definition.get("type") or "").strip()
    raw = (definition.get("retries") or "").strip()
    retries = 3
    if raw.isascii() and raw.isdecimal():
        retries = max(int(raw), 1)
    elif raw:
        ctx.report(
            "invalid-retries",
            f"retries must be a whole number here, not {raw!r}; the default of 3 applies",
            el,
            warning=True,
        )
    headers: dict[str, str] = {}
    header_list = zeebe(el, "taskHeaders")
    if header_list is not None:
        for header in header_list.iterchildren(ns.q(ns.ZEEBE, "header")):
            headers[header.get("key", "")] = header.get("value", "")
    if not task_type:
        ctx.report("missing-task-type", "zeebe:taskDefinition needs a type", el, execution=True)
        return None
    return Implementation(
        kind="activity", task_type=task_type, external=True, retries=retries, headers=headers
    )


def dialect_of(el: etree._Element) -> Literal["camunda7", "zeebe"] | None:
    """Which engine the file was written for: the vendor namespaces in scope at ``el``
    (Camunda Modeler declares exactly one of them). Camunda 7 reads the Activiti URI as
    its own. A file declaring both, or neither, stays generic."""
    declared = set(el.nsmap.values())
    camunda7 = bool(declared & {ns.CAMUNDA, ns.ACTIVITI})
    zeebe = ns.ZEEBE in declared
    if camunda7 and not zeebe:
        return "camunda7"
    if zeebe and not camunda7:
        return "zeebe"
    return None


def camunda7_rule(
    ctx: Context, code: str, message: str, el: etree._Element | None, *, generic: bool = True
) -> bool:
    """A rule Camunda 7's parser applies at deployment: an error in an executable process
    of a file not written for Zeebe (``generic=False``: only of a file written for
    Camunda 7), a warning otherwise. True if it was an error."""
    dialect = dialect_of(el) if el is not None else None
    error = ctx.executable and (dialect == "camunda7" or (generic and dialect is None))
    ctx.report(code, message, el, warning=not error)
    return error


_FORM_BINDINGS = ("deployment", "latest", "version")
_DECISION_MAPPERS = ("singleEntry", "singleResult", "collectEntries", "resultList")


def check_camunda7_attributes(ctx: Context, elements: Iterable[etree._Element]) -> None:
    """What Camunda 7's parser checks in its extension attributes when it deploys, though
    Baton reads none of these values: camunda:formRef, camunda:jobPriority/taskPriority
    and camunda:mapDecisionResult (read by the business-rule task)."""
    for el in elements:
        form_ref = camunda_attr(el, "formRef")
        if form_ref is not None and camunda_attr(el, "formKey") is not None:
            ctx.report(
                "form-key-and-ref",
                "camunda:formKey and camunda:formRef are both set; only one of them is allowed",
                el,
                execution=True,
            )
        binding = camunda_attr(el, "formRefBinding")
        if form_ref is not None and binding is not None and binding not in _FORM_BINDINGS:
            ctx.report(
                "invalid-form-binding",
                f"camunda:formRefBinding is {binding!r}; it must be one of "
                f"{', '.join(_FORM_BINDINGS)}",
                el,
                execution=True,
            )
        for attribute in ("jobPriority", "taskPriority"):
            value = camunda_attr(el, attribute)
            if (
                value is not None
                and not value.startswith(("${", "#{"))
                and not re.fullmatch(r"[+-]?\d{1,18}", value)
            ):
                ctx.report(
                    "invalid-priority",
                    f"camunda:{attribute} {value!r} is neither a whole number nor an "
                    "expression (${…})",
                    el,
                    execution=True,
                )
        mapper = camunda_attr(el, "mapDecisionResult")
        if mapper is not None and mapper not in _DECISION_MAPPERS:
            ctx.report(
                "invalid-decision-result-mapping",
                f"camunda:mapDecisionResult is {mapper!r}; it must be one of "
                f"{', '.join(_DECISION_MAPPERS)}",
                el,
                execution=True,
            )


#: Camunda 7's built-in task types that run Java code inside the engine.
_JVM_TASK_TYPES = {"mail": "the mail task", "shell": "the shell task"}


def camunda_implementation(ctx: Context, el: etree._Element) -> Implementation | None:
    """Camunda 7: external topic, class, delegate expression, expression or connector."""
    retries, backoff = _retries(ctx, el)

    def make(**fields: Any) -> Implementation:
        return Implementation(retries=retries or 3, retry_backoff=backoff, **fields)

    properties = camunda_properties(el)
    result_variable = camunda_attr(el, "resultVariable")
    task_type = camunda_attr(el, "type")
    if task_type is not None and task_type.lower() in _JVM_TASK_TYPES:
        ctx.report(
            "unsupported-task-type",
            f'camunda:type="{task_type}" ({_JVM_TASK_TYPES[task_type.lower()]}, built into '
            "Camunda 7's Java engine) is not supported; do the work in an external task "
            '(camunda:type="external" with camunda:topic) or a connector',
            el,
            execution=True,
        )
        return None
    if task_type is not None and task_type.lower() != "external":
        # Camunda 7: "Invalid usage of type attribute on serviceTask"
        ctx.report(
            "unsupported-task-type",
            f'camunda:type="{task_type}" is not a task type Camunda 7 knows '
            '(external, mail, shell); use camunda:type="external" with camunda:topic',
            el,
            execution=True,
        )
        return None
    if task_type is not None:
        topic = camunda_attr(el, "topic")
        if not topic:
            ctx.report(
                "missing-task-type",
                'camunda:type="external" needs a camunda:topic',
                el,
                execution=True,
            )
            return None
        return make(kind="activity", task_type=topic, external=True, headers=properties)
    if (cls := camunda_attr(el, "class")) is not None:
        return make(kind="activity", task_type=cls, headers=properties)
    if (delegate := camunda_attr(el, "delegateExpression")) is not None:
        name = delegate.strip().removeprefix("${").removeprefix("#{").removesuffix("}").strip()
        return make(kind="activity", task_type=name, headers=properties)
    if (expression := camunda_attr(el, "expression")) is not None:
        return make(
            kind="expression",
            expression=juel_or_literal(expression),
            result_variable=result_variable,
        )
    connector = camunda_extension(el, "connector")
    if connector is not None:
        ids = _camunda_children(connector, "connectorId")
        connector_id = (ids[0].text or "").strip() if ids else ""
        if not connector_id:
            ctx.report(
                "missing-task-type", "camunda:connector needs a connectorId", el, execution=True
            )
            return None
        inputs, outputs = _camunda_io_of(
            next(iter(_camunda_children(connector, "inputOutput")), None)
        )
        return make(
            kind="activity",
            task_type=f"connector.{connector_id}",
            headers=properties,
            inputs=inputs,
            outputs=outputs,
        )
    if (decision := camunda_attr(el, "decisionRef")) is not None:
        binding = camunda_attr(el, "decisionRefBinding")
        return make(
            kind="decision",
            decision_ref=juel_or_literal(decision),
            decision_binding=binding if binding and binding != "latest" else None,
            decision_version=camunda_attr(el, "decisionRefVersion"),
            decision_version_tag=camunda_attr(el, "decisionRefVersionTag"),
            result_variable=result_variable,
            map_decision_result=camunda_attr(el, "mapDecisionResult") or "resultList",
        )
    return None


def camunda_properties(el: etree._Element) -> dict[str, str]:
    """``camunda:properties`` name/value pairs: Camunda 7's counterpart of task headers."""
    props = camunda_extension(el, "properties")
    if props is None:
        return {}
    return {p.get("name", ""): p.get("value", "") for p in _camunda_children(props, "property")}


def camunda_async(el: etree._Element) -> tuple[bool, bool]:
    before = camunda_flag(el, "asyncBefore") or camunda_flag(el, "async")
    return before, camunda_flag(el, "asyncAfter")


def listeners(ctx: Context, el: etree._Element) -> list[Listener]:
    """Camunda 7 execution and task listeners, with their implementation."""
    found: list[Listener] = []
    for scope in ("execution", "task"):
        for uri in CAMUNDA_URIS:
            for listener in (c for c in extensions(el) if c.tag == ns.q(uri, f"{scope}Listener")):
                implementation = _listener_implementation(listener)
                if implementation is None:
                    ctx.report(
                        "listener-without-implementation",
                        f"a camunda:{scope}Listener needs a class, expression, "
                        "delegateExpression or script; it is ignored",
                        el,
                        warning=True,
                    )
                    continue
                found.append(
                    Listener(
                        scope=scope,
                        event=listener.get("event", "start" if scope == "execution" else "create"),
                        implementation=implementation,
                    )
                )
    return found


def _listener_implementation(listener: etree._Element) -> Implementation | None:
    if (cls := listener.get("class")) is not None:
        return Implementation(kind="activity", task_type=cls.strip())
    if (delegate := listener.get("delegateExpression")) is not None:
        name = delegate.strip().removeprefix("${").removeprefix("#{").removesuffix("}").strip()
        return Implementation(kind="activity", task_type=name)
    if (expression := listener.get("expression")) is not None:
        return Implementation(kind="expression", expression=juel_or_literal(expression))
    scripts = _camunda_children(listener, "script")
    if scripts:
        s = scripts[0]
        value = script_value(s.get("scriptFormat", ""), s.text, s.get("resource"))
        if isinstance(value, Expression):
            return Implementation(kind="expression", expression=value)
        if isinstance(value, Script):
            return Implementation(kind="script", task_type=f"script.{value.format}", script=value)
    return None


# ------------------------------------------------------------ multi-instance


def multi_instance(el: etree._Element) -> MultiInstance:
    """Standard loop data plus ``camunda:collection`` / ``zeebe:loopCharacteristics``."""
    fields: dict[str, object] = {"sequential": xsd_bool(el.get("isSequential"), False)}
    for child in el:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != ns.BPMN:
            continue
        text = (child.text or "").strip()
        name = local(child)
        if name == "loopCardinality" and text:
            fields["cardinality"] = any_expression(text)
        elif name == "completionCondition" and text:
            fields["completion_condition"] = any_expression(text)
        elif name == "loopDataInputRef" and text:
            fields["collection"] = (
                juel_or_literal(text)
                if _JUEL.search(text)
                else Expression(language="juel", source=f"${{{text}}}")
            )
        elif name == "inputDataItem" and (item := child.get("name") or child.get("id")):
            fields["element_variable"] = item
        elif name == "loopDataOutputRef" and text:
            fields["output_collection"] = text
    if (collection := camunda_attr(el, "collection")) is not None:
        fields["collection"] = (
            juel_or_literal(collection)
            if _JUEL.search(collection)
            else Expression(language="juel", source=f"${{{collection}}}")
        )
    if (element := camunda_attr(el, "elementVariable")) is not None:
        fields["element_variable"] = element
    z = zeebe(el, "loopCharacteristics")
    if z is not None:
        if z.get("inputCollection"):
            fields["collection"] = feel_or_literal(z.get("inputCollection", ""))
        if z.get("inputElement"):
            fields["element_variable"] = z.get("inputElement")
        if z.get("outputCollection"):
            fields["output_collection"] = z.get("outputCollection")
        if z.get("outputElement"):
            fields["output_element"] = feel_or_literal(z.get("outputElement", ""))
    return MultiInstance.model_validate(fields)
