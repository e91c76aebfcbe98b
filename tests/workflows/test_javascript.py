"""JavaScript scripts and conditions run in Baton itself (issue 21), on a real Temporal dev
server: script tasks as the ``baton.javascript`` local activity, conditions in the
workflow (``expressions/javascript.py``). Groovy and other JVM languages still park as
``script.<format>`` activities for a worker to serve.

``BATON_RECORD_HISTORIES=<tag>`` records ``javascript-<tag>.json`` from the replay case
(``prepatch`` on the code before ``semantics.JAVASCRIPT``, where the script task parked).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from expressions.javascript import ExecutionContext, run_script
from tests.conftest import Stack
from tests.support.bpmn import diagram, end, flows, start
from tests.support.driver import start as run
from tests.support.driver import until, waiting_at
from tests.test_replay import HISTORIES, _replayer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


def script(element: str, source: str, fmt: str = "javascript", extra: str = "") -> str:
    """A Camunda 7 script task (``extra``: attributes such as a result variable)."""
    attrs = f" {extra}" if extra else ""
    return (
        f'<bpmn:scriptTask id="{element}" scriptFormat="{fmt}"{attrs}>'
        f"<bpmn:script><![CDATA[{source}]]></bpmn:script></bpmn:scriptTask>"
    )


def one_script(key: str, source: str, fmt: str = "javascript", extra: str = "") -> Any:
    return diagram(
        key, start() + script("calc", source, fmt, extra) + end() + flows("s>calc", "calc>e")
    )


def ended(view: c.ProcessStateView) -> bool:
    return view.state is not c.InstanceState.ACTIVE


async def finished(handle: WorkflowHandle[Any, Any]) -> c.ProcessStateView:
    return await until(handle, ended, "the end")


async def test_script_task_sets_variables_and_its_result(stack: Stack) -> None:
    """A JS script task as Camunda 7 runs one: process variables as globals,
    ``execution.getVariable/setVariable``, the last value into ``camunda:resultVariable``;
    a replay of the run gives the same commands (the outcome is in the history)."""
    source = (
        "var total = 0;\n"
        "for (var i = 0; i < items.length; i++) { total += items[i].price; }\n"
        "execution.setVariable('count', items.length);\n"
        "execution.setVariable('who', execution.getVariable('customer').name);\n"
        "execution.setVariable('ids', [execution.getProcessInstanceId(),\n"
        "  execution.getBusinessKey(), execution.getCurrentActivityId()]);\n"
        "total * 2"
    )
    handle = await run(
        stack,
        one_script("js-vars", source, extra='camunda:resultVariable="doubled"'),
        {"items": [{"price": 1.5}, {"price": 2}], "customer": {"name": "ada"}},
    )
    view = await finished(handle)
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    assert view.variables["doubled"] == 7
    assert view.variables["count"] == 2 and view.variables["who"] == "ada"
    assert view.variables["ids"][0] == handle.id and view.variables["ids"][2] == "calc"
    assert "total" not in view.variables  # script locals stay in the script (Camunda 7)
    history = await handle.fetch_history()
    assert (await _replayer().replay_workflow(history)).replay_failure is None
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:
        (HISTORIES / f"javascript-{tag}.json").write_text(history.to_json())


async def test_recording_before_the_rule(stack: Stack) -> None:
    """The path before ``semantics.JAVASCRIPT``: the same script task parked as the
    activity ``script.javascript`` for a worker. Only records (``prepatch``)."""
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag != "prepatch":
        pytest.skip("records the pre-rule fixture only")
    handle = await run(
        stack,
        one_script(
            "js-vars",
            "execution.setVariable('count', 2); 7",
            extra='camunda:resultVariable="doubled"',
        ),
        {"items": []},
    )
    await until(handle, lambda v: "calc" in waiting_at(v), "the parked script task")
    await handle.cancel()
    await finished(handle)
    history = await handle.fetch_history()
    assert (await _replayer().replay_workflow(history)).replay_failure is None
    (HISTORIES / "javascript-prepatch.json").write_text(history.to_json())


def gateway(language: str = "javascript") -> Any:
    """An exclusive gateway whose flows have JavaScript conditions (Camunda 7's
    ``language`` attribute); the default flow is taken when neither holds."""

    def flow(target: str, condition: str | None) -> str:
        cond = (
            f'<bpmn:conditionExpression language="{language}"><![CDATA[{condition}]]>'
            "</bpmn:conditionExpression>"
            if condition
            else ""
        )
        return (
            f'<bpmn:sequenceFlow id="to_{target}" sourceRef="g" targetRef="{target}">'
            f"{cond}</bpmn:sequenceFlow>"
        )

    return diagram(
        "js-route",
        start()
        + '<bpmn:exclusiveGateway id="g" default="to_small"/>'
        + '<bpmn:endEvent id="big"/><bpmn:endEvent id="vip"/><bpmn:endEvent id="small"/>'
        + flows("s>g")
        + flow("vip", "execution.getVariable('customer').tier === 'gold' && amount > 10")
        + flow("big", "amount > 100")
        + flow("small", None),
    )


@pytest.mark.parametrize(
    ("amount", "tier", "taken"),
    [(150, "silver", "big"), (50, "gold", "vip"), (5, "gold", "small")],
)
async def test_javascript_conditions_choose_the_path(
    stack: Stack, amount: int, tier: str, taken: str
) -> None:
    handle = await run(stack, gateway(), {"amount": amount, "customer": {"tier": tier}})
    view = await finished(handle)
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    assert {e for e in ("big", "vip", "small") if view.counts.completed.get(e)} == {taken}


async def test_determinism_date_is_workflow_time_and_random_is_seeded(stack: Stack) -> None:
    source = (
        "execution.setVariable('r', [Math.random(), Math.random()]);"
        "execution.setVariable('now', Date.now());"
        "new Date().toISOString()"
    )
    before = dt.datetime.now(dt.UTC)
    handle = await run(stack, one_script("js-clock", source, extra='camunda:resultVariable="iso"'))
    view = await finished(handle)
    assert view.state is c.InstanceState.COMPLETED, view.incidents
    when = dt.datetime.fromtimestamp(view.variables["now"] / 1000, dt.UTC)
    assert view.variables["iso"] == when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert before - dt.timedelta(seconds=5) < when < dt.datetime.now(dt.UTC)
    # the same instance and element draw the same numbers, wherever the script runs
    expected = run_script(
        "[Math.random(), Math.random()]",
        {},
        now=when,
        execution=ExecutionContext(process_instance_id=handle.id, current_activity_id="calc"),
    ).value
    assert view.variables["r"] == expected
    history = await handle.fetch_history()
    assert (await _replayer().replay_workflow(history)).replay_failure is None


def failed_workflow_tasks(events: list[Any]) -> int:
    return sum(1 for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("while (true) {}", "ran past its bound of 1 s of CPU time"),
        ("var a = []; for (;;) a.push({n: a.length, s: 'x' + a.length})", "MB of memory"),
    ],
    ids=["endless-loop", "memory-bomb"],
)
async def test_a_runaway_script_becomes_an_incident(
    stack: Stack, source: str, message: str
) -> None:
    """Stopped at its bound: one incident that says which, the instance waiting there
    (not a workflow task failing over and over)."""
    handle = await run(stack, one_script("js-runaway", source))
    view = await until(handle, lambda v: bool(v.incidents), "the incident", timeout=30)
    [incident] = view.incidents
    assert incident.element_id == "calc" and message in incident.message
    assert incident.message.startswith("script task 'calc': the script ")
    assert view.state is c.InstanceState.INCIDENT
    history = await handle.fetch_history()
    assert failed_workflow_tasks(list(history.events)) == 0


async def test_a_runaway_condition_becomes_an_incident(stack: Stack) -> None:
    """A condition runs in the workflow, bounded by a fixed 0.5 s: an incident too."""
    name, xml = gateway()
    looping = (name, xml.replace(b"amount > 100", b"(function () { for (;;) {} })()"))
    handle = await run(stack, looping, {"amount": 1, "customer": {"tier": "none"}})
    view = await until(handle, lambda v: bool(v.incidents), "the incident", timeout=30)
    assert "0.5 s of CPU time" in view.incidents[0].message
    history = await handle.fetch_history()
    assert failed_workflow_tasks(list(history.events)) == 0


async def test_a_script_error_is_an_incident(stack: Stack) -> None:
    handle = await run(stack, one_script("js-throws", "missing.field"))
    view = await until(handle, lambda v: bool(v.incidents), "the incident")
    assert "ReferenceError: missing is not defined" in view.incidents[0].message


async def test_groovy_still_parks_for_a_worker(stack: Stack) -> None:
    handle = await run(stack, one_script("groovy", "x = 1", fmt="groovy"))
    await until(handle, lambda v: "calc" in waiting_at(v), "the parked script task")
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "script.groovy" in scheduled and "baton.javascript" not in scheduled
    await handle.cancel()
