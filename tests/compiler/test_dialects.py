"""Camunda 7 and Zeebe extension attributes, one by one."""

from __future__ import annotations

from bpmn_compiler.ir import (
    CallActivity,
    Expression,
    ListValue,
    Mapping,
    MapValue,
    MultiInstance,
    Script,
    ScriptTask,
    ServiceTask,
    StartEvent,
    UserTask,
)
from tests.compiler.helpers import one
from tests.conftest import EXAMPLES
from tests.support.bpmn import document


def juel(s: str) -> Expression:
    return Expression(language="juel", source=s)


def feel(s: str) -> Expression:
    return Expression(language="feel", source=s)


def lit(s: str) -> Expression:
    return Expression(language="literal", source=s)


def _task(body: str, node_id: str = "t") -> object:
    d = one(
        document(
            '<bpmn:startEvent id="s"/>'
            + body
            + f'<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="{node_id}"/>'
        )
    )
    return d.nodes[node_id]


# ------------------------------------------------------------- Camunda 7


def test_camunda_external_task_topic_and_retry_cycle() -> None:
    t = _task(
        '<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="charge" '
        'camunda:asyncBefore="true" camunda:asyncAfter="true">'
        "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R5/PT2M"
        "</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:serviceTask>"
    )
    assert isinstance(t, ServiceTask)
    impl = t.implementation
    assert (impl.kind, impl.task_type, impl.external, impl.retries, impl.retry_backoff) == (
        "activity",
        "charge",
        True,
        5,
        "PT2M",
    )
    assert t.async_before and t.async_after


def test_camunda_class_delegate_expression_and_expression() -> None:
    cls = _task('<bpmn:serviceTask id="t" camunda:class="org.acme.Charge"/>')
    assert isinstance(cls, ServiceTask) and cls.implementation.task_type == "org.acme.Charge"
    assert cls.implementation.retries == 3
    delegate = _task('<bpmn:serviceTask id="t" camunda:delegateExpression="${chargeCard}"/>')
    assert isinstance(delegate, ServiceTask)
    assert delegate.implementation.task_type == "chargeCard"
    expr = _task(
        '<bpmn:serviceTask id="t" camunda:expression="${a + b}" camunda:resultVariable="sum"/>'
    )
    assert isinstance(expr, ServiceTask)
    assert expr.implementation.kind == "expression"
    assert expr.implementation.expression == juel("${a + b}")
    assert expr.implementation.result_variable == "sum"


def test_camunda_connector_with_its_own_mappings() -> None:
    t = _task(
        '<bpmn:serviceTask id="t"><bpmn:extensionElements><camunda:connector>'
        '<camunda:inputOutput><camunda:inputParameter name="url">http://x</camunda:inputParameter>'
        "</camunda:inputOutput><camunda:connectorId>http-connector</camunda:connectorId>"
        "</camunda:connector></bpmn:extensionElements></bpmn:serviceTask>"
    )
    assert isinstance(t, ServiceTask)
    assert t.implementation.task_type == "connector.http-connector"
    assert t.implementation.inputs == [Mapping(target="url", source=lit("http://x"))]


def test_camunda_input_output_values_lists_maps_scripts() -> None:
    t = _task(
        """<bpmn:task id="t"><bpmn:extensionElements><camunda:inputOutput>
<camunda:inputParameter name="plain">hello</camunda:inputParameter>
<camunda:inputParameter name="expr">${amount * 2}</camunda:inputParameter>
<camunda:inputParameter name="items"><camunda:list><camunda:value>a</camunda:value><camunda:value>${b}</camunda:value></camunda:list></camunda:inputParameter>
<camunda:inputParameter name="headers"><camunda:map><camunda:entry key="Accept">json</camunda:entry></camunda:map></camunda:inputParameter>
<camunda:inputParameter name="calc"><camunda:script scriptFormat="groovy">1 + 1</camunda:script></camunda:inputParameter>
<camunda:inputParameter name="empty"/>
<camunda:outputParameter name="result">${out}</camunda:outputParameter>
</camunda:inputOutput></bpmn:extensionElements></bpmn:task>"""
    )
    inputs = {m.target: m.source for m in t.inputs}  # type: ignore[attr-defined]
    assert inputs["plain"] == lit("hello")
    assert inputs["expr"] == juel("${amount * 2}")
    assert inputs["items"] == ListValue(items=[lit("a"), juel("${b}")])
    assert inputs["headers"] == MapValue(entries={"Accept": lit("json")})
    assert inputs["calc"] == Script(format="groovy", source="1 + 1")
    assert inputs["empty"] is None
    assert t.outputs == [Mapping(target="result", source=juel("${out}"))]  # type: ignore[attr-defined]


def test_camunda_user_task_attributes() -> None:
    t = _task(
        '<bpmn:userTask id="t" camunda:assignee="${starter}" camunda:candidateUsers="a, b" '
        'camunda:candidateGroups="${groups}" camunda:dueDate="${due}" '
        'camunda:followUpDate="2026-01-01T00:00:00Z" camunda:priority="80" '
        'camunda:formKey="embedded:app:forms/approve.html"/>'
    )
    assert isinstance(t, UserTask)
    assert t.assignee == juel("${starter}")
    assert t.candidate_users == [lit("a"), lit("b")]
    assert t.candidate_groups == [juel("${groups}")]
    assert t.due_date == juel("${due}")
    assert t.follow_up_date == lit("2026-01-01T00:00:00Z")
    assert t.priority == lit("80")
    assert t.form_key == "embedded:app:forms/approve.html"


def test_camunda_multi_instance_collection() -> None:
    t = _task(
        '<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics '
        'camunda:collection="${assigneeList}" camunda:elementVariable="assignee"/></bpmn:userTask>'
    )
    assert isinstance(t, UserTask)
    assert t.loop == MultiInstance(collection=juel("${assigneeList}"), element_variable="assignee")
    bare = _task(
        '<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics camunda:collection="users" '
        'camunda:elementVariable="u"/></bpmn:task>'
    )
    assert bare.loop.collection == juel("${users}")  # type: ignore[attr-defined]


def test_camunda_call_activity_mappings() -> None:
    t = _task(
        """<bpmn:callActivity id="t" calledElement="child" camunda:calledElementBinding="version"
 camunda:calledElementVersion="3"><bpmn:extensionElements>
<camunda:in source="a" target="x"/><camunda:in sourceExpression="${b * 2}" target="y"/>
<camunda:in businessKey="${execution.processBusinessKey}"/>
<camunda:out variables="all"/><camunda:out source="r" target="result"/>
</bpmn:extensionElements></bpmn:callActivity>"""
    )
    assert isinstance(t, CallActivity)
    assert (t.binding, t.version) == ("version", "3")
    assert t.in_mappings == [
        Mapping(target="x", source=juel("${a}")),
        Mapping(target="y", source=juel("${b * 2}")),
    ]
    assert t.business_key == juel("${execution.processBusinessKey}")
    assert t.propagate_all_child_variables and not t.propagate_all_parent_variables
    assert t.out_mappings == [Mapping(target="result", source=juel("${r}"))]


def test_camunda_listeners_and_initiator() -> None:
    d = one(
        document(
            '<bpmn:startEvent id="s" camunda:initiator="starter"/>'
            '<bpmn:userTask id="t"><bpmn:extensionElements>'
            '<camunda:taskListener event="create"><camunda:script scriptFormat="javascript">'
            "task.setAssignee('x')</camunda:script></camunda:taskListener>"
            '<camunda:executionListener event="end" delegateExpression="${audit}"/>'
            "</bpmn:extensionElements></bpmn:userTask>"
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
        )
    )
    s = d.nodes["s"]
    assert isinstance(s, StartEvent) and s.initiator == "starter"
    [task_listener, execution_listener] = sorted(
        d.nodes["t"].listeners, key=lambda x: x.scope, reverse=True
    )
    assert (task_listener.scope, task_listener.event) == ("task", "create")
    assert task_listener.implementation.task_type == "script.javascript"
    assert (execution_listener.scope, execution_listener.event) == ("execution", "end")
    assert execution_listener.implementation.task_type == "audit"


def test_camunda_decision_and_script_resource() -> None:
    rule = _task(
        '<bpmn:businessRuleTask id="t" camunda:decisionRef="approve-invoice" '
        'camunda:resultVariable="approved" camunda:mapDecisionResult="singleEntry"/>'
    )
    assert isinstance(rule, ServiceTask)
    impl = rule.implementation
    assert (impl.kind, impl.decision_ref, impl.result_variable, impl.map_decision_result) == (
        "decision",
        lit("approve-invoice"),
        "approved",
        "singleEntry",
    )
    script = _task(
        '<bpmn:scriptTask id="t" scriptFormat="groovy" camunda:resource="deployment://x.groovy"/>'
    )
    assert isinstance(script, ScriptTask)
    assert script.implementation.script == Script(format="groovy", resource="deployment://x.groovy")


def test_activiti_namespace_under_the_camunda_prefix() -> None:
    xml = document(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="t" camunda:assignee="kermit"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
    ).replace("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn")
    t = one(xml).nodes["t"]
    assert isinstance(t, UserTask) and t.assignee == lit("kermit")


# ------------------------------------------------------------------ Zeebe


def test_zeebe_job_headers_and_io_mapping() -> None:
    t = _task(
        """<bpmn:serviceTask id="t"><bpmn:extensionElements>
<zeebe:taskDefinition type="charge-card" retries="7"/>
<zeebe:taskHeaders><zeebe:header key="currency" value="EUR"/></zeebe:taskHeaders>
<zeebe:ioMapping><zeebe:input source="= order.total" target="amount"/>
<zeebe:output source="= result.id" target="paymentId"/></zeebe:ioMapping>
</bpmn:extensionElements></bpmn:serviceTask>"""
    )
    assert isinstance(t, ServiceTask)
    impl = t.implementation
    assert (impl.task_type, impl.retries, impl.headers, impl.external) == (
        "charge-card",
        7,
        {"currency": "EUR"},
        True,
    )
    assert t.inputs == [Mapping(target="amount", source=feel("order.total"))]
    assert t.outputs == [Mapping(target="paymentId", source=feel("result.id"))]


def test_zeebe_user_task() -> None:
    t = _task(
        """<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:userTask/>
<zeebe:assignmentDefinition assignee="= owner" candidateGroups="sales, support" candidateUsers="= users"/>
<zeebe:formDefinition formKey="camunda-forms:bpmn:form1"/>
<zeebe:taskSchedule dueDate="= now() + duration(&quot;P1D&quot;)" followUpDate="2026-01-01T10:00:00Z"/>
<zeebe:priorityDefinition priority="75"/>
</bpmn:extensionElements></bpmn:userTask>"""
    )
    assert isinstance(t, UserTask)
    assert t.assignee == feel("owner")
    assert t.candidate_groups == [lit("sales"), lit("support")]
    assert t.candidate_users == [feel("users")]
    assert t.form_key == "camunda-forms:bpmn:form1"
    assert t.due_date == feel('now() + duration("P1D")')
    assert t.follow_up_date == lit("2026-01-01T10:00:00Z")
    assert t.priority == lit("75")


def test_zeebe_multi_instance_called_element_script_and_decision() -> None:
    mi = _task(
        """<bpmn:task id="t"><bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>
<zeebe:loopCharacteristics inputCollection="= items" inputElement="item"
 outputCollection="results" outputElement="= item.price"/>
</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:task>"""
    )
    assert mi.loop == MultiInstance(  # type: ignore[attr-defined]
        collection=feel("items"),
        element_variable="item",
        output_collection="results",
        output_element=feel("item.price"),
    )
    call = _task(
        '<bpmn:callActivity id="t"><bpmn:extensionElements><zeebe:calledElement '
        'processId="= childId" propagateAllChildVariables="false"/></bpmn:extensionElements>'
        "</bpmn:callActivity>"
    )
    assert isinstance(call, CallActivity)
    assert call.called_element == feel("childId")
    assert not call.propagate_all_child_variables and call.propagate_all_parent_variables
    script = _task(
        '<bpmn:scriptTask id="t"><bpmn:extensionElements><zeebe:script expression="= a + b" '
        'resultVariable="sum"/></bpmn:extensionElements></bpmn:scriptTask>'
    )
    assert isinstance(script, ScriptTask)
    assert script.implementation.expression == feel("a + b")
    assert script.implementation.result_variable == "sum"
    rule = _task(
        '<bpmn:businessRuleTask id="t"><bpmn:extensionElements><zeebe:calledDecision '
        'decisionId="risk" resultVariable="risk"/></bpmn:extensionElements></bpmn:businessRuleTask>'
    )
    assert isinstance(rule, ServiceTask)
    assert (rule.implementation.kind, rule.implementation.decision_ref) == ("decision", lit("risk"))


def test_both_dialects_in_one_file() -> None:
    d = one(
        document(
            '<bpmn:startEvent id="s"/>'
            '<bpmn:serviceTask id="z"><bpmn:extensionElements><zeebe:taskDefinition type="a"/>'
            "</bpmn:extensionElements></bpmn:serviceTask>"
            '<bpmn:serviceTask id="c" camunda:type="external" camunda:topic="b"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="z"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="z" targetRef="c"/>'
        )
    )
    types = {n: d.nodes[n].implementation.task_type for n in ("z", "c")}  # type: ignore[union-attr]
    assert types == {"z": "a", "c": "b"}


def test_example_files() -> None:
    from bpmn_compiler import compile_or_raise

    [camunda] = compile_or_raise((EXAMPLES / "invoice-approval.bpmn").read_bytes())
    task = camunda.nodes["Task_register"]
    assert isinstance(task, ServiceTask)
    assert task.implementation.headers == {"registered": "yes"}
    [zeebe] = compile_or_raise((EXAMPLES / "order-review-zeebe.bpmn").read_bytes())
    review = zeebe.nodes["Task_review"]
    assert isinstance(review, UserTask) and review.form_key == "order-review-form"
