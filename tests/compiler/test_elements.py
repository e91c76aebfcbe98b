"""Each BPMN element compiles to the IR the interpreter expects."""

from __future__ import annotations

from bpmn_compiler.ir import (
    BoundaryEvent,
    CallActivity,
    CompensateEventDefinition,
    ConditionalEventDefinition,
    EndEvent,
    ErrorEventDefinition,
    EscalationEventDefinition,
    Expression,
    Gateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    MessageEventDefinition,
    MultiInstance,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    SignalEventDefinition,
    StandardLoop,
    StartEvent,
    SubProcess,
    Task,
    TerminateEventDefinition,
    TimerEventDefinition,
)
from tests.compiler.helpers import one
from tests.support.bpmn import document

FEEL = "feel"


def lit(text: str) -> Expression:
    return Expression(language="literal", source=text)


def test_start_end_and_plain_tasks() -> None:
    d = one(
        document(
            '<bpmn:startEvent id="s"/><bpmn:task id="t"/><bpmn:manualTask id="m"/>'
            '<bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="m"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="m" targetRef="e"/>'
        )
    )
    assert d.start_nodes == ["s"] and d.none_start() == "s"
    assert isinstance(d.nodes["t"], Task) and not d.nodes["t"].manual
    m = d.nodes["m"]
    assert isinstance(m, Task) and m.manual
    assert d.nodes["t"].incoming == ["f1"] and d.nodes["t"].outgoing == ["f2"]
    assert isinstance(d.nodes["e"], EndEvent) and d.nodes["e"].event is None


TOP = """
<bpmn:message id="Msg" name="order-paid">
  <bpmn:extensionElements><zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements>
</bpmn:message>
<bpmn:signal id="Sig" name="stop-all"/>
<bpmn:error id="Err" name="Payment failed" errorCode="PAYMENT_FAILED"/>
<bpmn:escalation id="Esc" name="Late" escalationCode="LATE"/>
"""


def test_event_definitions_resolve_their_references() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="msg"><bpmn:messageEventDefinition messageRef="Msg"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="tmr"><bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="sig"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="cond"><bpmn:conditionalEventDefinition camunda:variableName="x"><bpmn:condition xsi:type="bpmn:tFormalExpression">${x &gt; 1}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateThrowEvent id="esc"><bpmn:escalationEventDefinition escalationRef="Esc"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateThrowEvent id="comp"><bpmn:compensateEventDefinition activityRef="s" waitForCompletion="false"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateThrowEvent id="none"/>
<bpmn:endEvent id="err"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>
<bpmn:endEvent id="term"><bpmn:terminateEventDefinition/></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="msg"/>
<bpmn:sequenceFlow id="f2" sourceRef="msg" targetRef="tmr"/>
<bpmn:sequenceFlow id="f3" sourceRef="tmr" targetRef="sig"/>
<bpmn:sequenceFlow id="f4" sourceRef="sig" targetRef="cond"/>
<bpmn:sequenceFlow id="f5" sourceRef="cond" targetRef="esc"/>
<bpmn:sequenceFlow id="f6" sourceRef="esc" targetRef="comp"/>
<bpmn:sequenceFlow id="f7" sourceRef="comp" targetRef="none"/>
<bpmn:sequenceFlow id="f8" sourceRef="none" targetRef="err"/>
<bpmn:sequenceFlow id="f9" sourceRef="none" targetRef="term"/>
""",
            top=TOP,
        )
    )
    msg = d.nodes["msg"]
    assert isinstance(msg, IntermediateCatchEvent)
    assert msg.event == MessageEventDefinition(
        message_ref="Msg",
        message_name=lit("order-paid"),
        correlation_key=Expression(language=FEEL, source="orderId"),
    )
    tmr = d.nodes["tmr"]
    assert isinstance(tmr, IntermediateCatchEvent)
    assert tmr.event == TimerEventDefinition(timer="duration", value=lit("PT5M"))
    sig = d.nodes["sig"]
    assert isinstance(sig, IntermediateCatchEvent)
    assert sig.event == SignalEventDefinition(signal_ref="Sig", signal_name=lit("stop-all"))
    cond = d.nodes["cond"]
    assert isinstance(cond, IntermediateCatchEvent)
    assert cond.event == ConditionalEventDefinition(
        condition=Expression(language="juel", source="${x > 1}"), variable_name="x"
    )
    esc = d.nodes["esc"]
    assert isinstance(esc, IntermediateThrowEvent)
    assert esc.event == EscalationEventDefinition(
        escalation_ref="Esc", escalation_code="LATE", escalation_name="Late"
    )
    comp = d.nodes["comp"]
    assert isinstance(comp, IntermediateThrowEvent)
    assert comp.event == CompensateEventDefinition(activity_ref="s", wait_for_completion=False)
    assert isinstance(d.nodes["none"], IntermediateThrowEvent) and d.nodes["none"].event is None
    err = d.nodes["err"]
    assert isinstance(err, EndEvent)
    assert err.event == ErrorEventDefinition(
        error_ref="Err", error_code="PAYMENT_FAILED", error_name="Payment failed"
    )
    term = d.nodes["term"]
    assert isinstance(term, EndEvent) and term.event == TerminateEventDefinition()
    assert set(d.messages) == {"Msg"} and d.errors["Err"].code == "PAYMENT_FAILED"


def test_timers_of_every_kind() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="cycle"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT10M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
<bpmn:startEvent id="date"><bpmn:timerEventDefinition><bpmn:timeDate>2026-12-24T18:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:startEvent>
<bpmn:startEvent id="feel"><bpmn:timerEventDefinition><bpmn:timeDuration>=wait</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>
<bpmn:startEvent id="cron"><bpmn:timerEventDefinition><bpmn:timeCycle>0 0 9-17 * * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
"""
        )
    )
    kinds = {}
    for sid in ("cycle", "date", "feel", "cron"):
        node = d.nodes[sid]
        assert isinstance(node, StartEvent) and isinstance(node.event, TimerEventDefinition)
        kinds[sid] = (node.event.timer, node.event.value.language)
    assert kinds == {
        "cycle": ("cycle", "literal"),
        "date": ("date", "literal"),
        "feel": ("duration", "feel"),
        "cron": ("cycle", "literal"),
    }
    assert d.none_start() is None


def test_boundary_events_attach_and_compensation_handler_is_linked() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:userTask id="work"/>
<bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:boundaryEvent id="undo" attachedToRef="work"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
<bpmn:task id="rollback" isForCompensation="true"/>
<bpmn:association id="a1" associationDirection="One" sourceRef="undo" targetRef="rollback"/>
<bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="e"/>
"""
        )
    )
    work = d.nodes["work"]
    assert work.kind == "userTask"
    assert work.boundary_events == ["late", "undo"]
    assert work.compensation_handler == "rollback"
    late = d.nodes["late"]
    assert isinstance(late, BoundaryEvent)
    assert (late.attached_to, late.cancel_activity, late.outgoing) == ("work", False, ["f3"])
    rollback = d.nodes["rollback"]
    assert isinstance(rollback, Task) and rollback.is_for_compensation


def test_gateways_and_default_flows() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:exclusiveGateway id="x" default="f3"/>
<bpmn:parallelGateway id="pg"/>
<bpmn:inclusiveGateway id="i"/>
<bpmn:eventBasedGateway id="eg"/>
<bpmn:intermediateCatchEvent id="t1"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:receiveTask id="r"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>
<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="pg"><bpmn:conditionExpression>${amount &gt; 100}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="x" targetRef="i"/>
<bpmn:sequenceFlow id="f4" sourceRef="pg" targetRef="eg"/>
<bpmn:sequenceFlow id="f5" sourceRef="i" targetRef="eg"><bpmn:conditionExpression>= amount &lt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f6" sourceRef="eg" targetRef="t1"/>
<bpmn:sequenceFlow id="f7" sourceRef="eg" targetRef="r"/>
"""
        )
    )
    x = d.nodes["x"]
    assert isinstance(x, Gateway) and (x.gateway, x.default_flow) == ("exclusive", "f3")
    assert d.flows["f2"].condition == Expression(language="juel", source="${amount > 100}")
    assert d.flows["f5"].condition == Expression(language=FEEL, source="amount < 5")
    assert {d.nodes[g].gateway for g in ("pg", "i", "eg")} == {  # type: ignore[union-attr]
        "parallel",
        "inclusive",
        "eventBased",
    }
    assert isinstance(d.nodes["r"], ReceiveTask)


def test_sub_processes_are_scopes() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:subProcess id="sub">
  <bpmn:startEvent id="sub_s"/>
  <bpmn:task id="inner"/>
  <bpmn:sequenceFlow id="g1" sourceRef="sub_s" targetRef="inner"/>
  <bpmn:subProcess id="on_error" triggeredByEvent="true">
    <bpmn:startEvent id="es" isInterrupting="true"><bpmn:errorEventDefinition/></bpmn:startEvent>
  </bpmn:subProcess>
</bpmn:subProcess>
<bpmn:transaction id="tx"><bpmn:startEvent id="tx_s"/></bpmn:transaction>
<bpmn:adHocSubProcess id="adhoc" ordering="Sequential"><bpmn:task id="any"/>
  <bpmn:completionCondition>${done}</bpmn:completionCondition></bpmn:adHocSubProcess>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
<bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="tx"/>
<bpmn:sequenceFlow id="f3" sourceRef="tx" targetRef="adhoc"/>
"""
        )
    )
    sub = d.nodes["sub"]
    assert isinstance(sub, SubProcess)
    assert (sub.variant, sub.start_nodes, sub.event_subprocesses) == (
        "embedded",
        ["sub_s"],
        ["on_error"],
    )
    assert sub.children == ["sub_s", "inner", "on_error"]
    assert d.nodes["inner"].scope == "sub" and d.nodes["es"].scope == "on_error"
    es = d.nodes["es"]
    assert isinstance(es, StartEvent) and isinstance(es.event, ErrorEventDefinition)
    assert es.event.error_code is None  # catch-all
    tx, adhoc = d.nodes["tx"], d.nodes["adhoc"]
    assert isinstance(tx, SubProcess) and tx.variant == "transaction"
    assert isinstance(adhoc, SubProcess) and adhoc.variant == "adHoc"
    assert adhoc.ordering == "sequential"
    assert adhoc.completion_condition == Expression(language="juel", source="${done}")
    assert d.flows["g1"].source == "sub_s"


def test_loops() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:task id="mi"><bpmn:multiInstanceLoopCharacteristics isSequential="true">
  <bpmn:loopCardinality>${3}</bpmn:loopCardinality>
  <bpmn:completionCondition>${nrOfCompletedInstances == 2}</bpmn:completionCondition>
</bpmn:multiInstanceLoopCharacteristics></bpmn:task>
<bpmn:task id="std"><bpmn:standardLoopCharacteristics testBefore="true" loopMaximum="5">
  <bpmn:loopCondition>${again}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="mi"/>
<bpmn:sequenceFlow id="f2" sourceRef="mi" targetRef="std"/>
"""
        )
    )
    mi = d.nodes["mi"]
    assert isinstance(mi, Task) and isinstance(mi.loop, MultiInstance)
    assert mi.loop.sequential
    assert mi.loop.cardinality == Expression(language="juel", source="${3}")
    std = d.nodes["std"]
    assert isinstance(std, Task)
    assert std.loop == StandardLoop(
        condition=Expression(language="juel", source="${again}"), test_before=True, maximum=5
    )


def test_link_events_pair_by_name() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition name="jump"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="jump"/></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="go"/>
<bpmn:sequenceFlow id="f2" sourceRef="land" targetRef="e"/>
"""
        )
    )
    go = d.nodes["go"]
    assert isinstance(go, IntermediateThrowEvent)
    assert go.event == LinkEventDefinition(link_name="jump")


def test_call_activity_and_script_and_send() -> None:
    d = one(
        document(
            """
<bpmn:startEvent id="s"/>
<bpmn:callActivity id="call" calledElement="child"/>
<bpmn:scriptTask id="js" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="el" scriptFormat="juel" camunda:resultVariable="y"><bpmn:script>${1 + 1}</bpmn:script></bpmn:scriptTask>
<bpmn:sendTask id="send" messageRef="Msg"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>
<bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="js"/>
<bpmn:sequenceFlow id="f3" sourceRef="js" targetRef="el"/>
<bpmn:sequenceFlow id="f4" sourceRef="el" targetRef="send"/>
""",
            top=TOP,
        )
    )
    call = d.nodes["call"]
    assert isinstance(call, CallActivity) and call.called_element == lit("child")
    js = d.nodes["js"]
    assert isinstance(js, ScriptTask)
    assert (js.implementation.kind, js.implementation.task_type) == ("script", "script.javascript")
    el = d.nodes["el"]
    assert isinstance(el, ScriptTask) and el.implementation.kind == "expression"
    assert el.implementation.result_variable == "y"
    send = d.nodes["send"]
    assert isinstance(send, ServiceTask)
    assert (send.task, send.message_ref, send.implementation.kind) == ("send", "Msg", "none")


def test_collaboration_message_flows_and_participant() -> None:
    xml = document(
        """
<bpmn:startEvent id="s"/><bpmn:sendTask id="send" messageRef="Msg"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="send"/>
""",
        top=TOP
        + """
<bpmn:collaboration id="c">
  <bpmn:participant id="pool_p" processRef="p"/>
  <bpmn:participant id="pool_bank" name="Bank"/>
  <bpmn:messageFlow id="mf" sourceRef="send" targetRef="pool_bank" messageRef="Msg"/>
</bpmn:collaboration>""",
    )
    d = one(xml)
    assert d.participant == "pool_p"
    [flow] = d.message_flows
    assert (flow.source, flow.target, flow.message_ref, flow.source_process) == (
        "send",
        "pool_bank",
        "Msg",
        "p",
    )


def test_diagram_positions_are_kept() -> None:
    from bpmn_compiler import compile_or_raise
    from tests.conftest import EXAMPLES

    [d] = compile_or_raise((EXAMPLES / "invoice-approval.bpmn").read_bytes())
    assert d.diagram.shapes["Task_approve"].x == 400
    assert len(d.diagram.edges["Flow_1"]) == 2
