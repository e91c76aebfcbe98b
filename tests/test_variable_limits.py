"""Variables bounded well under Temporal's payload limit (api/limits.py): every path that
hands JSON to a workflow answers 413 naming the field, its size and the limit, before
anything is created or sent -- against the real app, worker and dev server."""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import get_settings
from tests.conftest import EXAMPLES, Stack
from tests.support.http import deploy, eventually, problem

INSTANCES = "/v1/bpms/process-instances"
LIMIT = get_settings().max_variables_bytes
#: one string just over the per-request bound
BIG = "x" * (LIMIT + 1)
#: 600 variables of 1 KiB each: every one is small, together they are over the bound
MANY = {f"v{i}": "y" * 1024 for i in range(600)}


def _refused(response: Any, field: str) -> dict[str, Any]:
    body = problem(response, 413)
    assert body["field"] == field
    assert body["limit"] == LIMIT and body["size"] > LIMIT
    assert str(LIMIT) in body["detail"] and field in body["detail"]
    return body


async def _workflows(stack: Stack) -> list[str]:
    query = f"TaskQueue = '{stack.settings.task_queue}'"
    return [w.id async for w in stack.client.list_workflows(query)]


async def _invoice(stack: Stack, **data: Any) -> tuple[str, dict[str, Any]]:
    """A running invoice-approval instance and its open task row (assignee john)."""
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    r = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "invoice-approval",
            "processData": {"approver": "john", **data},
            "waitForWaitState": True,
        },
    )
    assert r.status_code == 201, r.text
    instance_id: str = r.json()["id"]

    async def task() -> dict[str, Any] | None:
        rows = await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": instance_id})
        items: list[dict[str, Any]] = rows.json()["items"]
        return items[0] if items else None

    return instance_id, await eventually(task, what="the task row")


@pytest.mark.parametrize("data", [{"blob": BIG}, MANY], ids=["one-big", "many-small"])
async def test_a_start_over_the_bound_creates_nothing(stack: Stack, data: Any) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    r = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": "invoice-approval", "processData": data},
        headers={"Idempotency-Key": "big-start"},
    )
    _refused(r, "processData")
    assert await _workflows(stack) == []
    listed = await stack.http.get(INSTANCES)
    assert listed.json()["total"] == 0
    # business data is bounded the same way, and is not stored either
    r = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": "invoice-approval", "businessData": {"doc": BIG}},
    )
    _refused(r, "businessData")
    assert await _workflows(stack) == []
    # just under the bound starts
    ok = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": "invoice-approval", "processData": {"b": "z" * 200_000}},
    )
    assert ok.status_code == 201, ok.text


async def test_complete_and_variable_writes_over_the_bound_change_nothing(stack: Stack) -> None:
    instance_id, task = await _invoice(stack, amount=1)
    john = {"Authorization": "Bearer demo-john"}
    before = len((await stack.client.get_workflow_handle(instance_id).fetch_history()).events)

    r = await stack.http.post(
        f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"x": BIG}}, headers=john
    )
    _refused(r, "processData")
    r = await stack.http.patch(
        f"{INSTANCES}/{instance_id}/variables", json={"processData": MANY}, headers=john
    )
    _refused(r, "processData")
    r = await stack.http.put(f"{INSTANCES}/{instance_id}/variables/x", json={"value": BIG})
    _refused(r, "value")
    r = await stack.http.put(
        f"{INSTANCES}/{instance_id}/business-data", json={"businessData": {"x": BIG}}
    )
    _refused(r, "businessData")

    # nothing reached the workflow: no update in its history, the task still open
    history = await stack.client.get_workflow_handle(instance_id).fetch_history()
    assert len(history.events) == before
    detail = (await stack.http.get(f"{INSTANCES}/{instance_id}")).json()
    assert detail["state"] == "ACTIVE" and detail["businessData"] is None
    assert [t["id"] for t in detail["openTasks"]] == [task["id"]]
    assert "x" not in detail["processData"] and len(detail["processData"]) < 10
    done = await stack.http.post(
        f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"ok": 1}}, headers=john
    )
    assert done.status_code == 200, done.text


async def test_an_instance_cannot_grow_past_its_total_bound(stack: Stack) -> None:
    instance_id, _ = await _invoice(stack)
    total = get_settings().max_instance_variables_bytes
    chunk = "c" * (LIMIT - 100)
    written = 0
    refused: dict[str, Any] | None = None
    for i in range(total // LIMIT + 2):
        r = await stack.http.patch(
            f"{INSTANCES}/{instance_id}/variables", json={"processData": {f"part{i}": chunk}}
        )
        if r.status_code == 413:
            refused = r.json()
            break
        assert r.status_code == 200, r.text
        written += 1
    assert refused is not None, "the instance grew past its bound"
    assert refused["field"] == "processData" and refused["limit"] == total
    assert refused["size"] > total and written == total // LIMIT
    variables = (await stack.http.get(f"{INSTANCES}/{instance_id}/variables")).json()
    assert sorted(k for k in variables["processData"] if k.startswith("part")) == [
        f"part{i}" for i in range(written)
    ]


#: (method, path, body) of every request that hands JSON to a workflow; all refused
#: before anything is looked up (the ids do not exist)
PATHS: list[tuple[str, str, Any, str]] = [
    ("post", "/v1/bpms/tasks/t-0/complete", {"processData": {"x": BIG}}, "processData"),
    ("post", "/v1/bpms/tasks/t-0/complete", {"businessData": MANY}, "businessData"),
    ("post", "/v1/bpms/tasks/t-0/resolve", {"processData": MANY}, "processData"),
    ("post", "/v1/bpms/incidents/i-0/retry", {"processData": {"x": BIG}}, "processData"),
    ("post", "/v1/bpms/incidents/i-0/resolve", {"processData": MANY}, "processData"),
    (
        "post",
        "/v1/bpms/messages/correlate",
        {"messageName": "m", "processData": {"x": BIG}},
        "processData",
    ),
    (
        "post",
        "/v1/bpms/messages/correlate",
        {"messageName": "m", "correlationKeys": MANY},
        "correlationKeys",
    ),
    (
        "post",
        "/v1/bpms/messages/publish",
        {"messageName": "m", "timeToLive": 1000, "processData": MANY},
        "processData",
    ),
    ("post", "/v1/bpms/signals", {"signalName": "s", "processData": MANY}, "processData"),
    (
        "post",
        "/v1/bpms/service-tasks/s-0/complete",
        {"workerId": "w", "processData": {"x": BIG}},
        "processData",
    ),
    ("patch", f"{INSTANCES}/p-0/variables", {"processData": MANY}, "processData"),
    ("patch", f"{INSTANCES}/p-0/business-data", {"businessData": MANY}, "businessData"),
    ("post", "/processes", {"scenario": "s", "vars": MANY}, "vars"),
    ("post", "/processes", {"scenario": "s", "actors": {"a": MANY}}, "actors"),
    ("post", "/processes/p-0/go", {"x": BIG}, "body"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), PATHS)
async def test_every_path_to_a_workflow_is_bounded(
    stack: Stack, method: str, path: str, body: Any, field: str
) -> None:
    r = await stack.http.request(method.upper(), path, json=body)
    _refused(r, field)


async def test_oneweb_starts_and_completes_are_bounded_in_its_envelope(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    rt = "/BPMREST/service/runtime"
    for path, body, field in (
        (f"{rt}/process/start", {"processName": "invoice-approval", "object": MANY}, "object"),
        (f"{rt}/process/invoice-approval/start", {"bo": {"x": BIG}}, "body"),
        (f"{rt}/tasks/t-0/complete", MANY, "body"),
    ):
        r = await stack.http.post(path, json=body)
        assert r.status_code == 413, r.text
        answer = r.json()
        assert answer["code"] == 413 and answer["data"] is None
        assert answer["field"] == field and answer["limit"] == LIMIT
    assert await _workflows(stack) == []
