"""The form a start event or user task declares, read from the BPMN XML as deployed.

Why a reader of its own, outside the IR: a form is what a person fills in, not what the
interpreter runs. Keeping it out of the IR keeps the IR (and its sha256, which pins what
every instance runs) free of labels, layouts and validation messages that may be edited
without changing the process; the XML is stored with every version, so a page that shows
a task's form reads it from there (``operations.forms``), as Camunda's own form service
reads its parsed model.

What a diagram can declare, in both dialects the compiler reads:

* Camunda 7 -- ``camunda:formData`` with ``camunda:formField`` children (``id``,
  ``label``, ``type`` = string / long / boolean / date / enum, ``defaultValue``,
  ``camunda:value id name`` for an enum's choices, ``camunda:validation`` with
  ``camunda:constraint name config``: required, readonly, minlength, maxlength, min,
  max, validator; ``camunda:properties``), and the references ``camunda:formKey`` and
  ``camunda:formRef`` (+ ``formRefBinding`` / ``formRefVersion``) to forms kept
  elsewhere.
* Camunda 8 / Zeebe -- ``zeebe:formDefinition``: ``formKey="camunda-forms:bpmn:<id>"``
  names a ``zeebe:userTaskForm id="<id>"`` among the process's extension elements, whose
  text is the form-js JSON schema (an embedded Camunda Form); ``formId`` (a linked form
  deployed on its own) and ``externalReference`` (a custom form) name forms kept
  elsewhere.

The XML already compiled once, so reading it never fails: what cannot be read is left
out (a malformed embedded schema reads as no schema, with the reason in ``problem``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bpmn_compiler import namespaces as ns
from bpmn_compiler.xml import parse_xml

_CAMUNDA = (ns.CAMUNDA, ns.ACTIVITI)

#: the prefix of a Zeebe form key naming an embedded ``zeebe:userTaskForm``
EMBEDDED_FORM_PREFIX = "camunda-forms:bpmn:"


@dataclass(frozen=True)
class Constraint:
    """``camunda:constraint``: ``name`` (required, readonly, minlength, maxlength, min,
    max, validator) and its ``config`` (the bound, or the custom validator's class)."""

    name: str
    config: str | None = None


@dataclass(frozen=True)
class FormField:
    """One ``camunda:formField``."""

    id: str
    type: str | None = None
    default: str | None = None
    label: str | None = None
    #: an enum's choices as (id, name), in document order
    values: tuple[tuple[str, str], ...] = ()
    constraints: tuple[Constraint, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)

    def constraint(self, name: str) -> Constraint | None:
        return next((c for c in self.constraints if c.name == name), None)


@dataclass(frozen=True)
class ElementForm:
    """What one element declares about its form; every part may be missing."""

    #: ``camunda:formKey``, or the Zeebe ``formKey`` / ``formId`` / ``externalReference``
    key: str | None = None
    #: ``camunda:formRef``: {key, binding, version}
    form_ref: dict[str, Any] | None = None
    fields: list[FormField] = field(default_factory=list)
    #: ``camunda:formData businessKey``: the field that carries the business key
    business_key_field: str | None = None
    #: the embedded form-js schema a Zeebe ``formKey`` names, parsed
    schema: dict[str, Any] | None = None
    #: ``zeebe:formDefinition formId``: a linked Camunda Form deployed on its own
    form_id: str | None = None
    #: ``zeebe:formDefinition externalReference``: a form kept by another application
    external_reference: str | None = None
    #: why a declared form could not be read (e.g. an embedded schema that is not JSON)
    problem: str | None = None


def _camunda(el: etree._Element, name: str) -> str | None:
    for uri in _CAMUNDA:
        value = el.get(ns.q(uri, name))
        if value is not None:
            return value.strip()
    return None


def _extensions(el: etree._Element, uri: str, name: str) -> list[etree._Element]:
    found: list[etree._Element] = []
    for ext in el.iterchildren(ns.q(ns.BPMN, "extensionElements")):
        found.extend(ext.iterchildren(ns.q(uri, name)))
    return found


def _field(el: etree._Element, uri: str) -> FormField | None:
    name = el.get("id")
    if not name:
        return None
    values = tuple(
        (v.get("id") or "", v.get("name") or v.get("id") or "")
        for v in el.iterchildren(ns.q(uri, "value"))
        if v.get("id")
    )
    constraints = tuple(
        Constraint(c.get("name", "").strip(), c.get("config"))
        for validation in el.iterchildren(ns.q(uri, "validation"))
        for c in validation.iterchildren(ns.q(uri, "constraint"))
        if c.get("name")
    )
    properties = {
        p.get("id") or p.get("name") or "": p.get("value") or ""
        for props in el.iterchildren(ns.q(uri, "properties"))
        for p in props.iterchildren(ns.q(uri, "property"))
    }
    properties.pop("", None)
    return FormField(
        id=name,
        type=el.get("type"),
        default=el.get("defaultValue"),
        label=el.get("label"),
        values=values,
        constraints=constraints,
        properties=properties,
    )


def _form_data(el: etree._Element) -> tuple[list[FormField], str | None]:
    fields: list[FormField] = []
    business_key: str | None = None
    for uri in _CAMUNDA:
        for data in _extensions(el, uri, "formData"):
            business_key = business_key or data.get("businessKey")
            for f in data.iterchildren(ns.q(uri, "formField")):
                if (read := _field(f, uri)) is not None:
                    fields.append(read)
    return fields, business_key


def _embedded_schema(process: etree._Element, form_id: str) -> tuple[dict[str, Any] | None, str]:
    for form in _extensions(process, ns.ZEEBE, "userTaskForm"):
        if form.get("id") != form_id:
            continue
        try:
            schema = json.loads(form.text or "")
        except ValueError as err:
            return None, f"zeebe:userTaskForm {form_id} is not JSON: {err}"
        if not isinstance(schema, dict):
            return None, f"zeebe:userTaskForm {form_id} is not a form-js schema (not an object)"
        return schema, ""
    return None, f"no zeebe:userTaskForm with id {form_id} in the process"


def read_form(process: etree._Element, el: etree._Element) -> ElementForm:
    """The form ``el`` declares; ``process`` holds the Zeebe forms it may name."""
    fields, business_key = _form_data(el)
    ref = _camunda(el, "formRef")
    form_ref = None
    if ref:
        version = _camunda(el, "formRefVersion")
        form_ref = {
            "key": ref,
            "binding": _camunda(el, "formRefBinding") or "latest",
            "version": int(version) if version and version.isdigit() else None,
        }
    key = _camunda(el, "formKey")
    schema: dict[str, Any] | None = None
    problem: str | None = None
    form_id: str | None = None
    external: str | None = None
    for definition in _extensions(el, ns.ZEEBE, "formDefinition"):
        zeebe_key = (definition.get("formKey") or "").strip()
        form_id = (definition.get("formId") or "").strip() or None
        external = (definition.get("externalReference") or "").strip() or None
        key = key or zeebe_key or form_id or external
        if zeebe_key.startswith(EMBEDDED_FORM_PREFIX):
            schema, reason = _embedded_schema(process, zeebe_key[len(EMBEDDED_FORM_PREFIX) :])
            problem = reason or None
    return ElementForm(
        key=key or None,
        form_ref=form_ref,
        fields=fields,
        business_key_field=business_key,
        schema=schema,
        form_id=form_id,
        external_reference=external,
        problem=problem,
    )


def _process(xml: str, process_key: str) -> etree._Element | None:
    root, _diagnostics = parse_xml(xml.encode("utf-8"), None)
    if root is None:
        return None
    for process in root.iterchildren(ns.q(ns.BPMN, "process")):
        if process.get("id") == process_key:
            return process
    return None


def element_form(xml: str, process_key: str, element_id: str) -> ElementForm:
    """The form of element ``element_id`` (a user task at any depth: sub-processes
    included) of process ``process_key`` in the deployed ``xml``; empty when absent."""
    process = _process(xml, process_key)
    if process is None:
        return ElementForm()
    for el in process.iter(ns.q(ns.BPMN, "userTask"), ns.q(ns.BPMN, "startEvent")):
        if el.get("id") == element_id:
            return read_form(process, el)
    return ElementForm()


def _start_event(process: etree._Element) -> etree._Element | None:
    """The process's none start event (a form belongs there), else its first start event."""
    starts = list(process.iterchildren(ns.q(ns.BPMN, "startEvent")))
    for start in starts:
        if not any(
            isinstance(child.tag, str) and child.tag.endswith("EventDefinition") for child in start
        ):
            return start
    return starts[0] if starts else None


def start_form(xml: str, process_key: str) -> ElementForm:
    """The form of the start event of process ``process_key`` in the deployed ``xml``."""
    process = _process(xml, process_key)
    start = _start_event(process) if process is not None else None
    if process is None or start is None:
        return ElementForm()
    return read_form(process, start)
