"""Regressions found in review: QName references, xsd booleans, condition languages,
standard assignment, crash inputs and bounded suggestion work."""

from __future__ import annotations

import time

import pytest

from bpmn_compiler.ir import BoundaryEvent, Expression, Gateway, UserTask
from tests.compiler.helpers import compile_text, one
from tests.support.bpmn import document

S = '<bpmn:startEvent id="s"/>'


def test_qname_references_resolve() -> None:
    d = one(
        document(
            S + '<bpmn:task id="t"/><bpmn:boundaryEvent id="b" attachedToRef="tns:t">'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration>"
            "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:sequenceFlow id="f" sourceRef="tns:s" targetRef="tns:t"/>'
        ).replace("<bpmn:definitions ", '<bpmn:definitions xmlns:tns="http://test" ')
    )
    b = d.nodes["b"]
    assert isinstance(b, BoundaryEvent) and b.attached_to == "t"
    assert d.flows["f"].source == "s" and d.nodes["t"].boundary_events == ["b"]


def test_xsd_booleans_one_and_zero() -> None:
    d = one(
        document(
            S
            + '<bpmn:task id="t"/><bpmn:boundaryEvent id="b" attachedToRef="t" cancelActivity="0">'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration>"
            "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>',
            executable="1",
        )
    )
    b = d.nodes["b"]
    assert isinstance(b, BoundaryEvent) and b.cancel_activity is False


def test_standard_assignment_like_camunda() -> None:
    d = one(
        document(
            S + '<bpmn:userTask id="u"><bpmn:humanPerformer><bpmn:resourceAssignmentExpression>'
            "<bpmn:formalExpression>kermit</bpmn:formalExpression></bpmn:resourceAssignmentExpression>"
            "</bpmn:humanPerformer><bpmn:potentialOwner><bpmn:resourceAssignmentExpression>"
            "<bpmn:formalExpression>user(gonzo), group(management), accountancy</bpmn:formalExpression>"
            "</bpmn:resourceAssignmentExpression></bpmn:potentialOwner></bpmn:userTask>"
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="u"/>'
        )
    )
    u = d.nodes["u"]
    assert isinstance(u, UserTask)
    lit = lambda s: Expression(language="literal", source=s)  # noqa: E731
    assert u.assignee == lit("kermit")
    assert u.candidate_users == [lit("gonzo")]
    assert u.candidate_groups == [lit("management"), lit("accountancy")]


def test_condition_language_attribute() -> None:
    body = (
        S + '<bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e"><bpmn:conditionExpression '
        'language="https://www.omg.org/spec/DMN/20191111/FEEL/">Vacation Approval = "Approved"'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    d = one(document(body))
    assert d.flows["f1"].condition == Expression(
        language="feel", source='Vacation Approval = "Approved"'
    )
    script = compile_text(
        document(body.replace("https://www.omg.org/spec/DMN/20191111/FEEL/", "groovy"))
    )
    assert [e.code for e in script.errors] == ["unsupported-expression-language"]
    prose = compile_text(
        document(body.replace(' language="https://www.omg.org/spec/DMN/20191111/FEEL/"', ""))
    )
    [error] = prose.errors
    assert (error.code, error.element_id) == ("condition-not-an-expression", "f1")


def test_instantiating_event_gateway_starts_the_process() -> None:
    d = one(
        document(
            '<bpmn:eventBasedGateway id="g" instantiate="true"/>'
            '<bpmn:intermediateCatchEvent id="a"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M'
            "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
            '<bpmn:receiveTask id="r"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="a"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="r"/>'
        )
    )
    assert d.start_nodes == ["g"]
    assert isinstance(d.nodes["g"], Gateway)


def test_duplicate_ids_across_processes() -> None:
    xml = document(S).replace(
        "</bpmn:definitions>",
        '<bpmn:process id="p2" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>'
        "</bpmn:definitions>",
    )
    assert [e.code for e in compile_text(xml).errors] == ["duplicate-id"]


@pytest.mark.parametrize(
    "fragment",
    [
        '<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        "P9999999999D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
        '<bpmn:task id="x"><bpmn:standardLoopCharacteristics loopMaximum="²"/></bpmn:task>',
        '<bpmn:serviceTask id="x"><bpmn:extensionElements><zeebe:taskDefinition type="a" retries="³"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>",
        '<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition><bpmn:timeCycle>R²/PT1M'
        "</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
    ],
)
def test_odd_numbers_never_crash(fragment: str) -> None:
    result = compile_text(
        document(S + fragment + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="x"/>')
    )
    assert not result.crashed, [str(d) for d in result.diagnostics]


def test_many_broken_references_stay_fast() -> None:
    flows = "".join(
        f'<bpmn:task id="t{i}"/><bpmn:sequenceFlow id="f{i}" sourceRef="s" targetRef="missing{i}"/>'
        for i in range(1500)
    )
    started = time.perf_counter()
    result = compile_text(document(S + flows))
    assert len(result.errors) == 1500
    assert time.perf_counter() - started < 10


def test_cdata_doctype_text_is_not_refused() -> None:
    xml = document(S).replace(
        '<bpmn:startEvent id="s"/>',
        '<bpmn:startEvent id="s"><bpmn:documentation><![CDATA[<!DOCTYPE html><p>x</p>]]>'
        "</bpmn:documentation></bpmn:startEvent>",
    )
    assert compile_text(xml).ok
