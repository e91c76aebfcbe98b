"""A process's start form, read from its stored BPMN XML: what Camunda's ``startForm``
and ``form-variables`` answer.

The compiler keeps no start-event form (Baton's own forms come from its form registry),
so these read the diagram as deployed: the none start event's ``camunda:formKey``,
``camunda:formRef`` (with ``formRefBinding`` / ``formRefVersion``) and the fields of
``camunda:formData`` (id, type, default value). The XML already compiled once, so a
failure to read it answers an empty form rather than an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.xml import parse_xml

_CAMUNDA = (ns.CAMUNDA, ns.ACTIVITI)

#: Camunda's form field types as variable types (Baton stores a date as text)
_TYPES = {"string": "String", "long": "Long", "boolean": "Boolean", "date": "String"}


@dataclass(frozen=True)
class FormField:
    id: str
    type: str | None
    default: str | None


@dataclass(frozen=True)
class StartForm:
    key: str | None = None
    form_ref: dict[str, Any] | None = None
    fields: list[FormField] = field(default_factory=list)

    def variables(self) -> dict[str, dict[str, Any]]:
        """Camunda's start form variables: each field typed, its default as its value."""
        out: dict[str, dict[str, Any]] = {}
        for f in self.fields:
            kind = _TYPES.get((f.type or "string").lower(), "String")
            value: Any = f.default
            if value is not None and kind == "Long":
                try:
                    value = int(value)
                except ValueError:
                    value = None
            elif value is not None and kind == "Boolean":
                value = value.strip().lower() == "true"
            out[f.id] = {"type": kind, "value": value, "valueInfo": {}}
        return out


def _camunda(el: etree._Element, name: str) -> str | None:
    for uri in _CAMUNDA:
        value = el.get(ns.q(uri, name))
        if value is not None:
            return value.strip()
    return None


def _fields(start: etree._Element) -> list[FormField]:
    found: list[FormField] = []
    for ext in start.iterchildren(ns.q(ns.BPMN, "extensionElements")):
        for uri in _CAMUNDA:
            for data in ext.iterchildren(ns.q(uri, "formData")):
                for f in data.iterchildren(ns.q(uri, "formField")):
                    if name := f.get("id"):
                        found.append(FormField(name, f.get("type"), f.get("defaultValue")))
    return found


def _start_event(process: etree._Element) -> etree._Element | None:
    """The process's none start event (a form belongs there), else its first start event."""
    starts = list(process.iterchildren(ns.q(ns.BPMN, "startEvent")))
    for start in starts:
        if not any(
            isinstance(child.tag, str) and child.tag.endswith("EventDefinition") for child in start
        ):
            return start
    return starts[0] if starts else None


def start_form(xml: str, process_key: str) -> StartForm:
    """The start form of process ``process_key`` in the deployed ``xml``."""
    root, _diagnostics = parse_xml(xml.encode("utf-8"), None)
    if root is None:
        return StartForm()
    for process in root.iterchildren(ns.q(ns.BPMN, "process")):
        if process.get("id") != process_key:
            continue
        start = _start_event(process)
        if start is None:
            return StartForm()
        ref = _camunda(start, "formRef")
        form_ref = None
        if ref:
            binding = _camunda(start, "formRefBinding") or "latest"
            version = _camunda(start, "formRefVersion")
            form_ref = {
                "key": ref,
                "binding": binding,
                "version": int(version) if version and version.isdigit() else None,
            }
        return StartForm(key=_camunda(start, "formKey"), form_ref=form_ref, fields=_fields(start))
    return StartForm()
