"""``/v1/bpms/incidents``: list and get from the read model, retry and resolve through the
instance, with the not-found and conflict paths."""

from __future__ import annotations

from typing import Any

from baton_client.contracts import bpmn as c

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually


async def _incident_of(stack: Stack, instance_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        r = await stack.http.get(
            "/v1/bpms/incidents", params={"processInstanceId": instance_id, "state": "OPEN"}
        )
        items: list[dict[str, Any]] = r.json()["items"]
        return items[0] if items else None

    return await eventually(found, what="an open incident", timeout=30)


async def test_list_get_retry_resolve(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    first, second = (
        await Baton(stack).start("flaky-service"),
        await Baton(stack).start("flaky-service"),
    )
    inc = await _incident_of(stack, first)
    assert inc["activityId"] == "callBackend" and inc["state"] == "OPEN"
    assert inc["processDefinitionKey"] == "flaky-service" and "backend down" in inc["message"]
    one = await stack.http.get(f"/v1/bpms/incidents/{inc['id']}")
    assert one.status_code == 200 and one.json() == inc
    other = await _incident_of(stack, second)
    listed = await stack.http.get(
        "/v1/bpms/incidents", params={"processDefinitionKey": "flaky-service", "size": 1}
    )
    body = listed.json()
    assert body["total"] == 2 and len(body["items"]) == 1 and body["size"] == 1

    bad = await stack.http.post(f"/v1/bpms/incidents/{inc['id']}/retry", json={"attempts": 0})
    assert bad.status_code == 422 and "attempts" in bad.text

    retried = await stack.http.post(
        f"/v1/bpms/incidents/{inc['id']}/retry",
        json={"processData": {"backendUp": True}, "attempts": 1},
    )
    assert retried.status_code == 204, retried.text
    result = await stack.client.get_workflow_handle(first, result_type=c.ProcessResult).result()
    assert result.variables == {"backendUp": True, "backendCalls": 1}

    resolved = await stack.http.post(
        f"/v1/bpms/incidents/{other['id']}/resolve", json={"processData": {"byHand": True}}
    )
    assert resolved.status_code == 204, resolved.text
    done = await stack.client.get_workflow_handle(second, result_type=c.ProcessResult).result()
    assert done.variables == {"byHand": True}

    async def all_resolved() -> bool | None:
        r = await stack.http.get("/v1/bpms/incidents", params={"state": "RESOLVED"})
        return True if r.json()["total"] == 2 else None

    await eventually(all_resolved, what="both incidents resolved in the read model")
    again = await stack.http.post(f"/v1/bpms/incidents/{inc['id']}/retry", json={})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    open_now = await stack.http.get("/v1/bpms/incidents", params={"state": "OPEN"})
    assert open_now.json()["total"] == 0


async def test_unknown_incident_is_404(stack: Stack) -> None:
    for method, path in (
        ("GET", "/v1/bpms/incidents/nope"),
        ("POST", "/v1/bpms/incidents/nope/retry"),
        ("POST", "/v1/bpms/incidents/nope/resolve"),
    ):
        r = await stack.http.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    wrong = await stack.http.get("/v1/bpms/incidents", params={"state": "BROKEN"})
    assert wrong.status_code == 422 and "state" in wrong.text
