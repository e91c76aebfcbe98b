"""A user task's form: what a person fills in to complete it, and the checks its
answer must pass.

Why here: the Tasklist page and Camunda's ``submit-form`` both need the same form and
the same rules, and neither is the interpreter's business (the IR keeps no forms; see
``bpmn_compiler.forms``). The form is read from the XML of the very version the
instance runs -- the instance's ``state`` query names it -- so an instance started
before a redeploy keeps the form it was drawn with.

Three sources, in this order:

* ``camunda-forms``: a Zeebe task whose ``formKey`` names an embedded Camunda Form
  (``zeebe:userTaskForm``); its form-js schema is answered as it is.
* ``form-data``: Camunda 7's ``camunda:formData``, converted to a form-js schema so one
  renderer (form-js, in the page) draws both: string → textfield, long → number with no
  decimals, boolean → checkbox, date → datetime (date only, ISO ``YYYY-MM-DD``), enum →
  select; required / minlength / maxlength / min / max → form-js ``validate``, readonly →
  ``readonly``, ``defaultValue`` → ``defaultValue``.
* ``none``: the page offers a plain variables editor (Camunda's generic task form). A
  form kept elsewhere (``camunda:formKey``, ``formRef``, a linked ``formId``, an
  ``externalReference``) is named in ``note``: Baton stores no form files.

Submitting (``submit``) runs Camunda 7's server-side checks of ``formData`` constraints
(``FormFieldHandler.handleSubmit``): each field's value converted to its type, then its
constraints; a field left out takes its ``defaultValue``; names that are no field pass
through as variables. Any failure raises ``FormInvalid`` *before* the instance is
asked, so a refused answer leaves the task open and the instance unchanged. Embedded
Camunda Forms are validated by form-js in the page only, as Camunda 8's Tasklist does:
their rules depend on conditions and expressions only the renderer evaluates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from baton_client.contracts import bpmn as c
from temporalio.client import Client

from bpmn_compiler import forms
from bpmn_compiler.forms import ElementForm, FormField
from core.settings import Settings
from operations import calls, commands
from operations import tasks as task_ops
from operations.errors import Invalid
from store import Store, definitions
from store.models import TaskRecord

FORM_DATA = "form-data"
CAMUNDA_FORMS = "camunda-forms"
NONE = "none"

#: the form-js schema version the converted forms are written for (form-js 1.x reads it)
SCHEMA_VERSION = 16


@dataclass(frozen=True)
class FieldError:
    """One field's failed check, worded as Camunda words it."""

    field: str
    constraint: str
    config: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "constraint": self.constraint,
            "config": self.config,
            "message": self.message,
        }


class FormInvalid(Invalid):
    """The submitted values break the form's constraints; nothing was sent to the
    instance. ``errors`` names every failing field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message, errors=[e.as_dict() for e in errors])
        self.errors = errors


@dataclass(frozen=True)
class TaskForm:
    row: TaskRecord
    definition: c.DefinitionRef
    source: str
    #: a form-js schema ready to render (``None`` for ``none``)
    schema: dict[str, Any] | None
    #: the instance's variables now: the form starts from them
    variables: dict[str, Any]
    declared: ElementForm = field(default_factory=ElementForm)
    #: the open task as the instance sees it (None once it ended)
    task: c.UserTaskView | None = None
    note: str | None = None


# ------------------------------------------------------------------ form-js schema


def _number(text: str | None) -> float | int | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def iso_date(text: str) -> str | None:
    """``text`` as an ISO date (``YYYY-MM-DD``): ISO dates and date-times, and Camunda's
    default date pattern ``dd/MM/yyyy``; None when it is neither."""
    text = text.strip()
    if m := _DAY_FIRST.match(text):
        try:
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        except ValueError:
            return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def _is_expression(text: str | None) -> bool:
    return text is not None and ("${" in text or "#{" in text)


def _component(f: FormField) -> dict[str, Any]:
    kind = (f.type or "string").lower()
    comp: dict[str, Any] = {"id": f"Field_{f.id}", "key": f.id, "label": f.label or f.id}
    validate: dict[str, Any] = {}
    required = f.constraint("required") is not None
    default: Any = None if _is_expression(f.default) else f.default
    if kind == "long":
        comp.update(type="number", decimalDigits=0, increment="1")
        for name in ("min", "max"):
            if (bound := f.constraint(name)) is not None and _number(bound.config) is not None:
                validate[name] = _number(bound.config)
        default = _number(default)
    elif kind == "boolean":
        # a checkbox always answers true or false: Camunda's required (not null) holds
        comp["type"] = "checkbox"
        required = False
        default = default.strip().lower() == "true" if isinstance(default, str) else None
    elif kind == "date":
        comp.update(type="datetime", subtype="date", dateLabel=comp.pop("label"))
        default = iso_date(default) if isinstance(default, str) else None
    elif kind == "enum":
        comp["type"] = "select"
        comp["values"] = [{"value": v, "label": name} for v, name in f.values]
    else:
        comp["type"] = "textfield"
        for name, key in (("minlength", "minLength"), ("maxlength", "maxLength")):
            if (bound := f.constraint(name)) is not None and _number(bound.config) is not None:
                validate[key] = int(_number(bound.config) or 0)
    if required:
        validate["required"] = True
    if validate:
        comp["validate"] = validate
    if f.constraint("readonly") is not None:
        comp["readonly"] = True
    if default is not None:
        comp["defaultValue"] = default
    return comp


def form_js_schema(fields: list[FormField], form_id: str) -> dict[str, Any]:
    """``camunda:formData`` as a form-js schema (see the module's docstring)."""
    return {
        "type": "default",
        "id": form_id,
        "schemaVersion": SCHEMA_VERSION,
        "components": [_component(f) for f in fields],
    }


# ------------------------------------------------------------ server-side checks


class _Unconvertible(Exception):
    pass


def _convert(f: FormField, value: Any) -> Any:
    """The submitted value as the field's type holds it (Camunda's ``convertToModelValue``)."""
    if value is None:
        return None
    kind = (f.type or "string").lower()
    if kind == "long":
        if isinstance(value, bool):
            raise _Unconvertible
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        if isinstance(value, str) and not value.strip():
            return None
        raise _Unconvertible
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _Unconvertible
    if kind == "date":
        if not isinstance(value, str):
            raise _Unconvertible
        if not value.strip():
            return None
        if (iso := iso_date(value)) is None:
            raise _Unconvertible
        return iso
    if kind == "enum":
        if not isinstance(value, str) or (value and value not in {v for v, _ in f.values}):
            raise _Unconvertible
        return value
    if not isinstance(value, str):
        raise _Unconvertible
    return value


def _message(f: FormField, constraint: str, config: str | None) -> str:
    shown = f"{constraint}({config})" if config is not None else constraint
    return f"Invalid value submitted for form field '{f.id}': validation of {shown} failed."


def _holds(name: str, config: str | None, value: Any) -> bool:
    """Camunda's built-in validators: every one but ``required`` accepts null."""
    if name == "required":
        return value is not None and value != ""
    if name == "readonly":
        return value is None
    if value is None:
        return True
    bound = _number(config)
    if name in ("minlength", "maxlength"):
        if bound is None or not isinstance(value, str):
            return True
        return len(value) >= bound if name == "minlength" else len(value) <= bound
    if name in ("min", "max"):
        if bound is None or not isinstance(value, int | float) or isinstance(value, bool):
            return True
        return value >= bound if name == "min" else value <= bound
    return True  # ``validator`` names a Java class or bean: nothing Baton can run


def check(fields: list[FormField], values: dict[str, Any]) -> dict[str, Any]:
    """The variables a submission of ``values`` sets, or ``FormInvalid`` naming every
    field that fails: values converted to their field's type, defaults for fields left
    out, other names passed through."""
    out = dict(values)
    failed: list[FieldError] = []
    for f in fields:
        submitted = values.get(f.id)
        try:
            converted = _convert(f, submitted)
        except _Unconvertible:
            failed.append(
                FieldError(
                    f.id,
                    "type",
                    f.type,
                    f"Invalid value submitted for form field '{f.id}': "
                    f"{submitted!r} is not a {f.type or 'string'}.",
                )
            )
            continue
        for constraint in f.constraints:
            if not _holds(constraint.name, constraint.config, converted):
                failed.append(
                    FieldError(
                        f.id,
                        constraint.name,
                        constraint.config,
                        _message(f, constraint.name, constraint.config),
                    )
                )
                break
        # an empty answer sets nothing (Camunda's null), a missing one takes the default
        out.pop(f.id, None)
        if converted is not None:
            out[f.id] = converted
        elif submitted is None and f.default is not None and not _is_expression(f.default):
            try:
                default = _convert(f, f.default)
            except _Unconvertible:
                default = None
            if default is not None:
                out[f.id] = default
    if failed:
        raise FormInvalid(failed)
    return out


# ------------------------------------------------------------------ operations


def _note(declared: ElementForm) -> str | None:
    if declared.problem:
        return declared.problem
    if declared.form_id:
        return f"linked Camunda Form {declared.form_id!r}: Baton stores no form files"
    if declared.external_reference:
        return f"external form {declared.external_reference!r}"
    if declared.form_ref:
        return f"Camunda Form {declared.form_ref['key']!r}: Baton stores no form files"
    if declared.key:
        return f"form key {declared.key!r}: Baton stores no form files"
    return None


async def task_form(client: Client, store: Store, settings: Settings, task_id: str) -> TaskForm:
    """The task's form, from the diagram version its instance runs, with the instance's
    variables now."""
    row = await task_ops.locate(store, task_id)
    view = await calls.query(client, settings, row.process_instance_id, commands.STATE)
    xml = await definitions.load_xml(store, view.definition.key, view.definition.version)
    declared = forms.element_form(xml, view.definition.key, row.element_id)
    task = next((t for t in view.tasks if t.id == task_id), None)
    source, schema = NONE, None
    if declared.schema is not None:
        source, schema = CAMUNDA_FORMS, declared.schema
    elif declared.fields:
        source = FORM_DATA
        schema = form_js_schema(declared.fields, f"Form_{row.element_id}")
    return TaskForm(
        row=row,
        definition=view.definition,
        source=source,
        schema=schema,
        variables=view.variables,
        declared=declared,
        task=task,
        note=None if schema is not None else _note(declared),
    )


@dataclass(frozen=True)
class Submitted:
    row: TaskRecord
    #: the variables the submission set (after conversion and defaults)
    values: dict[str, Any]
    #: True when the task was delegated (PENDING): submitting resolved it to its owner
    resolved: bool
    #: the instance's variables after a completion (None after a resolve)
    variables: dict[str, Any] | None


async def submit(
    client: Client,
    store: Store,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    values: dict[str, Any],
) -> Submitted:
    """Submit the task's form: Camunda's ``submit-form``. The ``formData`` constraints are
    checked first (``FormInvalid``: nothing changed); then a delegated task is resolved
    back to its owner and any other is completed, both with the checked values."""
    form = await task_form(client, store, settings, task_id)
    checked = check(form.declared.fields, values) if form.declared.fields else dict(values)
    if form.task is not None and form.task.delegation_state is c.DelegationState.PENDING:
        await task_ops.command(
            client, store, settings, actor, task_id, task_ops.Action.RESOLVE, variables=checked
        )
        return Submitted(form.row, checked, resolved=True, variables=None)
    done = await task_ops.complete(client, store, settings, actor, task_id, checked)
    return Submitted(form.row, checked, resolved=False, variables=done.variables)
