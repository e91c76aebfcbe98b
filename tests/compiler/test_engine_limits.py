"""Deploy-time diagnostics for diagrams one workflow task cannot carry
(bpmn_compiler/engine_limits.py): wide fan-outs and joins, long wait-free runs."""

from __future__ import annotations

from bench.engine_limits import chain, fanout
from bpmn_compiler import Severity, compile_bpmn
from bpmn_compiler.engine_limits import MAX_BRANCHES, MAX_WAIT_FREE_RUN
from tests.compiler.helpers import compile_text, line_of
from tests.support.bpmn import document


def _codes(xml: bytes) -> list[tuple[str, str | None, int | None]]:
    result = compile_bpmn(xml, filename="big.bpmn")
    return [(d.code, d.element_id, d.line) for d in result.errors]


def test_a_fan_out_wider_than_a_workflow_task_names_the_split_and_the_join() -> None:
    assert _codes(fanout(MAX_BRANCHES)) == []
    wide = fanout(MAX_BRANCHES + 1)
    text = wide.decode()
    assert _codes(wide) == [
        ("fan-out-too-wide", "split", line_of(text, 'id="split"')),
        ("join-too-wide", "join", line_of(text, 'id="join"')),
    ]
    result = compile_bpmn(fanout(5000), filename="big.bpmn")
    assert not result.definitions
    [split, _] = result.errors
    assert "5000 outgoing sequence flows" in split.message and str(MAX_BRANCHES) in split.message
    inclusive = _codes(fanout(MAX_BRANCHES + 1, "inclusive"))
    assert [c for c, _, _ in inclusive] == ["fan-out-too-wide", "join-too-wide"]


def test_an_exclusive_choice_among_many_flows_is_not_a_fan_out() -> None:
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="x" targetRef="e"/>'
        for i in range(MAX_BRANCHES + 10)
    )
    xml = document(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="x"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="in" sourceRef="s" targetRef="x"/>' + flows
    )
    assert [d.code for d in compile_text(xml).errors if "wide" in d.code] == []


def test_an_implicit_split_from_a_task_counts_like_a_gateway() -> None:
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="t" targetRef="e{i}"/><bpmn:endEvent id="e{i}"/>'
        for i in range(MAX_BRANCHES + 1)
    )
    xml = document(
        '<bpmn:startEvent id="s"/><bpmn:task id="t"/>'
        '<bpmn:sequenceFlow id="in" sourceRef="s" targetRef="t"/>' + flows
    )
    [error] = compile_text(xml).errors
    assert (error.code, error.element_id) == ("fan-out-too-wide", "t")


def test_a_long_wait_free_run_is_refused_where_it_passes_the_bound() -> None:
    # the start event plus MAX_WAIT_FREE_RUN - 1 tasks: exactly at the bound
    assert _codes(chain(MAX_WAIT_FREE_RUN - 1)) == []
    long = chain(5000)
    result = compile_bpmn(long, filename="big.bpmn")
    [error] = result.errors
    assert error.code == "wait-free-run-too-long" and error.severity is Severity.ERROR
    where = f"t{MAX_WAIT_FREE_RUN - 1}"
    assert error.element_id == where
    assert error.line == line_of(long.decode(), f'id="{where}"')
    assert "from 's'" in error.message and not result.definitions


def test_a_wait_state_or_async_continuation_breaks_the_run() -> None:
    half = MAX_WAIT_FREE_RUN // 2 + 10
    for breaker in (
        '<bpmn:userTask id="t{i}"/>',
        '<bpmn:task id="t{i}" camunda:asyncBefore="true"/>',
    ):
        body = ['<bpmn:startEvent id="s"/>']
        previous = "s"
        for i in range(2 * half):
            element = breaker if i == half else '<bpmn:task id="t{i}"/>'
            body.append(element.format(i=i))
            body.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
            previous = f"t{i}"
        assert compile_text(document("".join(body))).errors == [], breaker


def test_a_cycle_without_a_wait_is_left_to_the_runtime() -> None:
    xml = document(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="x" default="back"/>'
        '<bpmn:task id="t"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e">'
        "<bpmn:conditionExpression>${done}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="back" sourceRef="x" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="x"/>'
    )
    assert compile_text(xml).errors == []


def test_in_a_documentation_only_process_they_are_warnings() -> None:
    xml = fanout(MAX_BRANCHES + 1).replace(b'isExecutable="true"', b'isExecutable="false"')
    result = compile_bpmn(xml, filename="doc.bpmn")
    assert result.errors == []
    assert {"fan-out-too-wide", "join-too-wide"} <= {d.code for d in result.warnings}
