"""Token semantics of the interpreter: joins, scopes, timers, messages, signals, errors,
terminate, event-based gateways and links, on a real worker and dev server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowUpdateFailedError

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows, timer, user
from tests.support.driver import Baton, complete, open_tasks, start, state, until, waiting_at
from tests.workflows.diagrams import (
    bean_calls,
    empty_ad_hoc,
    esp_compensation,
    esp_rethrow,
    gateway_sink,
    standard_loop,
    uncaught_throws,
)

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_parallel_fork_and_join(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "parallel",
            '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
            + user("a")
            + user("b")
            + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="e"/>'
            + flows("s>fork", "fork>a", "fork>b", "a>join", "b>join", "join>e"),
        ),
    )
    view = await until(handle, lambda v: set(open_tasks(v)) == {"a", "b"}, "both branches")
    await complete(handle, "a")
    view = await until(handle, lambda v: "join" in waiting_at(v), "a token waiting at the join")
    assert view.state is c.InstanceState.ACTIVE
    await complete(handle, "b")
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    counts = (await state(handle)).counts
    assert counts.entered["join"] == 2
    assert counts.completed["join"] == 1 and counts.merged["join"] == 1
    assert counts.completed["e"] == 1


async def test_inclusive_fork_and_join_wait_only_for_taken_branches(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "inclusive",
            '<bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="fork" default="f_fork_c"/>'
            + user("a")
            + user("b")
            + user("c")
            + '<bpmn:inclusiveGateway id="join"/><bpmn:endEvent id="e"/>'
            + flows(
                "s>fork",
                "fork>a:=x > 1",
                "fork>b:=x > 2",
                "fork>c",
                "a>join",
                "b>join",
                "c>join",
                "join>e",
            ),
        ),
        {"x": 5},
    )
    await until(handle, lambda v: set(open_tasks(v)) == {"a", "b"}, "a and b, not the default")
    await complete(handle, "b")
    await until(handle, lambda v: "join" in waiting_at(v), "b waits at the join")
    await complete(handle, "a")
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    counts = (await state(handle)).counts
    assert counts.entered.get("c", 0) == 0
    assert (counts.entered["join"], counts.completed["join"], counts.merged["join"]) == (2, 1, 1)


async def test_embedded_sub_process_scope(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "subproc",
            '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
            + user("inner")
            + '<bpmn:endEvent id="se"/>'
            + flows("ss>inner", "inner>se")
            + '</bpmn:subProcess><bpmn:endEvent id="e"/>'
            + flows("s>sub", "sub>e"),
        ),
    )
    view = await until(handle, lambda v: "inner" in open_tasks(v), "the inner task")
    assert waiting_at(view) == {"sub", "inner"}
    await complete(handle, "inner")
    await handle.result()
    counts = (await state(handle)).counts
    assert counts.completed["sub"] == 1 and counts.completed["se"] == 1


async def test_timer_catch_event(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "timer",
            '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait">'
            + timer("duration", "PT1S")
            + '</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
            + flows("s>wait", "wait>e"),
        ),
    )
    # polled: a query can land while the first workflow task still loads the definition
    await until(
        handle,
        lambda v: "wait" in waiting_at(v) or v.state is c.InstanceState.COMPLETED,
        "the timer wait",
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED


async def test_interrupting_timer_boundary_cancels_the_task(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "escalate",
            '<bpmn:startEvent id="s"/>'
            + user("review")
            + '<bpmn:boundaryEvent id="late" attachedToRef="review">'
            + timer("duration", "PT1S")
            + '</bpmn:boundaryEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="escalated"/>'
            + flows("s>review", "review>done", "late>escalated"),
        ),
    )
    await handle.result()
    view = await state(handle)
    assert view.counts.cancelled["review"] == 1
    assert view.counts.completed["escalated"] == 1
    assert view.counts.entered.get("done", 0) == 0
    [task] = view.tasks
    assert task.state is c.TaskState.CANCELED


async def test_non_interrupting_cycle_boundary_fires_twice(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "reminders",
            '<bpmn:startEvent id="s"/>'
            + user("review")
            + '<bpmn:boundaryEvent id="remind" attachedToRef="review" cancelActivity="false">'
            + timer("cycle", "R2/PT1S")
            + '</bpmn:boundaryEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="reminded"/>'
            + flows("s>review", "review>done", "remind>reminded"),
        ),
    )
    await until(handle, lambda v: v.counts.completed.get("reminded", 0) == 2, "two reminders", 20)
    await complete(handle, "review")
    await handle.result()
    view = await state(handle)
    assert view.counts.completed["remind"] == 2 and view.counts.completed["done"] == 1


async def test_message_catch_with_correlation_key(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "paid",
            '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait">'
            '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>'
            '<bpmn:endEvent id="e"/>' + flows("s>wait", "wait>e"),
            top='<bpmn:message id="m" name="payment-received"><bpmn:extensionElements>'
            '<zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements></bpmn:message>',
        ),
        {"orderId": "A-1"},
    )
    await until(handle, lambda v: "payment-received" in v.waiting_messages, "the subscription")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            c.CORRELATE_MESSAGE,
            c.DeliverMessage(name="payment-received", correlation_key="B-2"),
            result_type=c.MessageCorrelated,
        )
    correlated = await handle.execute_update(
        c.CORRELATE_MESSAGE,
        c.DeliverMessage(name="payment-received", correlation_key="A-1", variables={"amount": 10}),
        result_type=c.MessageCorrelated,
    )
    assert correlated.element_id == "wait"
    result = await handle.result()
    assert result.variables["amount"] == 10


async def test_message_sent_early_is_buffered(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "buffered",
            '<bpmn:startEvent id="s"/>'
            + user("first")
            + '<bpmn:receiveTask id="wait" messageRef="m"/><bpmn:endEvent id="e"/>'
            + flows("s>first", "first>wait", "wait>e"),
            top='<bpmn:message id="m" name="docs-arrived"/>',
        ),
    )
    await handle.signal(c.DELIVER_MESSAGE, c.DeliverMessage(name="docs-arrived", message_id="x1"))
    await handle.signal(c.DELIVER_MESSAGE, c.DeliverMessage(name="docs-arrived", message_id="x1"))
    await complete(handle, "first")
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED


async def test_signal_and_message_boundary(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "cancelled",
            '<bpmn:startEvent id="s"/>'
            + user("work")
            + '<bpmn:boundaryEvent id="stop" attachedToRef="work">'
            '<bpmn:signalEventDefinition signalRef="sig"/></bpmn:boundaryEvent>'
            '<bpmn:endEvent id="done"/><bpmn:endEvent id="stopped"/>'
            + flows("s>work", "work>done", "stop>stopped"),
            top='<bpmn:signal id="sig" name="shutdown"/>',
        ),
    )
    await until(handle, lambda v: "work" in open_tasks(v), "the task")
    await handle.signal(c.DELIVER_SIGNAL, c.DeliverSignal(name="shutdown"))
    await handle.result()
    counts = (await state(handle)).counts
    assert counts.completed["stopped"] == 1 and counts.cancelled["work"] == 1


async def test_error_end_event_caught_on_the_sub_process(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "errors",
            '<bpmn:startEvent id="s"/><bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
            '<bpmn:parallelGateway id="fork"/>'
            + user("slow")
            + '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
            + flows("ss>fork", "fork>slow", "fork>fail")
            + '</bpmn:subProcess><bpmn:boundaryEvent id="caught" attachedToRef="sub">'
            '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
            '<bpmn:endEvent id="ok"/><bpmn:endEvent id="handled"/>'
            + flows("s>sub", "sub>ok", "caught>handled"),
            top='<bpmn:error id="err" errorCode="REJECTED"/>',
        ),
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    counts = (await state(handle)).counts
    assert counts.completed["handled"] == 1
    assert counts.cancelled["sub"] == 1 and counts.cancelled["slow"] == 1
    assert counts.entered.get("ok", 0) == 0


async def test_uncaught_error_end_and_escalation_act_as_none_events(stack: Stack) -> None:
    handle = await start(
        stack,
        uncaught_throws(),
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    view = await state(handle)
    assert view.counts.completed["escalate"] == 1 and view.counts.completed["fail"] == 1
    unhandled = [(h.type, h.element_id, h.details) for h in view.history if "UNHANDLED" in h.type]
    assert unhandled == [
        ("UNHANDLED_ESCALATION", "escalate", {"code": "LATE"}),
        ("UNHANDLED_ERROR", "fail", {"code": "BOOM"}),
    ]


async def test_error_rethrown_by_an_event_sub_process_reaches_the_boundary(stack: Stack) -> None:
    handle = await start(
        stack,
        esp_rethrow(),
    )
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    counts = view.counts
    assert counts.entered["hs"] == 1  # the event sub-process ran once, not in a loop
    assert counts.completed["handled"] == 1 and counts.entered.get("ok", 0) == 0
    assert counts.cancelled["sub"] == 1 and counts.cancelled["handler"] == 1


async def test_compensation_thrown_in_an_event_sub_process_undoes_its_host(
    stack: Stack,
) -> None:
    handle = await start(stack, esp_compensation())
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    assert view.counts.completed["undo_a"] == 1 and view.counts.completed["comp"] == 1


async def test_empty_ad_hoc_sub_process_completes(stack: Stack) -> None:
    handle = await start(stack, empty_ad_hoc())
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    assert view.counts.completed["adhoc"] == 1 and view.counts.completed["e"] == 1


async def test_gateway_without_outgoing_flows_is_an_implicit_end(stack: Stack) -> None:
    handle = await start(stack, gateway_sink())
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    assert view.counts.completed["sink"] == 1 and view.counts.completed["e"] == 1


async def test_uncaught_error_from_a_service_task_is_an_incident(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "uncaught-task",
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="check"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="test.reject"/></bpmn:extensionElements>'
            '</bpmn:serviceTask><bpmn:endEvent id="e"/>' + flows("s>check", "check>e"),
        ),
    )
    view = await until(handle, lambda v: bool(v.incidents), "an incident")
    assert view.state is c.InstanceState.INCIDENT
    assert "REJECTED" in view.incidents[0].message and view.incidents[0].element_id == "check"


async def test_terminate_end_event_cancels_other_branches(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "terminate",
            '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
            + user("pending")
            + '<bpmn:endEvent id="kill"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
            + flows("s>fork", "fork>pending", "fork>kill"),
        ),
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    view = await state(handle)
    assert view.counts.cancelled["pending"] == 1
    assert view.history[-1].details == {"terminated": True}


async def test_event_based_gateway_first_event_wins(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "race",
            '<bpmn:startEvent id="s"/><bpmn:eventBasedGateway id="g"/>'
            '<bpmn:intermediateCatchEvent id="answer"><bpmn:messageEventDefinition messageRef="m"/>'
            "</bpmn:intermediateCatchEvent>"
            '<bpmn:intermediateCatchEvent id="timeout">'
            + timer("duration", "PT1H")
            + '</bpmn:intermediateCatchEvent><bpmn:endEvent id="answered"/><bpmn:endEvent id="late"/>'
            + flows("s>g", "g>answer", "g>timeout", "answer>answered", "timeout>late"),
            top='<bpmn:message id="m" name="answer"/>',
        ),
    )
    await until(handle, lambda v: "answer" in v.waiting_messages, "the subscription")
    await handle.execute_update(
        c.CORRELATE_MESSAGE, c.DeliverMessage(name="answer"), result_type=c.MessageCorrelated
    )
    await handle.result()
    counts = (await state(handle)).counts
    assert counts.completed["answered"] == 1 and counts.entered.get("late", 0) == 0


async def test_links_script_and_mappings(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "links",
            '<bpmn:startEvent id="s"/>'
            '<bpmn:scriptTask id="calc"><bpmn:extensionElements><zeebe:script expression="= a * 2" '
            'resultVariable="doubled"/></bpmn:extensionElements></bpmn:scriptTask>'
            '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L"/>'
            "</bpmn:intermediateThrowEvent>"
            '<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L"/>'
            "</bpmn:intermediateCatchEvent>"
            '<bpmn:serviceTask id="echo"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="baton.echo"/>'
            '<zeebe:taskHeaders><zeebe:header key="greeting" value="hi"/></zeebe:taskHeaders>'
            '<zeebe:ioMapping><zeebe:output source="= greeting + &quot; there&quot;" target="said"/>'
            "</zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>"
            '<bpmn:endEvent id="e"/>' + flows("s>calc", "calc>jump", "land>echo", "echo>e"),
        ),
        {"a": 21},
    )
    result = await handle.result()
    assert result.variables["doubled"] == 42
    assert result.variables["said"] == "hi there"
    assert "greeting" not in result.variables  # outputs replace the raw result


async def test_interrupting_message_event_sub_process(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "esp",
            '<bpmn:startEvent id="s"/>'
            + user("work")
            + '<bpmn:endEvent id="e"/>'
            + flows("s>work", "work>e")
            + '<bpmn:subProcess id="cancel" triggeredByEvent="true">'
            '<bpmn:startEvent id="cs"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
            + user("cleanup")
            + '<bpmn:endEvent id="ce"/>'
            + flows("cs>cleanup", "cleanup>ce")
            + "</bpmn:subProcess>",
            top='<bpmn:message id="m" name="order-cancelled"/>',
        ),
    )
    await until(handle, lambda v: "work" in open_tasks(v), "the work task")
    await handle.execute_update(
        c.CORRELATE_MESSAGE,
        c.DeliverMessage(name="order-cancelled"),
        result_type=c.MessageCorrelated,
    )
    view = await until(handle, lambda v: "cleanup" in open_tasks(v), "the cleanup task")
    assert "work" not in open_tasks(view)
    await complete(handle, "cleanup")
    await handle.result()
    counts = (await state(handle)).counts
    assert counts.cancelled["work"] == 1 and counts.completed["cancel"] == 1
    assert counts.entered.get("e", 0) == 0


async def test_non_interrupting_timer_event_sub_process_and_error_event_sub_process(
    stack: Stack,
) -> None:
    handle = await start(
        stack,
        diagram(
            "esp2",
            '<bpmn:startEvent id="s"/>'
            + user("work")
            + '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
            + flows("s>work", "work>fail")
            + '<bpmn:subProcess id="remind" triggeredByEvent="true">'
            '<bpmn:startEvent id="rs" isInterrupting="false">'
            + timer("duration", "PT1S")
            + '</bpmn:startEvent><bpmn:endEvent id="re"/>'
            + flows("rs>re")
            + '</bpmn:subProcess><bpmn:subProcess id="recover" triggeredByEvent="true">'
            '<bpmn:startEvent id="es"><bpmn:errorEventDefinition errorRef="err" '
            'camunda:errorCodeVariable="why"/></bpmn:startEvent><bpmn:endEvent id="ee"/>'
            + flows("es>ee")
            + "</bpmn:subProcess>",
            top='<bpmn:error id="err" errorCode="NOPE"/>',
        ),
    )
    await until(handle, lambda v: v.counts.completed.get("remind", 0) == 1, "the reminder ran")
    assert "work" in open_tasks(await state(handle))
    await complete(handle, "work")
    result = await handle.result()
    assert result.variables["why"] == "NOPE"
    counts = (await state(handle)).counts
    assert counts.completed["recover"] == 1


async def test_cycle_without_wait_state_is_an_incident(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "spin",
            '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/><bpmn:task id="t"/>'
            + flows("s>g", "g>t", "t>g"),
        ),
    )
    view = await until(handle, lambda v: bool(v.incidents), "an incident")
    assert "never waits" in view.incidents[0].message


async def test_parallel_multi_instance_user_tasks_with_output_collection(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "mi",
            '<bpmn:startEvent id="s"/><bpmn:userTask id="vote" camunda:assignee="${voter}">'
            "<bpmn:multiInstanceLoopCharacteristics>"
            '<bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="= voters" '
            'inputElement="voter" outputCollection="votes" outputElement="= approved"/>'
            "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
            '<bpmn:endEvent id="e"/>' + flows("s>vote", "vote>e"),
        ),
        {"voters": ["ann", "bob", "cy"]},
    )
    view = await until(handle, lambda v: len(v.tasks) == 3, "three vote tasks")
    assert sorted(t.assignee or "" for t in view.tasks) == ["ann", "bob", "cy"]
    for task in view.tasks:
        await handle.execute_update(
            c.COMPLETE_USER_TASK,
            c.CompleteUserTask(task_id=task.id, variables={"approved": task.assignee != "bob"}),
            result_type=c.UserTaskCompleted,
        )
    result = await handle.result()
    assert sorted(result.variables["votes"]) == [False, True, True]


async def test_sequential_multi_instance_with_completion_condition(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "seq",
            '<bpmn:startEvent id="s"/><bpmn:scriptTask id="add" scriptFormat="juel" '
            'camunda:resultVariable="sum"><bpmn:multiInstanceLoopCharacteristics isSequential="true">'
            "<bpmn:loopCardinality>${10}</bpmn:loopCardinality>"
            "<bpmn:completionCondition>${nrOfCompletedInstances == 4}</bpmn:completionCondition>"
            "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>${sum + loopCounter}</bpmn:script>"
            '</bpmn:scriptTask><bpmn:endEvent id="e"/>' + flows("s>add", "add>e"),
        ),
        {"sum": 0},
    )
    result = await handle.result()
    assert result.variables["sum"] == 1 + 2 + 3 + 4


async def test_call_activity_runs_a_child_instance(stack: Stack) -> None:

    child = diagram(
        "child",
        '<bpmn:startEvent id="cs"/>'
        + user("check", "${inspector}")
        + '<bpmn:endEvent id="ce"/>'
        + flows("cs>check", "check>ce"),
    )
    await Baton(stack).deploy(child)
    handle = await start(
        stack,
        diagram(
            "parent",
            '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="child">'
            '<bpmn:extensionElements><camunda:in source="who" target="inspector"/>'
            '<camunda:out source="verdict" target="result"/></bpmn:extensionElements>'
            '</bpmn:callActivity><bpmn:endEvent id="e"/>' + flows("s>call", "call>e"),
        ),
        {"who": "mary", "secret": 1},
    )

    async def child_task() -> c.UserTaskView | None:
        r = await stack.http.get("/v1/bpms/tasks", params={"assignee": "mary"})
        items = r.json()["items"]
        return items[0] if items else None

    from tests.support.http import eventually

    task = await eventually(child_task, what="the child's task")
    assert task["processDefinitionKey"] == "child"
    done = await stack.http.post(
        f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"verdict": "ok"}}
    )
    assert done.status_code == 200
    result = await handle.result()
    assert result.variables["result"] == "ok"
    assert "inspector" not in result.variables  # Camunda 7: only mapped variables come back


async def test_compensation_runs_handlers_of_completed_activities(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "undo",
            '<bpmn:startEvent id="s"/>'
            '<bpmn:scriptTask id="book"><bpmn:extensionElements><zeebe:script expression="= &quot;booked&quot;" '
            'resultVariable="hotel"/></bpmn:extensionElements></bpmn:scriptTask>'
            '<bpmn:boundaryEvent id="undoBook" attachedToRef="book"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>'
            '<bpmn:scriptTask id="cancelBooking" isForCompensation="true"><bpmn:extensionElements>'
            '<zeebe:script expression="= &quot;cancelled&quot;" resultVariable="hotel"/></bpmn:extensionElements></bpmn:scriptTask>'
            '<bpmn:association id="a" sourceRef="undoBook" targetRef="cancelBooking"/>'
            '<bpmn:endEvent id="undoAll"><bpmn:compensateEventDefinition/></bpmn:endEvent>'
            + flows("s>book", "book>undoAll"),
        ),
    )
    result = await handle.result()
    assert result.variables["hotel"] == "cancelled"
    counts = (await state(handle)).counts
    assert counts.completed["cancelBooking"] == 1 and counts.completed["undoAll"] == 1


async def test_conditional_catch_waits_for_its_condition(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "conditional",
            '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="ready">'
            "<bpmn:conditionalEventDefinition><bpmn:condition>= stock &gt; 10</bpmn:condition>"
            '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>'
            + flows("s>ready", "ready>e"),
        ),
        {"stock": 3},
    )
    await until(handle, lambda v: "ready" in waiting_at(v), "the conditional wait")
    await handle.execute_update(c.SET_VARIABLES, c.SetVariables(variables={"stock": 5}))
    assert "ready" in waiting_at(await state(handle))
    await handle.execute_update(c.SET_VARIABLES, c.SetVariables(variables={"stock": 12}))
    result = await handle.result()
    assert result.variables["stock"] == 12


async def test_claim_unclaim_assign_rules(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "claims",
            '<bpmn:startEvent id="s"/><bpmn:userTask id="t" camunda:candidateGroups="sales"/>'
            '<bpmn:endEvent id="e"/>' + flows("s>t", "t>e"),
        ),
    )
    view = await until(handle, lambda v: "t" in open_tasks(v), "the task")
    tid = open_tasks(view)["t"].id
    outsider = c.TaskCommand(task_id=tid, user_id="eve", groups=["support"])
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(c.CLAIM_TASK, outsider, result_type=c.UserTaskView)
    claimed = await handle.execute_update(
        c.CLAIM_TASK,
        c.TaskCommand(task_id=tid, user_id="ann", groups=["sales"]),
        result_type=c.UserTaskView,
    )
    assert claimed.assignee == "ann" and claimed.state is c.TaskState.ASSIGNED
    with pytest.raises(WorkflowUpdateFailedError):  # already claimed by ann
        await handle.execute_update(
            c.CLAIM_TASK,
            c.TaskCommand(task_id=tid, user_id="bob", groups=["sales"]),
            result_type=c.UserTaskView,
        )
    with pytest.raises(WorkflowUpdateFailedError):  # only ann may complete now
        await handle.execute_update(
            c.COMPLETE_USER_TASK,
            c.CompleteUserTask(task_id=tid, user_id="bob", groups=["sales"]),
            result_type=c.UserTaskCompleted,
        )
    await handle.execute_update(
        c.UNCLAIM_TASK, c.TaskCommand(task_id=tid, user_id="ann"), result_type=c.UserTaskView
    )
    await handle.execute_update(
        c.ASSIGN_TASK,
        c.TaskCommand(task_id=tid, admin=True, user_id="boss", assignee="bob"),
        result_type=c.UserTaskView,
    )
    await handle.execute_update(
        c.COMPLETE_USER_TASK,
        c.CompleteUserTask(task_id=tid, user_id="bob"),
        result_type=c.UserTaskCompleted,
    )
    await handle.result()
    kinds = [h.type for h in (await state(handle)).history if h.type.startswith("TASK_")]
    assert kinds == [
        "TASK_CREATED",
        "TASK_CLAIMED",
        "TASK_UNCLAIMED",
        "TASK_ASSIGNED",
        "TASK_COMPLETED",
    ]


async def test_standard_loop_runs_while_its_condition_holds(stack: Stack) -> None:
    handle = await start(stack, standard_loop(), {"count": 0})
    result = await handle.result()
    assert result.variables["count"] == 3
    view = await state(handle)
    assert view.counts.entered["add"] == 1 and view.counts.completed["add"] == 1
    assert "loopCounter" not in result.variables


async def test_standard_loop_with_test_before_and_maximum(stack: Stack) -> None:
    """``testBefore``: a condition false at once means no run; ``loopMaximum`` bounds a
    loop whose condition stays true; each run of a user task is a new task."""
    body = (
        '<bpmn:startEvent id="s"/><bpmn:userTask id="review" camunda:assignee="john">'
        '<bpmn:standardLoopCharacteristics testBefore="true" loopMaximum="2">'
        "<bpmn:loopCondition>${again}</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
        '</bpmn:userTask><bpmn:endEvent id="e"/>' + flows("s>review", "review>e")
    )
    skipped = await start(stack, diagram("loop-skip", body), {"again": False})
    assert (await skipped.result()).state is c.InstanceState.COMPLETED
    assert not (await state(skipped)).tasks
    handle = await start(stack, diagram("loop-max", body), {"again": True})
    await complete(handle, "review")
    view = await until(handle, lambda v: len(v.tasks) == 2, "the second run's task")
    assert view.tasks[0].id != view.tasks[1].id
    await complete(handle, "review")
    assert (await handle.result()).state is c.InstanceState.COMPLETED
    assert [e.type for e in (await state(handle)).history].count("TASK_CREATED") == 2


async def test_standard_loop_without_condition_or_maximum_is_an_incident(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "loop-forever",
            '<bpmn:startEvent id="s"/><bpmn:task id="t"><bpmn:standardLoopCharacteristics/>'
            '</bpmn:task><bpmn:endEvent id="e"/>' + flows("s>t", "t>e"),
        ),
    )
    view = await until(handle, lambda v: bool(v.incidents), "an incident")
    assert "neither a condition nor a maximum" in view.incidents[0].message


async def test_user_task_due_dates(stack: Stack) -> None:
    handle = await start(
        stack,
        diagram(
            "due",
            '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
            '<bpmn:userTask id="soon" camunda:dueDate="P2D"/>'
            '<bpmn:userTask id="fixed" camunda:dueDate="${deadline}"/>'
            + flows("s>fork", "fork>soon", "fork>fixed"),
        ),
        {"deadline": "2030-01-31T12:00:00Z"},
    )
    view = await until(handle, lambda v: len(open_tasks(v)) == 2, "both tasks")
    tasks = open_tasks(view)
    soon = tasks["soon"]
    assert soon.due is not None and soon.due - soon.created == timedelta(days=2)
    assert tasks["fixed"].due == datetime(2030, 1, 31, 12, tzinfo=UTC)


async def test_spring_bean_calls_run_as_activities(stack: Stack) -> None:
    """``${greeter.shout(name)}`` and an assignee ``#{people.pick(team)}``: ``greeter``
    and ``people`` are no variables, so Baton calls ``bean:greeter.shout`` and
    ``bean:people.pick`` with the evaluated arguments."""
    handle = await start(stack, bean_calls(), {"name": "ada", "team": ["mary", "john"]})
    view = await until(handle, lambda v: "check" in open_tasks(v), "the check task")
    assert view.variables["loud"] == "ADA"
    assert open_tasks(view)["check"].assignee == "mary"
    await complete(handle, "check")
    assert (await handle.result()).state is c.InstanceState.COMPLETED
