"""A process's start form, read from its stored BPMN XML: what Camunda's ``startForm``
and ``form-variables`` answer.

The compiler keeps no form in the IR, so these read the diagram as deployed, through
``bpmn_compiler.forms`` (which reads user-task forms the same way): the none start
event's ``camunda:formKey``, ``camunda:formRef`` (with ``formRefBinding`` /
``formRefVersion``) and the fields of ``camunda:formData``. The XML already compiled
once, so a failure to read it answers an empty form rather than an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bpmn_compiler import forms
from bpmn_compiler.forms import FormField

#: Camunda's form field types as variable types (Baton stores a date as text)
_TYPES = {"string": "String", "long": "Long", "boolean": "Boolean", "date": "String"}


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


def start_form(xml: str, process_key: str) -> StartForm:
    """The start form of process ``process_key`` in the deployed ``xml``."""
    read = forms.start_form(xml, process_key)
    return StartForm(key=read.key, form_ref=read.form_ref, fields=read.fields)
