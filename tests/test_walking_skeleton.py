"""The walking skeleton: deploy → start → task appears → complete → COMPLETED, over HTTP,
with a real worker and dev server, on SQLite and PostgreSQL, in both Camunda dialects."""

from __future__ import annotations

from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowExecutionStatus

from tests.conftest import EXAMPLES, Stack
from tests.support.http import deploy, eventually

CASES = [
    pytest.param(
        "invoice-approval.bpmn",
        "invoice-approval",
        {"approver": "john", "amount": 120},
        "john",
        {"registered": "yes"},
        id="camunda7",
    ),
    pytest.param(
        "order-review-zeebe.bpmn",
        "order-review",
        {"reviewer": "mary", "orderId": "A-17"},
        "mary",
        {"riskLevel": "low"},
        id="zeebe",
    ),
]


@pytest.mark.parametrize(("file", "key", "start_vars", "assignee", "service_vars"), CASES)
async def test_five_step_slice(
    stack: Stack,
    file: str,
    key: str,
    start_vars: dict[str, Any],
    assignee: str,
    service_vars: dict[str, Any],
) -> None:
    http = stack.http
    # 1. deploy
    deployed = await deploy(http, EXAMPLES / file)
    assert deployed.status_code == 201, deployed.text
    [definition] = deployed.json()["definitions"]
    assert definition["key"] == key
    assert definition["version"] == 1
    assert len(definition["sha256"]) == 64

    # 2. start by key with variables and a business key
    started = await http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": key, "businessKey": "BK-1", "processData": start_vars},
    )
    assert started.status_code == 201, started.text
    instance = started.json()
    assert started.headers["location"] == f"/v1/bpms/process-instances/{instance['id']}"
    assert instance["state"] == "ACTIVE"
    assert instance["businessKey"] == "BK-1"

    # 3. the user task shows up in the assignee's inbox once the service task ran
    async def inbox() -> list[dict[str, Any]]:
        r = await http.get("/v1/bpms/tasks", params={"assignee": assignee})
        assert r.status_code == 200
        return [t for t in r.json()["items"] if t["processInstanceId"] == instance["id"]]

    [task] = await eventually(inbox, what="the user task in the inbox")
    assert task["assignee"] == assignee
    assert task["state"] == "ASSIGNED"
    assert task["businessKey"] == "BK-1"
    assert task["processDefinitionKey"] == key
    running = (await http.get(f"/v1/bpms/process-instances/{instance['id']}")).json()
    assert running["state"] == "ACTIVE"
    assert [a["activityId"] for a in running["currentActivities"]] == [task["taskDefinitionKey"]]
    # the service task (a built-in activity) already wrote its output
    assert running["processData"] == {**start_vars, **service_vars}

    # 4. complete with variables
    done = await http.post(
        f"/v1/bpms/tasks/{task['id']}/complete",
        json={"processData": {"approved": True}, "withVariablesInReturn": True},
    )
    assert done.status_code == 200, done.text
    assert done.json()["processData"]["approved"] is True

    # 5. the instance reports COMPLETED with the final variables
    async def finished() -> dict[str, Any] | None:
        body = (await http.get(f"/v1/bpms/process-instances/{instance['id']}")).json()
        return body if body["state"] == "COMPLETED" else None

    final = await eventually(finished, what="COMPLETED")
    assert final["processData"] == {**start_vars, **service_vars, "approved": True}
    assert final["currentActivities"] == []
    assert final["endTime"] is not None

    # the inbox no longer lists the task; the read model kept it as COMPLETED
    assert await inbox() == []
    row = (await http.get(f"/v1/bpms/tasks/{task['id']}")).json()
    assert row["state"] == "COMPLETED"

    # Temporal sees the same: a completed BpmnProcess with a readable summary and
    # search attributes an operator can filter on
    typed = stack.client.get_workflow_handle(instance["id"], result_type=c.ProcessResult)
    result = await typed.result()
    assert result.variables == final["processData"]
    desc = await typed.describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED
    assert desc.workflow_type == c.WORKFLOW_NAME
    assert await desc.static_summary() == f"{definition['name']} v1 · BK-1"
    attrs = {k.name: v for k, v in desc.typed_search_attributes}  # type: ignore[attr-defined]
    assert attrs["BpmnProcessKey"] == key
    assert attrs["BpmnBusinessKey"] == "BK-1"
    assert attrs["BpmnState"] == "COMPLETED"
    assert attrs.get("BpmnActiveElements", []) == []  # an empty list unsets it


async def test_state_query_has_case_history(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    started = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": "invoice-approval", "processData": {"approver": "john"}},
    )
    instance_id = started.json()["id"]
    handle = stack.client.get_workflow_handle(instance_id)

    async def task_open() -> c.ProcessStateView | None:
        view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
        return view if view.tasks else None

    view = await eventually(task_open, what="an open task in the state query")
    assert [e.type for e in view.history] == [
        "PROCESS_STARTED",
        "ACTIVITY_STARTED",
        "ACTIVITY_COMPLETED",
        "ACTIVITY_STARTED",
        "VARIABLES_UPDATED",
        "ACTIVITY_COMPLETED",
        "ACTIVITY_STARTED",
        "TASK_CREATED",
    ]
    assert view.history[0].user_id == "demo"
    # the Web UI's "current details" describe the open task
    meta = await handle.query("__temporal_workflow_metadata")
    assert "Approve invoice → john" in meta.current_details
