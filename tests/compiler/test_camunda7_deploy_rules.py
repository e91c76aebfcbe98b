"""What Camunda 7's parser accepts that BPMN's letter does not, and what it refuses:
Baton deploys and refuses the same, with its own diagnostics (element id and line)."""

from __future__ import annotations

from bpmn_compiler import Severity
from bpmn_compiler.ir import ScriptTask
from tests.compiler.helpers import compile_text, line_of
from tests.support.bpmn import document

S = '<bpmn:startEvent id="s"/>'


def _codes(xml: str, severity: Severity) -> list[str]:
    return [d.code for d in compile_text(xml).diagnostics if d.severity is severity]


def test_an_event_gateway_with_one_flow_is_deployed_with_a_warning() -> None:
    xml = document(
        S + '<bpmn:eventBasedGateway id="g"/><bpmn:intermediateCatchEvent id="m">'
        '<bpmn:messageEventDefinition messageRef="M"/></bpmn:intermediateCatchEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="m"/>',
        top='<bpmn:message id="M" name="m"/>',
    )
    assert compile_text(xml).ok
    assert "event-gateway-needs-events" in _codes(xml, Severity.WARNING)


def test_an_undefined_message_on_a_throw_event_is_deployed() -> None:
    xml = document(
        S + '<bpmn:intermediateThrowEvent id="t" camunda:class="org.example.Send">'
        '<bpmn:messageEventDefinition messageRef="nowhere"/></bpmn:intermediateThrowEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    )
    result = compile_text(xml)
    assert result.ok, result.diagnostics
    assert _codes(xml, Severity.WARNING) == ["unknown-reference"]


def test_an_empty_script_runs_as_nothing() -> None:
    xml = document(
        S + '<bpmn:scriptTask id="t" scriptFormat="groovy" camunda:resultVariable="r">'
        "<bpmn:script></bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    )
    result = compile_text(xml)
    assert result.ok, result.diagnostics
    node = result.definitions[0].nodes["t"]
    assert isinstance(node, ScriptTask) and node.implementation is not None
    assert node.implementation.kind == "expression"
    assert node.implementation.result_variable == "r"
    assert "empty-script" in _codes(xml, Severity.WARNING)


def test_a_script_without_script_element_is_still_refused() -> None:
    xml = document(S + '<bpmn:scriptTask id="t" scriptFormat="groovy"/>')
    assert "script-without-body" in _codes(xml, Severity.ERROR)


def test_a_groovy_script_names_the_worker_it_needs() -> None:
    xml = document(
        S + '<bpmn:scriptTask id="t" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script>'
        '</bpmn:scriptTask><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    )
    result = compile_text(xml)
    assert result.ok
    [warning] = [d for d in result.diagnostics if d.code == "script-needs-worker"]
    assert "script.groovy" in warning.message and warning.element_id == "t"


def test_an_event_sub_process_without_id_gets_one_from_its_position() -> None:
    esp = (
        '<bpmn:subProcess triggeredByEvent="true"><bpmn:startEvent id="es{n}">'
        '<bpmn:messageEventDefinition messageRef="M"/></bpmn:startEvent>'
        '<bpmn:endEvent id="ee{n}"/><bpmn:sequenceFlow id="fe{n}" sourceRef="es{n}" '
        'targetRef="ee{n}"/></bpmn:subProcess>'
    )
    xml = document(S + esp.format(n=1) + esp.format(n=2), top='<bpmn:message id="M" name="m"/>')
    first = compile_text(xml)
    assert first.ok, first.diagnostics
    ids = first.definitions[0].event_subprocesses
    assert ids == ["p-eventSubProcess-1", "p-eventSubProcess-2"]
    assert compile_text(xml).definitions[0].sha256() == first.definitions[0].sha256()


def test_a_cmmn_case_call_says_cmmn_is_not_supported() -> None:
    xml = document(S + '<bpmn:callActivity id="c" camunda:caseRef="oneTaskCase"/>')
    [error] = [d for d in compile_text(xml).diagnostics if d.severity is Severity.ERROR]
    assert error.code == "cmmn-not-supported" and "CMMN is not supported" in error.message
    assert (error.element_id, error.line) == ("c", line_of(xml, 'id="c"'))
