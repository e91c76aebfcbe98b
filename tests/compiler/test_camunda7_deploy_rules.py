"""What Camunda 7's parser accepts that BPMN's letter does not, and what it refuses:
Baton deploys and refuses the same, with its own diagnostics (element id and line)."""

from __future__ import annotations

from bpmn_compiler import Severity
from bpmn_compiler.ir import BoundaryEvent, ScriptTask, TimerEventDefinition
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
        '<bpmn:messageEventDefinition messageRef="M{n}"/></bpmn:startEvent>'
        '<bpmn:endEvent id="ee{n}"/><bpmn:sequenceFlow id="fe{n}" sourceRef="es{n}" '
        'targetRef="ee{n}"/></bpmn:subProcess>'
    )
    # two messages: Camunda 7 refuses two event sub-processes waiting for one message
    messages = '<bpmn:message id="M1" name="m1"/><bpmn:message id="M2" name="m2"/>'
    xml = document(S + esp.format(n=1) + esp.format(n=2), top=messages)
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


# --- the parse errors Camunda 7's own tests expect (issue 21) ------------------------------

ZEEBE_NS = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '


def _camunda7(xml: str) -> str:
    """The document as Camunda Modeler writes it for Camunda 7 (no Zeebe namespace)."""
    assert ZEEBE_NS in xml
    return xml.replace(ZEEBE_NS, "")


def _error(xml: str, code: str, element_id: str | None, needle: str) -> None:
    result = compile_text(xml)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, result.diagnostics
    assert found[0].severity is Severity.ERROR and not result.ok
    assert (found[0].element_id, found[0].line) == (element_id, line_of(xml, needle))


def _message_start(sid: str, ref: str = "M") -> str:
    return f'<bpmn:startEvent id="{sid}"><bpmn:messageEventDefinition messageRef="{ref}"/>'


def test_a_message_without_name_on_a_catch_event_is_refused() -> None:
    # MessageStartEventTest / MessageIntermediateEventTest.testEmptyMessageNameFails
    xml = _camunda7(
        document(
            _message_start("s") + "</bpmn:startEvent>\n"
            '<bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition messageRef="M"/>'
            "</bpmn:intermediateCatchEvent>",
            top='<bpmn:message id="M"/>',
        )
    )
    _error(xml, "message-without-name", "s", 'id="s"')
    codes = [d.code for d in compile_text(xml).errors]
    assert codes.count("message-without-name") == 2


def test_a_message_without_name_in_a_generic_file_only_warns() -> None:
    xml = document(_message_start("s") + "</bpmn:startEvent>", top='<bpmn:message id="M"/>')
    result = compile_text(xml)
    assert result.ok, result.diagnostics
    assert "message-without-name" in _codes(xml, Severity.WARNING)


def test_a_receive_task_for_a_nameless_message_is_refused() -> None:
    xml = _camunda7(
        document(
            S + '\n<bpmn:receiveTask id="r" messageRef="M"/>\n'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>',
            top='<bpmn:message id="M" name=" "/>',
        )
    )
    _error(xml, "message-without-name", "r", 'id="r"')


def test_an_expression_in_a_message_start_name_is_refused() -> None:
    # MessageStartEventTest.testUsingExpressionWith{Dollar,Hash}Tag...ThrowsException
    for name in ("${x}", "#{x}"):
        xml = document(
            _message_start("s") + "</bpmn:startEvent>",
            top=f'<bpmn:message id="M" name="order-{name}"/>',
        )
        _error(xml, "message-start-expression", "s", 'id="s"')


def test_an_expression_in_an_event_sub_process_message_name_is_deployed() -> None:
    xml = document(
        S
        + '\n<bpmn:subProcess id="esp" triggeredByEvent="true">\n'
        + _message_start("es")
        + '</bpmn:startEvent>\n<bpmn:endEvent id="ee"/>\n'
        '<bpmn:sequenceFlow id="fe" sourceRef="es" targetRef="ee"/></bpmn:subProcess>',
        top='<bpmn:message id="M" name="order-${x}"/>',
    )
    assert compile_text(xml).ok, compile_text(xml).diagnostics


def test_two_message_start_events_with_one_name_are_refused() -> None:
    # MessageStartEventTest.testSameMessageNameInSameProcessFails
    xml = document(
        _message_start("s1")
        + "</bpmn:startEvent>\n"
        + _message_start("s2", "M2")
        + "</bpmn:startEvent>",
        top='<bpmn:message id="M" name="invoice"/><bpmn:message id="M2" name="invoice"/>',
    )
    _error(xml, "duplicate-subscription", "s2", 'id="s2"')


def test_two_message_boundary_events_with_one_name_on_one_task_are_refused() -> None:
    # MessageBoundaryEventTest.testDoubleBoundaryMessageEventSameMessageId
    boundary = (
        '<bpmn:boundaryEvent id="{id}" attachedToRef="t">'
        '<bpmn:messageEventDefinition messageRef="M"/></bpmn:boundaryEvent>'
    )
    xml = document(
        S
        + '\n<bpmn:userTask id="t"/>\n<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
        + boundary.format(id="b1")
        + "\n"
        + boundary.format(id="b2"),
        top='<bpmn:message id="M" name="cancel"/>',
    )
    _error(xml, "duplicate-subscription", "b2", 'id="b2"')


def test_one_message_on_boundary_events_of_two_tasks_is_deployed() -> None:
    xml = document(
        S + '\n<bpmn:userTask id="t1"/><bpmn:userTask id="t2"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>\n'
        '<bpmn:boundaryEvent id="b1" attachedToRef="t1"><bpmn:messageEventDefinition '
        'messageRef="M"/></bpmn:boundaryEvent>\n<bpmn:boundaryEvent id="b2" attachedToRef="t2">'
        '<bpmn:messageEventDefinition messageRef="M"/></bpmn:boundaryEvent>',
        top='<bpmn:message id="M" name="cancel"/>',
    )
    assert "duplicate-subscription" not in [d.code for d in compile_text(xml).diagnostics]


def test_two_signal_start_events_and_two_equal_conditional_starts_are_refused() -> None:
    # SignalEventParseInvalidProcessTest, ConditionalStartEventTest
    signals = document(
        '<bpmn:startEvent id="s1"><bpmn:signalEventDefinition signalRef="A"/></bpmn:startEvent>\n'
        '<bpmn:startEvent id="s2"><bpmn:signalEventDefinition signalRef="A"/></bpmn:startEvent>',
        top='<bpmn:signal id="A" name="alert"/>',
    )
    _error(_camunda7(signals), "duplicate-subscription", "s2", 'id="s2"')
    # elsewhere a signal starts one instance per start event (the token-simulation suite)
    assert compile_text(signals).ok
    assert "duplicate-subscription" in _codes(signals, Severity.WARNING)
    condition = (
        '<bpmn:startEvent id="{id}"><bpmn:conditionalEventDefinition><bpmn:condition>'
        "${{x == 1}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>"
    )
    conditions = document(condition.format(id="c1") + "\n" + condition.format(id="c2"))
    _error(conditions, "duplicate-subscription", "c2", 'id="c2"')


def test_duplicate_signal_names_and_a_signal_without_id_are_refused() -> None:
    # SignalEventParseInvalidProcessTest: "duplicate signal name", "signal must have an id"
    xml = document(
        S,
        top='<bpmn:signal id="A" name="alert"/>\n<bpmn:signal id="B" name="alert"/>\n'
        '<bpmn:signal name="nameless-id"/>',
    )
    _error(xml, "duplicate-signal-name", "B", 'id="B"')
    _error(xml, "signal-without-id", None, 'name="nameless-id"')


def test_an_error_end_event_needs_an_error_code() -> None:
    # BoundaryErrorEventTest.testThrowError{Without,WithEmpty}ErrorCode
    for error in ('<bpmn:error id="E"/>', '<bpmn:error id="E" errorCode=""/>'):
        xml = _camunda7(
            document(
                S + '\n<bpmn:endEvent id="e"><bpmn:errorEventDefinition errorRef="E"/>'
                '</bpmn:endEvent>\n<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>',
                top=error,
            )
        )
        _error(xml, "error-end-without-code", "e", 'id="e"')


def test_an_error_boundary_event_without_code_still_catches_everything() -> None:
    # BoundaryErrorEventTest.testCatchErrorOnEmbeddedSubprocessWithoutErrorCode deploys
    xml = _camunda7(
        document(
            S + '\n<bpmn:userTask id="t"/>\n<bpmn:sequenceFlow id="f1" sourceRef="s" '
            'targetRef="t"/>\n<bpmn:boundaryEvent id="b" attachedToRef="t">'
            '<bpmn:errorEventDefinition errorRef="E"/></bpmn:boundaryEvent>',
            top='<bpmn:error id="E"/>',
        )
    )
    assert compile_text(xml).ok, compile_text(xml).diagnostics


def test_camunda_form_ref_rules() -> None:
    # {UserTask,StartEvent}CamundaFormDefinitionParseTest.shouldNotParse...
    both = document(
        '<bpmn:startEvent id="s" camunda:formKey="k" camunda:formRef="f" '
        'camunda:formRefBinding="latest"/>'
    )
    _error(both, "form-key-and-ref", "s", 'id="s"')
    binding = document(
        S + '\n<bpmn:userTask id="t" camunda:formRef="f" camunda:formRefBinding="unsupported"/>'
        '\n<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    )
    _error(binding, "invalid-form-binding", "t", 'id="t"')


def test_a_job_priority_must_be_a_number_or_an_expression() -> None:
    # JobPrioritizationBpmnConstantValueTest.testFailOnMalformedInput
    task = '<bpmn:manualTask id="t" camunda:asyncBefore="true" camunda:jobPriority="{}"/>'
    flow = '\n<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    xml = document(S + "\n" + task.format("thisIsNotANumber") + flow)
    _error(xml, "invalid-priority", "t", 'id="t"')
    for good in ("15", "-3", "${priority}", "#{16}"):
        assert compile_text(document(S + "\n" + task.format(good) + flow)).ok


def test_an_unknown_decision_result_mapping_is_refused() -> None:
    xml = document(
        S + '\n<bpmn:businessRuleTask id="r" camunda:decisionRef="d" '
        'camunda:mapDecisionResult="invalid" camunda:resultVariable="x"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
    )
    _error(xml, "invalid-decision-result-mapping", "r", 'id="r"')


def test_the_mail_task_is_named_as_unsupported() -> None:
    xml = document(
        S + '\n<bpmn:sendTask id="m" camunda:type="mail"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="m"/>'
    )
    [error] = compile_text(xml).errors
    assert error.code == "unsupported-task-type" and 'camunda:type="mail"' in error.message
    assert (error.element_id, error.line) == ("m", line_of(xml, 'id="m"'))


def test_a_duration_in_time_date_runs_as_a_duration() -> None:
    # HistoricActivityInstanceTest.startEventTypesForEventSubprocess: timeDate PT10M
    xml = document(
        S + '\n<bpmn:userTask id="t"/>\n<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '\n<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition>'
        "<bpmn:timeDate>PT10M</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )
    result = compile_text(xml)
    assert result.ok, result.diagnostics
    assert "timer-date-is-duration" in _codes(xml, Severity.WARNING)
    node = result.definitions[0].nodes["b"]
    assert isinstance(node, BoundaryEvent) and isinstance(node.event, TimerEventDefinition)
    assert (node.event.timer, node.event.value.source) == ("duration", "PT10M")


def test_two_interrupting_event_sub_processes_on_one_signal_are_refused() -> None:
    # SignalEventParseInvalidProcessTest: ...MultipleInterruptingSignalEventSubProcesses
    esp = (
        '<bpmn:subProcess id="esp{n}" triggeredByEvent="true">\n'
        '<bpmn:startEvent id="es{n}" isInterrupting="{interrupting}"><bpmn:signalEventDefinition '
        'signalRef="A"/></bpmn:startEvent><bpmn:endEvent id="ee{n}"/><bpmn:sequenceFlow '
        'id="fe{n}" sourceRef="es{n}" targetRef="ee{n}"/></bpmn:subProcess>'
    )
    top = '<bpmn:signal id="A" name="alert"/>'
    both = document(
        S
        + "\n"
        + esp.format(n=1, interrupting="true")
        + "\n"
        + esp.format(n=2, interrupting="true"),
        top=top,
    )
    _error(both, "duplicate-subscription", "es2", 'id="es2"')
    # one of them non-interrupting: both fire (BPMN conformance suites rely on it)
    mixed = document(
        S
        + "\n"
        + esp.format(n=1, interrupting="false")
        + "\n"
        + esp.format(n=2, interrupting="true"),
        top=top,
    )
    assert compile_text(mixed).ok, compile_text(mixed).diagnostics
