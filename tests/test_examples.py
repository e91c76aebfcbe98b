"""The README's "One call per API family", with the files under examples/: each family's
calls work as written (the Eximee BPMS family is tests/test_cli.py's five steps)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import EXAMPLES, Stack

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

JOHN = {"Authorization": "Bearer demo-john"}
MARY = {"Authorization": "Bearer demo-mary"}


def body(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


async def deploy_invoice(stack: Stack) -> None:
    files = {"file": ("invoice-approval.bpmn", (EXAMPLES / "invoice-approval.bpmn").read_bytes())}
    deployed = await stack.http.post("/v1/bpms/deployments", files=files)
    assert deployed.status_code == 201, deployed.text


async def john_task(stack: Stack, instance_id: str) -> dict[str, Any]:
    for _ in range(100):
        page = (await stack.http.get(f"/v1/bpms/tasks?processInstanceId={instance_id}")).json()
        if page["items"]:
            task: dict[str, Any] = page["items"][0]
            return task
        await asyncio.sleep(0.1)
    raise AssertionError("no task")


async def test_letsflow_scenario_loads_and_runs(stack: Stack) -> None:
    stored = await stack.http.post(
        "/scenarios",
        content=(EXAMPLES / "letsflow" / "leave-request.yaml").read_bytes(),
        headers={"content-type": "application/yaml"},
    )
    assert stored.status_code == 201, stored.text
    scenario = (await stack.http.get(stored.headers["location"])).json()
    assert scenario["title"] == "Leave request"
    assert set(scenario["actions"]) == {"request", "approve", "decline"}
    started = await stack.http.post("/processes", json=body("letsflow/start.json"))
    assert started.status_code == 201, started.text
    process = started.json()
    assert process["current"]["key"] == "initial"
    requested = await stack.http.post(
        f"/processes/{process['id']}/request", json={"days": 3, "reason": "family"}, headers=JOHN
    )
    assert requested.status_code == 200, requested.text
    assert requested.json()["current"]["key"] == "requested"
    assert requested.json()["vars"] == {"days": 3, "reason": "family"}
    approved = await stack.http.post(f"/processes/{process['id']}/approve", headers=MARY)
    assert approved.status_code == 200, approved.text
    assert approved.json()["current"]["key"] == "(approved)"
    assert approved.json()["isRunning"] is False


async def test_platform_case_status(stack: Stack) -> None:
    created = await stack.http.post("/v1/case-statuses", json=body("platform/case-status.json"))
    assert created.status_code == 201, created.text
    case_id = created.json()["caseId"]
    read = (await stack.http.get(f"/v1/case-statuses/{case_id}")).json()
    assert (read["status"], read["businessKey"]) == ("RECEIVED", "INV-1")


async def test_oneweb_start_and_inbox(stack: Stack) -> None:
    await deploy_invoice(stack)
    runtime = "/BPMREST/service/runtime"
    started = await stack.http.post(f"{runtime}/process/start", json=body("oneweb/start.json"))
    assert started.status_code == 200, started.text
    instance_id = started.json()["data"]
    task = await john_task(stack, instance_id)
    inbox = (await stack.http.get(f"{runtime}/tasks?user=john", headers=JOHN)).json()
    assert [t["id"] for t in inbox["data"]] == [task["id"]]
    done = await stack.http.post(
        f"{runtime}/tasks/{task['id']}/complete?user=john", json={"approved": True}, headers=JOHN
    )
    assert done.status_code == 200, done.text


async def test_camunda_start_by_key(stack: Stack) -> None:
    await deploy_invoice(stack)
    started = await stack.http.post(
        "/engine-rest/process-definition/key/invoice-approval/start",
        json=body("camunda/start.json"),
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    assert started.json()["businessKey"] == "INV-3"
    task = await john_task(stack, instance_id)
    assert task["assignee"] == "john"
    tasks = (await stack.http.get("/engine-rest/task?assignee=john")).json()
    assert [t["id"] for t in tasks] == [task["id"]]
    done = await stack.http.post(
        f"/engine-rest/task/{task['id']}/complete",
        json={"variables": {"approved": {"value": True, "type": "Boolean"}}},
    )
    assert done.status_code == 204, done.text
