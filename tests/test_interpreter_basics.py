"""Interpreter behaviour the skeleton already has: incidents, SDK signals, read-model order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowExecutionStatus

from store import projections, queries
from tests.conftest import BPMN_DIR, EXAMPLES, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually


async def test_exhausted_retries_park_an_incident_until_retried(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    instance_id = await Baton(stack).start("flaky-service", {})

    async def incident() -> dict[str, Any] | None:
        body = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
        return body if body["state"] == "INCIDENT" else None

    body = await eventually(incident, what="an incident", timeout=30)
    [inc] = body["incidents"]
    assert inc["activityId"] == "callBackend"
    assert inc["state"] == "OPEN"
    assert "failed after 2 attempts" in inc["message"]
    assert "backend down" in inc["message"]
    assert [a["activityId"] for a in body["currentActivities"]] == ["callBackend"]
    handle = stack.client.get_workflow_handle(instance_id)

    async def flagged() -> dict[str, Any] | None:
        # search attributes follow the in-memory state within a workflow task
        desc = await handle.describe()
        assert desc.status == WorkflowExecutionStatus.RUNNING
        attrs = {k.name: v for k, v in desc.typed_search_attributes}  # type: ignore[attr-defined]
        return attrs if attrs.get("BpmnIncident") else None

    attrs = await eventually(flagged, what="BpmnIncident=true")
    assert attrs["BpmnState"] == "INCIDENT"
    assert attrs["BpmnActiveElements"] == ["callBackend"]

    # the operator fixes the backend (here: a variable) and retries with one attempt
    await handle.execute_update(
        c.RETRY_INCIDENT,
        c.RetryIncident(incident_id=inc["id"], variables={"backendUp": True}, attempts=1),
    )
    typed = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)
    result = await typed.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables == {"backendUp": True, "backendCalls": 1}
    final = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
    assert final["incidents"][0]["state"] == "RESOLVED"

    async def resolved_row() -> list[Any] | None:
        rows = await queries.list_incidents(stack.store, instance_id=instance_id)
        return rows if rows and rows[0].resolved else None

    [row] = await eventually(resolved_row, what="the incident row resolved")
    assert (row.id, row.element_id, row.definition_key) == (
        inc["id"],
        "callBackend",
        "flaky-service",
    )
    assert "backend down" in row.message
    assert await queries.list_incidents(stack.store, open_only=True) == []


async def test_plain_sdk_signal_completes_a_task(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    instance_id = await Baton(stack).start("invoice-approval", {"approver": "john"})
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)

    async def task_id() -> str | None:
        view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
        return view.tasks[0].id if view.tasks else None

    tid = await eventually(task_id, what="task")
    # a wrong id by signal is ignored, not fatal
    await handle.signal(c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id="nope"))
    await handle.signal(
        c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id=tid, variables={"viaSignal": True})
    )
    result = await handle.result()
    assert result.variables["viaSignal"] is True


def _task_row(revision: int, state: c.TaskState) -> c.TaskRow:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return c.TaskRow(
        id="task-1",
        process_instance_id="pi-1",
        definition_key="k",
        business_key=None,
        element_id="T",
        name="T",
        state=state,
        assignee="john",
        candidate_users=[],
        candidate_groups=[],
        form_key=None,
        priority=50,
        due=None,
        created=now,
        ended=now + timedelta(minutes=1) if state is c.TaskState.COMPLETED else None,
        revision=revision,
    )


async def test_projection_never_moves_backwards(stack: Stack) -> None:
    store = stack.store
    await projections.apply(store, c.ProjectionBatch(tasks=[_task_row(5, c.TaskState.COMPLETED)]))
    # a replayed, older batch arrives late
    await projections.apply(store, c.ProjectionBatch(tasks=[_task_row(3, c.TaskState.ASSIGNED)]))
    row = await queries.get_task(store, "task-1")
    assert row is not None and (row.state, row.revision) == ("COMPLETED", 5)
    # the same batch twice is harmless
    await projections.apply(store, c.ProjectionBatch(tasks=[_task_row(5, c.TaskState.COMPLETED)]))
    row = await queries.get_task(store, "task-1")
    assert row is not None and row.revision == 5


@pytest.mark.parametrize(
    ("file", "key", "big", "small"),
    [
        (
            "routing-feel.bpmn",
            "routing-feel",
            {"items": [{"price": 80}, {"price": 40}], "owner": {"name": "mary"}},
            {"items": [{"price": 80}], "owner": {"name": "mary"}},
        ),
        (
            "routing-juel.bpmn",
            "routing-juel",
            {"total": 120, "owner": {"name": "mary"}},
            {"total": 80, "owner": {"name": "mary"}},
        ),
    ],
)
async def test_gateway_conditions_in_feel_and_juel(
    stack: Stack, file: str, key: str, big: dict[str, Any], small: dict[str, Any]
) -> None:
    """Conditions run in the sandboxed workflow: FEEL with a zoned date-time and now(),
    JUEL with execution.getVariable; the default flow takes the rest."""
    await deploy(stack.http, BPMN_DIR / file)
    for data, element, assignee in ((big, "big", "mary"), (small, "small", None)):
        instance_id = await Baton(stack).start(key, data)

        async def task(instance_id: str = instance_id) -> dict[str, Any] | None:
            r = await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": instance_id})
            items: list[dict[str, Any]] = r.json()["items"]
            return items[0] if items else None

        found = await eventually(task, what=f"a task in {element}")
        assert found["taskDefinitionKey"] == element
        assert found["assignee"] == assignee


async def test_non_boolean_condition_is_an_incident(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "routing-feel.bpmn")
    instance_id = await Baton(stack).start("routing-feel", {"items": "not a list", "owner": None})

    async def incident() -> dict[str, Any] | None:
        body = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
        return body if body["incidents"] else None

    body = await eventually(incident, what="an incident")
    [inc] = body["incidents"]
    assert inc["activityId"] == "route"
    assert "not a boolean" in inc["message"]
    assert "no property" in inc["message"], inc["message"]  # the FEEL warning says why


async def test_resolving_an_incident_moves_on_without_running_the_element(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    instance_id = await Baton(stack).start("flaky-service", {})
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)

    async def incident() -> c.IncidentView | None:
        view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
        return view.incidents[0] if view.incidents else None

    inc = await eventually(incident, what="an incident", timeout=30)
    await handle.execute_update(
        c.RESOLVE_INCIDENT, c.ResolveIncident(incident_id=inc.id, variables={"byHand": True})
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables == {"byHand": True}  # the backend never answered
    view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    [resolved] = [e for e in view.history if e.type == "INCIDENT_RESOLVED"]
    assert resolved.details == {"incident_id": inc.id, "skipped": True}
    assert view.counts.completed["callBackend"] == 1
