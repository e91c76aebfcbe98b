"""``POST /v1/bpms/process-instances/{id}/timers/{elementId}/fire``: an operator runs a
waiting timer now (Cockpit's button). The workflow decides: a timer that is not running is
refused with 404 and the instance is left as it was; the privilege is checked first."""

from __future__ import annotations

from typing import Any

import pytest
from baton_client.contracts import bpmn as c

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually, problem

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_a_waiting_timer_fires_now_and_others_are_refused(stack: Stack) -> None:
    assert (await deploy(stack.http, BPMN_DIR / "cockpit-review.bpmn")).status_code == 201
    instance = await Baton(stack).start("cockpit-review", {"backendUp": True})
    path = f"/v1/bpms/process-instances/{instance}"

    async def at_review() -> dict[str, Any] | None:
        body: dict[str, Any] = (await stack.http.get(path)).json()
        return body if [a["activityId"] for a in body["currentActivities"]] == ["review"] else None

    before = await eventually(at_review, what="the review", timeout=30)
    assert before["waitingTimers"] == []
    early = problem(await stack.http.post(f"{path}/timers/cooling/fire"), 404)
    assert "cooling" in early["detail"]
    after = (await stack.http.get(path)).json()
    assert after["currentActivities"] == before["currentActivities"]  # unchanged

    tasks = await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": instance})
    [task] = tasks.json()["items"]
    assert (await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})).is_success
    waiting = await eventually(
        lambda: _waiting(stack, path), what="the cooling-off timer", timeout=30
    )
    assert waiting["waitingTimers"] == ["cooling"]

    refused = await stack.http.post(
        f"{path}/timers/cooling/fire", headers={"Authorization": "Bearer demo-john"}
    )
    assert problem(refused, 403)["privilege"] == "bpms:process:modify"
    assert (await stack.http.get(path)).json()["waitingTimers"] == ["cooling"]

    fired = await stack.http.post(f"{path}/timers/cooling/fire")
    assert fired.status_code == 200, fired.text
    handle = stack.client.get_workflow_handle(instance, result_type=c.ProcessResult)
    assert (await handle.result()).variables["backendUp"] is True
    ended = problem(await stack.http.post(f"{path}/timers/cooling/fire"), 409)
    assert ended["code"] == "InstanceEnded"
    unknown = await stack.http.post("/v1/bpms/process-instances/nope/timers/cooling/fire")
    assert unknown.status_code == 404


async def _waiting(stack: Stack, path: str) -> dict[str, Any] | None:
    body: dict[str, Any] = (await stack.http.get(path)).json()
    return body if body["waitingTimers"] else None
