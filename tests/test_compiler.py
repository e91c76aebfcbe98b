"""Compiler: both dialects into the IR, and diagnostics that point at the diagram."""

from __future__ import annotations

import pytest

from bpmn_compiler import CompileFailed, compile_bpmn, compile_or_raise
from bpmn_compiler.ir import Expression, ServiceTask, UserTask
from tests.conftest import EXAMPLES

BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def _process(body: str, extra_ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>\n<bpmn:definitions {BPMN_NS} {extra_ns} id="d">\n'
        f'<bpmn:process id="p" isExecutable="true">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    ).encode()


def test_camunda7_dialect() -> None:
    [d] = compile_or_raise((EXAMPLES / "invoice-approval.bpmn").read_bytes())
    assert d.key == "invoice-approval"
    assert d.start_nodes == ["StartEvent_received"]
    task = d.nodes["Task_register"]
    assert isinstance(task, ServiceTask)
    assert (task.task_type, task.external, task.retries) == ("baton.echo", True, 3)
    assert task.headers == {"registered": "yes"}
    approve = d.nodes["Task_approve"]
    assert isinstance(approve, UserTask)
    assert approve.assignee == Expression(language="juel", source="${approver}")
    assert approve.candidate_groups == [Expression(language="literal", source="accounting")]
    assert approve.incoming == ["Flow_2"] and approve.outgoing == ["Flow_3"]


def test_zeebe_dialect() -> None:
    [d] = compile_or_raise((EXAMPLES / "order-review-zeebe.bpmn").read_bytes())
    task = d.nodes["Task_score"]
    assert isinstance(task, ServiceTask)
    assert (task.task_type, task.retries, task.headers) == ("baton.echo", 5, {"riskLevel": "low"})
    review = d.nodes["Task_review"]
    assert isinstance(review, UserTask)
    assert review.assignee == Expression(language="feel", source="reviewer")
    assert review.form_key == "order-review-form"


def test_sha256_is_stable_and_content_addressed() -> None:
    data = (EXAMPLES / "invoice-approval.bpmn").read_bytes()
    [a] = compile_or_raise(data)
    [b] = compile_or_raise(data)
    assert a.sha256() == b.sha256()
    [c] = compile_or_raise(data.replace(b"Approve invoice", b"Approve the invoice"))
    assert c.sha256() != a.sha256()


def test_camunda_prefix_bound_to_activiti_namespace() -> None:
    data = _process(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="u" camunda:assignee="kermit"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="u"/>',
        'xmlns:camunda="http://activiti.org/bpmn"',
    )
    [d] = compile_or_raise(data)
    u = d.nodes["u"]
    assert isinstance(u, UserTask)
    assert u.assignee == Expression(language="literal", source="kermit")


def test_malformed_xml_reports_line() -> None:
    result = compile_bpmn(b"<a>\n<b>\n</a>", filename="broken.bpmn")
    [diag] = result.errors
    assert diag.code == "xml-malformed"
    assert diag.file == "broken.bpmn"
    assert diag.line == 3


def test_doctype_and_entities_are_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
        b"</bpmn:definitions>"
    )
    result = compile_bpmn(xxe)
    assert [d.code for d in result.errors] == ["xml-doctype-forbidden"]
    assert result.definitions == []


def test_unknown_flow_target_suggests_a_name() -> None:
    data = _process(
        '<bpmn:startEvent id="start"/>\n<bpmn:endEvent id="theEnd"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="theEdn"/>'
    )
    [diag] = compile_bpmn(data, filename="x.bpmn").errors
    assert diag.code == "unknown-reference"
    assert diag.element_id == "f1"
    assert diag.line == 6
    assert "did you mean 'theEnd'" in diag.message


def test_service_task_without_implementation() -> None:
    data = _process('<bpmn:startEvent id="s"/>\n<bpmn:serviceTask id="charge" name="Charge"/>')
    [diag] = compile_bpmn(data).errors
    assert (diag.code, diag.element_id, diag.name, diag.tag, diag.line) == (
        "service-task-without-type",
        "charge",
        "Charge",
        "serviceTask",
        5,
    )


def test_unsupported_element_is_named_not_skipped() -> None:
    data = _process('<bpmn:startEvent id="s"/>\n<bpmn:complexGateway id="cg"/>')
    [diag] = compile_bpmn(data).errors
    assert (diag.code, diag.element_id, diag.tag) == ("unsupported-element", "cg", "complexGateway")


def test_non_executable_process_is_validated_not_deployed() -> None:
    data = _process('<bpmn:startEvent id="s"/>').replace(
        b'isExecutable="true"', b'isExecutable="false"'
    )
    result = compile_bpmn(data)
    assert result.ok and result.definitions == []
    assert [d.code for d in result.diagnostics] == ["not-executable"]


def test_compile_or_raise_carries_diagnostics() -> None:
    with pytest.raises(CompileFailed) as err:
        compile_or_raise(_process('<bpmn:serviceTask id="t"/>'))
    assert {d.code for d in err.value.diagnostics} == {
        "service-task-without-type",
        "no-start-event",
    }


def test_not_bpmn() -> None:
    [diag] = compile_bpmn(b"<html/>").errors
    assert diag.code == "not-bpmn"
