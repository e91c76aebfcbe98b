"""The audit log: every mutating call and every refused one is recorded, with who, what
and how it ended; administrators read it; nothing changes it."""

from __future__ import annotations

from tests.conftest import EXAMPLES, Stack
from tests.support.http import deploy

JOHN = {"Authorization": "Bearer demo-john"}  # accounting, not admin


async def test_allowed_denied_and_failed_calls_are_recorded(stack: Stack) -> None:
    deployed = await stack.http.post(
        "/v1/bpms/deployments",
        files=[("file", ("a.bpmn", (EXAMPLES / "invoice-approval.bpmn").read_bytes()))],
        headers={"X-Request-ID": "req-42"},
    )
    assert deployed.status_code == 201
    assert deployed.headers["X-Request-ID"] == "req-42"
    refused = await stack.http.get("/v1/audit", headers=JOHN)  # a read, but refused
    assert refused.status_code == 403
    unknown = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": "invoice-approval"},
        headers={"Authorization": "Bearer demo-nobody"},
    )
    assert unknown.status_code == 401
    failed = await stack.http.post(
        "/v1/bpms/process-instances", json={"processDefinitionKey": "no-such-process"}
    )
    assert failed.status_code == 404
    listed = await stack.http.get("/v1/bpms/tasks")  # a plain read: not recorded
    assert listed.status_code == 200

    log = await stack.http.get("/v1/audit")
    assert log.status_code == 200
    records = log.json()["items"]
    assert log.json()["total"] == 4
    by_status = {r["status"]: r for r in records}
    assert [r["status"] for r in records] == [404, 401, 403, 201]  # newest first
    assert by_status[201] | {"id": 0, "at": ""} == {
        "id": 0,
        "at": "",
        "requestId": "req-42",
        "subject": "demo",
        "roles": ["accounting", "admin", "management"],
        "method": "POST",
        "route": "/v1/bpms/deployments",
        "path": "/v1/bpms/deployments",
        "resourceId": None,
        "status": 201,
        "outcome": "allowed",
    }
    assert by_status[403]["subject"] == "john" and by_status[403]["outcome"] == "denied"
    assert by_status[403]["method"] == "GET" and by_status[403]["route"] == "/v1/audit"
    assert by_status[401]["subject"] is None and by_status[401]["outcome"] == "denied"
    assert by_status[404]["outcome"] == "failed" and by_status[404]["subject"] == "demo"
    denied = await stack.http.get("/v1/audit", params={"outcome": "denied"})
    assert [r["status"] for r in denied.json()["items"]] == [401, 403]
    johns = await stack.http.get("/v1/audit", params={"subject": "john"})
    assert [r["status"] for r in johns.json()["items"]] == [403]


async def test_a_resource_id_is_recorded_and_the_log_cannot_be_changed(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    started = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": "invoice-approval", "processData": {"approver": "john"}},
    )
    instance = started.json()["id"]
    cancelled = await stack.http.post(
        f"/v1/bpms/process-instances/{instance}/cancel", json={"reason": "test"}
    )
    assert cancelled.status_code in (200, 202, 204)
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        changed = await stack.http.request(method, "/v1/audit", json={})
        assert changed.status_code == 405, method
    log = (await stack.http.get("/v1/audit", params={"size": 100})).json()["items"]
    cancel = next(r for r in log if r["path"].endswith("/cancel"))
    assert cancel["resourceId"] == instance
    assert cancel["route"] == "/v1/bpms/process-instances/{instance_id}/cancel"
    # the refused attempts to change the log are on record too, as failed calls
    assert [r["method"] for r in log if r["route"] == "/v1/audit"] == [
        "POST",
        "DELETE",
        "PATCH",
        "PUT",
    ]
