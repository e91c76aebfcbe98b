"""Task forms without a server: reading them from the XML (``bpmn_compiler.forms``),
``camunda:formData`` as a form-js schema and Camunda 7's submit checks
(``operations.forms``)."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn_compiler.forms import Constraint, FormField, element_form, start_form
from operations.forms import FormInvalid, check, form_js_schema, iso_date
from tests.conftest import EXAMPLES

EXPENSE = (EXAMPLES / "expense-approval.bpmn").read_text()

ZEEBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://t">
<bpmn:process id="zf" isExecutable="true">
  <bpmn:extensionElements>
    <zeebe:userTaskForm id="userTaskForm_1">{"type": "default", "components": [
      {"type": "textfield", "key": "reason", "validate": {"required": true}}]}</zeebe:userTaskForm>
    <zeebe:userTaskForm id="broken">{not json</zeebe:userTaskForm>
  </bpmn:extensionElements>
  <bpmn:startEvent id="s"/>
  <bpmn:subProcess id="sub">
    <bpmn:userTask id="embedded">
      <bpmn:extensionElements>
        <zeebe:formDefinition formKey="camunda-forms:bpmn:userTaskForm_1"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
  </bpmn:subProcess>
  <bpmn:userTask id="linked">
    <bpmn:extensionElements><zeebe:formDefinition formId="invoice-form"/></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:userTask id="bad">
    <bpmn:extensionElements>
      <zeebe:formDefinition formKey="camunda-forms:bpmn:broken"/>
    </bpmn:extensionElements>
  </bpmn:userTask>
</bpmn:process>
</bpmn:definitions>"""


def test_form_data_is_read_with_labels_enum_values_and_constraints() -> None:
    form = element_form(EXPENSE, "expense-approval", "Task_review")
    by_id = {f.id: f for f in form.fields}
    assert list(by_id) == ["amount", "category", "paidOn", "approved", "comment", "employee"]
    amount = by_id["amount"]
    assert (amount.type, amount.label) == ("long", "Amount (EUR)")
    assert amount.constraints == (
        Constraint("required"),
        Constraint("min", "1"),
        Constraint("max", "100000"),
    )
    assert by_id["category"].values == (
        ("travel", "Travel"),
        ("equipment", "Equipment"),
        ("other", "Other"),
    )
    assert by_id["category"].default == "travel"
    assert by_id["employee"].constraint("readonly") is not None
    assert form.schema is None
    # the start event declares no form; an unknown element or process reads as none
    assert start_form(EXPENSE, "expense-approval").fields == []
    assert element_form(EXPENSE, "expense-approval", "nope").fields == []
    assert element_form(EXPENSE, "other-process", "Task_review").fields == []


def test_zeebe_forms_embedded_linked_and_broken() -> None:
    embedded = element_form(ZEEBE, "zf", "embedded")  # inside a sub-process
    assert embedded.key == "camunda-forms:bpmn:userTaskForm_1"
    assert embedded.schema is not None
    assert embedded.schema["components"][0]["key"] == "reason"
    linked = element_form(ZEEBE, "zf", "linked")
    assert (linked.schema, linked.form_id, linked.key) == (None, "invoice-form", "invoice-form")
    bad = element_form(ZEEBE, "zf", "bad")
    assert bad.schema is None
    assert bad.problem and "not JSON" in bad.problem


def test_form_data_converts_to_a_form_js_schema() -> None:
    fields = element_form(EXPENSE, "expense-approval", "Task_review").fields
    schema = form_js_schema(fields, "Form_Task_review")
    assert schema["type"] == "default" and schema["id"] == "Form_Task_review"
    comps = {c["key"]: c for c in schema["components"]}
    assert comps["amount"] == {
        "id": "Field_amount",
        "key": "amount",
        "label": "Amount (EUR)",
        "type": "number",
        "decimalDigits": 0,
        "increment": "1",
        "validate": {"min": 1, "max": 100000, "required": True},
    }
    assert comps["category"]["type"] == "select"
    assert comps["category"]["values"][1] == {"value": "equipment", "label": "Equipment"}
    assert comps["category"]["defaultValue"] == "travel"
    assert comps["paidOn"]["type"] == "datetime" and comps["paidOn"]["subtype"] == "date"
    assert comps["paidOn"]["dateLabel"] == "Paid on"
    assert comps["approved"]["type"] == "checkbox" and comps["approved"]["defaultValue"] is False
    assert "validate" not in comps["approved"]
    assert comps["comment"]["validate"] == {"maxLength": 50}
    assert comps["employee"]["readonly"] is True


def _field(kind: str, *constraints: Constraint, **extra: Any) -> list[FormField]:
    return [FormField(id="x", type=kind, constraints=constraints, **extra)]


@pytest.mark.parametrize(
    ("fields", "values", "expected"),
    [
        (_field("long"), {"x": "42"}, {"x": 42}),
        (_field("long"), {"x": 7.0}, {"x": 7}),
        (_field("boolean"), {"x": "true"}, {"x": True}),
        (_field("date"), {"x": "01/03/2026"}, {"x": "2026-03-01"}),
        (_field("date"), {"x": "2026-03-01T10:00:00Z"}, {"x": "2026-03-01"}),
        (_field("string", default="hi"), {}, {"x": "hi"}),  # left out: the default
        (_field("long", default="5"), {"other": 1}, {"x": 5, "other": 1}),
        (_field("long"), {"x": ""}, {}),  # empty: sets nothing
        (_field("string", Constraint("maxlength", "3")), {"x": "abc"}, {"x": "abc"}),
        (_field("long", Constraint("min", "1")), {}, {}),  # min accepts null
    ],
)
def test_check_converts_and_defaults(
    fields: list[FormField], values: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert check(fields, values) == expected


@pytest.mark.parametrize(
    ("fields", "values", "constraint", "message"),
    [
        (
            _field("long", Constraint("required")),
            {},
            "required",
            "Invalid value submitted for form field 'x': validation of required failed.",
        ),
        (
            _field("long", Constraint("min", "1")),
            {"x": 0},
            "min",
            "Invalid value submitted for form field 'x': validation of min(1) failed.",
        ),
        (_field("long", Constraint("max", "10")), {"x": 11}, "max", None),
        (_field("string", Constraint("minlength", "2")), {"x": "a"}, "minlength", None),
        (_field("string", Constraint("maxlength", "2")), {"x": "abc"}, "maxlength", None),
        (_field("string", Constraint("readonly")), {"x": "set"}, "readonly", None),
        (_field("string", Constraint("required")), {"x": ""}, "required", None),
        (_field("long"), {"x": "abc"}, "type", None),
        (_field("long"), {"x": True}, "type", None),
        (_field("boolean"), {"x": "yes"}, "type", None),
        (_field("date"), {"x": "31/02/2026"}, "type", None),
        (_field("enum", values=(("a", "A"),)), {"x": "b"}, "type", None),
    ],
)
def test_check_refuses_what_camunda_refuses(
    fields: list[FormField],
    values: dict[str, Any],
    constraint: str,
    message: str | None,
) -> None:
    with pytest.raises(FormInvalid) as refused:
        check(fields, values)
    assert refused.value.errors[0].constraint == constraint
    assert refused.value.extensions["errors"][0]["field"] == "x"
    if message is not None:
        assert refused.value.detail == message


def test_check_names_every_failing_field() -> None:
    fields = [
        FormField("a", "long", constraints=(Constraint("required"),)),
        FormField("b", "string", constraints=(Constraint("maxlength", "1"),)),
        FormField("c", "string"),
    ]
    with pytest.raises(FormInvalid) as refused:
        check(fields, {"b": "too long", "c": "fine"})
    assert [e.field for e in refused.value.errors] == ["a", "b"]


def test_iso_date() -> None:
    assert iso_date("2026-12-31") == "2026-12-31"
    assert iso_date("7/1/2026") == "2026-01-07"
    assert iso_date("tomorrow") is None
