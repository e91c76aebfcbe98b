"""The API's edges: versioning, problem+json errors, rejected commands changing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.main import create_app
from store import Store
from tests.conftest import EXAMPLES, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, problem
from tests.support.ports import free_port

INVOICE = EXAMPLES / "invoice-approval.bpmn"


async def test_versions_per_key(stack: Stack) -> None:
    first = (await deploy(stack.http, INVOICE)).json()["definitions"][0]
    again = (await deploy(stack.http, INVOICE)).json()["definitions"][0]
    assert (again["version"], again["sha256"], again["new"]) == (1, first["sha256"], False)
    changed = INVOICE.read_bytes().replace(b"Approve invoice", b"Approve the invoice")
    second = (await deploy(stack.http, ("invoice-approval.bpmn", changed))).json()["definitions"][0]
    assert (second["version"], second["new"]) == (2, True)
    assert second["sha256"] != first["sha256"]
    latest = (await stack.http.get("/v1/bpms/process-definitions/invoice-approval")).json()
    assert latest["version"] == 2
    v1 = await stack.http.get(
        "/v1/bpms/process-definitions/invoice-approval", params={"version": 1}
    )
    assert v1.json()["sha256"] == first["sha256"]
    listed = (await stack.http.get("/v1/bpms/process-definitions")).json()
    assert [(d["key"], d["version"]) for d in listed["items"]] == [("invoice-approval", 2)]
    assert (listed["page"], listed["size"], listed["total"]) == (0, 50, 1)

    # an explicit older version still starts
    started = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": "invoice-approval", "version": 1},
    )
    assert started.json()["version"] == 1


async def test_invalid_bpmn_is_rejected_with_diagnostics(stack: Stack) -> None:
    bad = INVOICE.read_bytes().replace(b'targetRef="Task_approve"', b'targetRef="Task_aprove"')
    body = problem(await deploy(stack.http, ("bad.bpmn", bad)), 400)
    [error] = body["errors"]
    assert error["code"] == "unknown-reference"
    assert error["elementId"] == "Flow_2"
    assert error["severity"] == "error"
    assert error["line"] == 30  # the <bpmn:sequenceFlow id="Flow_2"> line
    assert error["file"] == "bad.bpmn"
    assert "did you mean 'Task_approve'" in error["message"]
    # nothing was stored
    problem(await stack.http.get("/v1/bpms/process-definitions/invoice-approval"), 404)


async def test_deploy_without_file_and_wrong_type(stack: Stack) -> None:
    problem(await stack.http.post("/v1/bpms/deployments", data={"x": "1"}), 400)
    body = problem(await deploy(stack.http, ("notes.txt", b"hello")), 400)
    assert "notes.txt" in body["detail"]


async def test_start_errors_name_the_field(stack: Stack) -> None:
    body = problem(await stack.http.post("/v1/bpms/process-instances", json={}), 422)
    assert body["errors"][0]["field"] == "processDefinitionKey"
    body = problem(
        await stack.http.post(
            "/v1/bpms/process-instances",
            json={"processDefinitionKey": "x", "processData": {}, "bogus": 1},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "bogus"
    body = problem(
        await stack.http.post("/v1/bpms/process-instances", json={"processDefinitionKey": "nope"}),
        404,
    )
    assert body["field"] == "processDefinitionKey"


async def test_unknown_instance_and_task(stack: Stack) -> None:
    problem(await stack.http.get("/v1/bpms/process-instances/does-not-exist"), 404)
    problem(await stack.http.get("/v1/bpms/tasks/does-not-exist"), 404)
    problem(await stack.http.post("/v1/bpms/tasks/does-not-exist/complete", json={}), 404)
    problem(await stack.http.get("/v1/bpms/nowhere"), 404)


async def _open_task(stack: Stack) -> dict[str, Any]:
    baton = Baton(stack)
    await baton.deploy(INVOICE)
    instance_id = await baton.start("invoice-approval", {"approver": "john"})
    return await baton.open_task(instance_id, what="open task")


async def test_rejected_completion_changes_nothing(stack: Stack) -> None:
    task = await _open_task(stack)
    handle = stack.client.get_workflow_handle(task["processInstanceId"])
    # the task row can land before the instance's last workflow task of that step (its
    # search-attribute upsert): measure once the history stops growing
    before = await handle.describe()
    while True:
        await asyncio.sleep(0.5)
        settled = await handle.describe()
        if settled.history_length == before.history_length:
            break
        before = settled
    # a bad body: 422 naming the field, nothing sent to Temporal
    body = problem(
        await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": 5}),
        422,
    )
    assert body["errors"][0]["field"] == "processData"
    # a command for a task the instance does not know: rejected by the update validator,
    # which writes no history
    other = c.CompleteUserTask(task_id="not-a-task", variables={"x": 1})
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(c.COMPLETE_USER_TASK, other, result_type=c.UserTaskCompleted)
    assert isinstance(err.value.cause, ApplicationError)
    assert err.value.cause.type == "TaskNotFound"
    after = await handle.describe()
    assert after.history_length == before.history_length
    view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    assert "x" not in view.variables and view.tasks[0].state is c.TaskState.ASSIGNED

    ok = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert ok.status_code == 200
    # the same completion again is answered with its outcome (a retry is safe); another
    # completion of the finished task is refused by the instance
    again = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert again.status_code == 200, again.text
    body = problem(
        await stack.http.post(
            f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"y": 1}}
        ),
        409,
    )
    assert body["code"] in ("TaskNotActive", "TaskNotFound", "InstanceEnded")
    assert body["outcome"] == "refused"


async def test_ready_and_health(stack: Stack) -> None:
    assert (await stack.http.get("/health")).json() == {"status": "ok"}
    ready = await stack.http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"temporal": "ok", "database": "ok"}


async def test_not_ready_when_temporal_is_down(stack: Stack) -> None:
    dead = await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)
    app = create_app(stack.settings, client=dead, store=stack.store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        assert (await http.get("/health")).status_code == 200
        ready = await http.get("/ready")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["temporal"].startswith("down")


async def test_schema_creation_survives_a_race(tmp_path: Path) -> None:
    """The API and the worker create the schema at the same moment on a fresh database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    stores = [Store(url) for _ in range(4)]
    try:
        await asyncio.gather(*(s.init_schema() for s in stores))
        await stores[0].ping()
    finally:
        for s in stores:
            await s.dispose()


async def test_only_the_assignee_or_a_candidate_completes(stack: Stack) -> None:
    task = await _open_task(stack)  # assigned to john, candidate group "accounting"
    as_mary = {"Authorization": "Bearer demo-mary"}
    body = problem(
        await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={}, headers=as_mary),
        403,
    )
    assert body["code"] == "TaskNotPermitted"
    assert (await stack.http.get(f"/v1/bpms/tasks/{task['id']}")).json()["state"] == "ASSIGNED"
    as_john = {"Authorization": "Bearer demo-john"}
    ok = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={}, headers=as_john)
    assert ok.status_code == 200


def test_openapi_describes_every_field_and_error() -> None:
    """Every property of every schema has a description, and every /v1 operation
    documents its errors as application/problem+json."""
    from core.settings import Settings

    schema = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    undescribed = [
        f"{model}.{prop}"
        for model, body in schema["components"]["schemas"].items()
        for prop, spec in body.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undescribed == []
    for path, operations in schema["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            errors = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
            # besides the 401, 429 and 503 every route has: what this route itself refuses
            assert "401" in errors and "429" in errors, (method, path)
            assert set(errors) - {"401", "429", "503"}, (method, path)
            for status, response in errors.items():
                assert list(response["content"]) == ["application/problem+json"], (path, status)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
