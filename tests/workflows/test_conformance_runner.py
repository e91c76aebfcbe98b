"""``baton conformance`` on cases the interpreter already passes (guards regressions)."""

from __future__ import annotations

import pytest

from baton.conformance import adapt, run_all
from tests.conftest import SHARED

CASES = SHARED / "corpora" / "conformance" / "visible"
PASSING = [
    "simple",
    "parallel-gateway",
    "exclusive-gateway-fork-join",
    "inclusive-gateway-fork-join",
    "inclusive-gateway-default-flow",
    "boundary-non-interrupting-task",
    "error-trigger-boundary",
    "terminate",
    "message-flow-trigger-receive-task",
    "catch-event",
    "event-based-gateway",
    "compensation-end",
    "compensation-intermediate-throw",
    "transaction-compensation",
    "signal-trigger-event-sub-process",
    "event-sub-process-non-interrupting",
    "message-flow-trigger-start-event",
    "error-no-catch",
    "escalation-no-catch",
    "error-rethrow",
    "escalation-rethrow",
    "error-nested-trigger-boundary",
    "event-sub-process-nested-cancelation-throws-escalation",
    "compensation-event-sub-process",
    "compensation-booking",
    "collapsed-sub-process-compensation-event-sub-process",
    "transaction-cancel-from-nested-scope",
    "sub-process-empty-continuation",
    "exclusive-gateway-no-outgoings",
]


@pytest.mark.skipif(not CASES.is_dir(), reason=f"{CASES} is absent")
async def test_known_cases_pass() -> None:
    summary = await run_all([CASES / name for name in PASSING])
    failures = [f"{o.name}: {o.detail}" for o in summary.outcomes if not o.passed]
    assert failures == []
    assert summary.closing_line() == f"conformance: {len(PASSING)} passed, 0 failed"


def test_adapt_makes_wait_tasks_and_decisions() -> None:
    diagram = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p"><bpmn:startEvent id="s"/><bpmn:task id="T"/><bpmn:userTask id="U"/>
<bpmn:exclusiveGateway id="G"/><bpmn:sequenceFlow id="F1" sourceRef="G" targetRef="T"/>
</bpmn:process></bpmn:definitions>"""
    case = {"config": {"wait_at": ["T"], "gateway_decisions": {"G": ["F1"]}}, "steps": []}
    adapted = adapt(diagram, case).decode()
    assert '<bpmn:userTask id="T"/>' in adapted
    assert '<bpmn:task id="U"/>' in adapted  # the simulator does not wait at user tasks
    assert 'list contains(get value(decisions, "G"), "F1")' in adapted
    assert 'isExecutable="true"' in adapted
