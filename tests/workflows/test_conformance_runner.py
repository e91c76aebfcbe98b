"""``baton conformance`` on cases the interpreter already passes (guards regressions)."""

from __future__ import annotations

import pytest

from baton.conformance import adapt, run_all
from tests.conftest import SHARED

CASES = SHARED / "corpora" / "conformance" / "visible"
PASSING = [
    "boundary-interrupting-sub-process",
    "boundary-interrupting-task",
    "boundary-non-interrupting-task",
    "catch-event",
    "collapsed-event-sub-process",
    "collapsed-sub-process-compensation-event-sub-process",
    "collapsed-sub-process-event-sub-process",
    "collapsed-sub-process-link-events",
    "compensation-after-error-recovery",
    "compensation-after-escalation-recovery",
    "compensation-booking",
    "compensation-end",
    "compensation-error",
    "compensation-event-sub-process",
    "compensation-intermediate-throw",
    "compensation-nested",
    "compensation-no-compensate-activity",
    "error-catch-all-boundary-none",
    "error-catch-all-boundary-ref",
    "error-catch-all-inner-event-sub-ref",
    "error-consume",
    "error-nested-trigger-boundary",
    "error-no-catch",
    "error-rethrow",
    "error-trigger-boundary",
    "error-trigger-event-sub-process",
    "escalation-catch-all-boundary-none",
    "escalation-catch-all-boundary-ref",
    "escalation-catch-all-inner-event-sub-none",
    "escalation-catch-all-outer-event-sub-none",
    "escalation-catch-all-outer-event-sub-ref",
    "escalation-consume",
    "escalation-no-catch",
    "escalation-rethrow",
    "escalation-trigger-boundary-event",
    "escalation-trigger-event-sub-process",
    "event-based-gateway",
    "event-sub-process-implicit-start",
    "event-sub-process-multiple-starts",
    "event-sub-process-nested-cancelation-absorb-event",
    "event-sub-process-nested-cancelation-rethrow",
    "event-sub-process-nested-cancelation-throws-escalation",
    "event-sub-process-non-interrupting",
    "exclusive-gateway-fork-join",
    "exclusive-gateway-no-outgoings",
    "inclusive-gateway-boundary-event",
    "inclusive-gateway-default-flow",
    "inclusive-gateway-exclusive-gateway",
    "inclusive-gateway-fork-join",
    "inclusive-gateway-link-collapsed-subprocess",
    "inclusive-gateway-link-event",
    "inclusive-gateway-link-missing",
    "inclusive-gateway-multiple-activation",
    "inclusive-gateway-multiple-elements",
    "inclusive-gateway-multiple-link-events",
    "inclusive-gateway-multiple-starts",
    "inclusive-gateway-no-outgoings",
    "inclusive-gateway-single-token-pass-through",
    "inclusive-gateway-visiting-token",
    "message-flow-end-event-trigger-flow",
    "message-flow-pool-pool",
    "message-flow-send-receive",
    "message-flow-send-receive-tasks",
    "message-flow-task-trigger-flow",
    "message-flow-throw-catch-events",
    "message-flow-trigger-event-based-gateway-multiple-events",
    "message-flow-trigger-receive-task",
    "message-flow-trigger-start-event",
    "message-flow-trigger-start-multiple-events",
    "message-flow-trigger-start-multiple-message-events",
    "parallel-gateway",
    "process-implicit-start-collaboration",
    "process-implicit-start-none-event",
    "process-implicit-start-trigger",
    "process-multiple-starts",
    "signal-consume",
    "signal-end-event-trigger-event-sub-process-interrupting",
    "signal-madness",
    "signal-trigger-boundary-event",
    "signal-trigger-event-sub-process",
    "signal-trigger-intermediate-catch-event",
    "signal-trigger-multiple-start-events",
    "signal-trigger-start-event",
    "simple",
    "simple-2",
    "sub-process-empty-continuation",
    "terminate",
    "token-sink-all",
    "token-sink-task",
    "transaction-cancel-from-nested-scope",
    "transaction-cancel-trigger-cancel-boundary",
    "transaction-compensation",
    "transaction-error",
    "transaction-terminate",
]


@pytest.mark.slow
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
