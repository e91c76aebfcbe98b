"""Invalid diagrams: every diagnostic names its code, element id and line."""

from __future__ import annotations

import pytest

from bpmn_compiler import Severity
from tests.compiler.helpers import compile_text, line_of
from tests.support.bpmn import document

S = '<bpmn:startEvent id="s"/>'


def _error(xml: str, **kwargs: bool) -> tuple[str, str | None, int | None, str]:
    result = compile_text(xml, **kwargs)
    assert result.errors, [str(d) for d in result.diagnostics]
    first = result.errors[0]
    assert first.file == "test.bpmn"
    return first.code, first.element_id, first.line, first.message


CASES = [
    pytest.param(
        S + '<bpmn:endEvent id="theEnd"/>'
        '<bpmn:sequenceFlow id="bad" sourceRef="s" targetRef="theEdn"/>',
        "unknown-reference",
        "bad",
        "did you mean 'theEnd'",
        id="flow-target-typo",
    ),
    pytest.param(
        S + '<bpmn:serviceTask id="bad" name="Charge"/>',
        "missing-implementation",
        "bad",
        "zeebe:taskDefinition",
        id="service-task-without-implementation",
    ),
    pytest.param(
        S + '<bpmn:complexGateway id="bad"/>',
        "unsupported-element",
        "bad",
        "inclusive gateway",
        id="complex-gateway",
    ),
    pytest.param(
        S + '<bpmn:choreographyTask id="bad"/>',
        "unsupported-element",
        "bad",
        "not executable",
        id="choreography",
    ),
    pytest.param(
        S + '<bpmn:task id="s2"/><bpmn:task id="s2"/>',
        "duplicate-id",
        "s2",
        "used twice",
        id="duplicate-id",
    ),
    pytest.param(
        S + '<bpmn:startEvent id="bad"><bpmn:errorEventDefinition/></bpmn:startEvent>',
        "invalid-event-definition",
        "bad",
        "event sub-process",
        id="error-start-on-process",
    ),
    pytest.param(
        S + '<bpmn:endEvent id="bad"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:endEvent>",
        "invalid-event-definition",
        "bad",
        "cannot have a timer",
        id="timer-end-event",
    ),
    pytest.param(
        S + '<bpmn:intermediateCatchEvent id="bad"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        "five minutes</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "invalid-timer",
        "bad",
        "ISO-8601 duration",
        id="bad-duration",
    ),
    pytest.param(
        S
        + '<bpmn:intermediateCatchEvent id="bad"><bpmn:messageEventDefinition messageRef="Mesage"/>'
        "</bpmn:intermediateCatchEvent>",
        "unknown-reference",
        "bad",
        "did you mean 'Message'",
        id="message-ref-typo",
    ),
    pytest.param(
        S + '<bpmn:exclusiveGateway id="g"/>'
        '<bpmn:boundaryEvent id="bad" attachedToRef="g"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        "PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g"/>',
        "boundary-on-non-activity",
        "bad",
        "only be attached to an activity",
        id="boundary-on-gateway",
    ),
    pytest.param(
        S + '<bpmn:task id="t"/><bpmn:boundaryEvent id="bad" attachedToRef="t">'
        "<bpmn:cancelEventDefinition/></bpmn:boundaryEvent>"
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>',
        "cancel-boundary-outside-transaction",
        "bad",
        "transaction",
        id="cancel-boundary",
    ),
    pytest.param(
        S + '<bpmn:exclusiveGateway id="bad" default="nope"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "invalid-default-flow",
        "bad",
        "not an outgoing flow",
        id="default-flow",
    ),
    pytest.param(
        S + '<bpmn:subProcess id="bad"><bpmn:startEvent id="t"><bpmn:messageEventDefinition '
        'messageRef="Message"/></bpmn:startEvent><bpmn:task id="only"/><bpmn:sequenceFlow id="g" '
        'sourceRef="t" targetRef="only"/></bpmn:subProcess>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "subprocess-start",
        "bad",
        "none start events",
        id="subprocess-with-triggered-start",
    ),
    pytest.param(
        S + '<bpmn:subProcess id="bad" triggeredByEvent="true"><bpmn:startEvent id="es"/>'
        "</bpmn:subProcess>",
        "event-subprocess-start",
        "bad",
        "with a trigger",
        id="event-subprocess-none-start",
    ),
    pytest.param(
        S + '<bpmn:subProcess id="sub"><bpmn:startEvent id="in"/></bpmn:subProcess>'
        '<bpmn:sequenceFlow id="bad" sourceRef="s" targetRef="in"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="sub"/>',
        "flow-crosses-scope",
        "bad",
        "cannot cross a sub-process border",
        id="flow-into-subprocess",
    ),
    pytest.param(
        S + '<bpmn:eventBasedGateway id="bad"/><bpmn:task id="a"/><bpmn:task id="b"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="bad"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="bad" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="bad" targetRef="b"/>',
        "invalid-event-gateway-target",
        "bad",
        "must lead to a message, timer",
        id="event-gateway-to-task",
    ),
    pytest.param(
        S + '<bpmn:intermediateThrowEvent id="bad"><bpmn:linkEventDefinition name="nowhere"/>'
        '</bpmn:intermediateThrowEvent><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "unknown-link",
        "bad",
        "'nowhere'",
        id="unknown-link",
    ),
    pytest.param(
        S + '<bpmn:task id="bad"><bpmn:multiInstanceLoopCharacteristics/></bpmn:task>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "multi-instance-without-input",
        "bad",
        "loopCardinality",
        id="multi-instance",
    ),
    pytest.param(
        S
        + '<bpmn:intermediateCatchEvent id="bad"><bpmn:messageEventDefinition messageRef="Message"/>'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        "unsupported-multiple-event",
        "bad",
        "one event per trigger",
        id="multiple-event",
    ),
    pytest.param(
        S
        + '<bpmn:callActivity id="bad"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="bad"/>',
        "missing-called-element",
        "bad",
        "calledElement",
        id="call-activity",
    ),
]


@pytest.mark.parametrize(("body", "code", "element_id", "message"), CASES)
def test_invalid_diagram(body: str, code: str, element_id: str, message: str) -> None:
    xml = document(
        body,
        top='<bpmn:message id="Message" name="m"/><bpmn:error id="Error_1" errorCode="E"/>',
    )
    got_code, got_id, got_line, got_message = _error(xml)
    assert (got_code, got_id) == (code, element_id)
    assert got_line == line_of(xml, f'id="{element_id}"')
    assert message in got_message


def test_an_error_ref_naming_no_error_is_its_code_with_a_warning() -> None:
    """Camunda 7 reads such an errorRef as the error code (its own tests rely on it):
    deployed, with the near miss pointed out in case it is a typo."""
    xml = document(
        S + '<bpmn:endEvent id="bad"><bpmn:errorEventDefinition errorRef="Eror"/></bpmn:endEvent>',
        top='<bpmn:error id="Error_1" errorCode="E"/>',
    )
    result = compile_text(xml)
    assert result.ok, result.diagnostics
    [warning] = [d for d in result.diagnostics if d.code == "unknown-reference"]
    assert warning.severity is Severity.WARNING and warning.element_id == "bad"
    assert "did you mean 'Error_1'" in warning.message
    event = result.definitions[0].nodes["bad"].event  # type: ignore[union-attr]
    assert event.error_code == "Eror"


def test_execution_problems_are_warnings_in_documentation_processes() -> None:
    xml = document(S + '<bpmn:serviceTask id="t"/>', executable="false")
    result = compile_text(xml)
    assert result.ok and result.definitions == []
    assert {d.code: d.severity for d in result.diagnostics} == {
        "missing-implementation": Severity.WARNING,
        "not-executable": Severity.WARNING,
    }
    # asked to include it, the same problem is an error
    assert [d.code for d in compile_text(xml, include_non_executable=True).errors] == [
        "missing-implementation"
    ]


def test_structural_problems_stay_errors_in_documentation_processes() -> None:
    xml = document(
        S + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="ghost"/>', executable="false"
    )
    assert [d.code for d in compile_text(xml).errors] == ["unknown-reference"]


def test_missing_is_executable_is_a_warning_and_deploys() -> None:
    xml = document(S).replace(' isExecutable="true"', "")
    result = compile_text(xml)
    assert result.ok and len(result.definitions) == 1
    assert [d.code for d in result.warnings] == ["is-executable-missing"]


def test_malformed_xml_points_at_the_line() -> None:
    result = compile_text("<a>\n<b>\n</a>")
    [diag] = result.errors
    assert (diag.code, diag.line) == ("xml-malformed", 3)


def test_recoverable_xml_compiles_with_a_warning() -> None:
    xml = document(S).replace('name="P"', 'name="P & Q"')
    result = compile_text(xml)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert [d.code for d in result.warnings] == ["xml-recovered"]
    assert len(result.definitions) == 1


@pytest.mark.parametrize(
    "payload",
    [
        '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
    ids=["xxe", "billion-laughs"],
)
def test_entities_are_refused(payload: str) -> None:
    xml = document(S).replace("?>\n", "?>\n" + payload + "\n", 1)
    result = compile_text(xml)
    assert [d.code for d in result.errors] == ["xml-doctype-forbidden"]
    assert result.definitions == []


def test_byte_order_mark() -> None:
    result = compile_text("\ufeff" + document(S))
    assert result.ok and len(result.definitions) == 1


def test_not_bpmn_and_no_process() -> None:
    assert [d.code for d in compile_text("<html/>").errors] == ["not-bpmn"]
    empty = document(S).replace('<bpmn:process id="p" name="P" isExecutable="true">', "")
    empty = empty.replace(S + "\n</bpmn:process>", "")
    result = compile_text(empty)
    assert result.ok and [d.code for d in result.warnings] == ["no-process"]


def test_sequence_flows_without_ids_get_stable_names() -> None:
    xml = document(S + '<bpmn:endEvent id="e"/><bpmn:sequenceFlow sourceRef="s" targetRef="e"/>')
    result = compile_text(xml)
    assert result.ok
    assert list(result.definitions[0].flows) == ["s->e"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (S + '<bpmn:startEvent id="bad"/>', "multiple-none-start-events"),
        ('<bpmn:task id="bad"/>', "implicit-start"),
        (
            '<bpmn:task id="a"/><bpmn:task id="b"/><bpmn:sequenceFlow id="f1" sourceRef="a" '
            'targetRef="b"/><bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="a"/>',
            "no-start-event",
        ),
    ],
    ids=["two-none-starts", "implicit-start", "no-start"],
)
def test_start_choices_are_warnings(body: str, code: str) -> None:
    """Several none start events (a start names one) and a process without start events
    (every element without incoming flow starts) run, with a warning saying how; a
    process that can never start (only event sub-processes could run) deploys with a
    warning too."""
    result = compile_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="t">\n<bpmn:process id="p" isExecutable="true">\n'
        f"{body}\n</bpmn:process>\n</bpmn:definitions>\n"
    )
    assert not result.errors, [str(d) for d in result.errors]
    assert code in {d.code for d in result.warnings}
