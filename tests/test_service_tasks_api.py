"""``/v1/bpms/service-tasks``: HTTP workers fetch-and-lock external tasks, complete them,
report failures (retried, or an incident at retries 0), throw BPMN errors and extend
locks; an expired lock makes a task fetchable again. Backed by async activity completion
in the real worker and dev server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually, problem

CREDIT = BPMN_DIR / "credit-check.bpmn"
TASKS = "/v1/bpms/service-tasks"
INSTANCES = "/v1/bpms/process-instances"


async def _start(stack: Stack, **data: Any) -> str:
    return await Baton(stack).start(
        "credit-check",
        data,
        business_key=f"C-{uuid.uuid4().hex[:6]}",
        businessData={"customer": "Ada"},
    )


async def _fetch(
    stack: Stack, worker: str, lock_ms: int = 60_000, wait_ms: int = 0, **topic: Any
) -> list[dict[str, Any]]:
    r = await stack.http.post(
        f"{TASKS}/fetch-and-lock",
        json={
            "workerId": worker,
            "maxTasks": 5,
            "asyncResponseTimeout": wait_ms,
            "topics": [{"topicName": "crm.credit-check", "lockDuration": lock_ms, **topic}],
        },
    )
    assert r.status_code == 200, r.text
    tasks: list[dict[str, Any]] = r.json()
    return tasks


async def _fetch_for(stack: Stack, worker: str, instance_id: str, **kw: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        for task in await _fetch(stack, worker, **kw):
            if task["processInstanceId"] == instance_id:
                return task
        return None

    return await eventually(probe, what=f"the service task of {instance_id}")


async def _state(stack: Stack, instance_id: str) -> dict[str, Any]:
    view: dict[str, Any] = (await stack.http.get(f"{INSTANCES}/{instance_id}")).json()
    return view


async def _ended_at(stack: Stack, instance_id: str, element: str) -> bool:
    history = (await stack.http.get(f"{INSTANCES}/{instance_id}/history")).json()["items"]
    return any(e["type"] == "ACTIVITY_COMPLETED" and e["activityId"] == element for e in history)


async def test_fetch_lock_complete(stack: Stack) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=700, secret="x")
    task = await _fetch_for(stack, "worker-a", instance_id, wait_ms=5000, variables=["amount"])
    assert task["processData"] == {"amount": 700}  # only the variables asked for
    assert task["businessData"] == {"customer": "Ada"}
    assert (task["activityId"], task["workerId"], task["retries"]) == ("check", "worker-a", 3)
    assert task["processDefinitionKey"] == "credit-check" and task["lockExpirationTime"]
    # locked: nobody else gets it, and only the holder may report
    assert instance_id not in {t["processInstanceId"] for t in await _fetch(stack, "worker-b")}
    thief = await stack.http.post(f"{TASKS}/{task['id']}/complete", json={"workerId": "worker-b"})
    assert problem(thief, 409)["code"] == "LockLost"
    done = await stack.http.post(
        f"{TASKS}/{task['id']}/complete",
        json={
            "workerId": "worker-a",
            "processData": {"score": 81},
            "businessData": {"rating": "A"},
        },
    )
    assert done.status_code == 204, done.text
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")
    view = await _state(stack, instance_id)
    assert view["state"] == "COMPLETED" and view["processData"]["score"] == 81
    assert view["businessData"] == {"customer": "Ada", "rating": "A"}
    problem(await stack.http.post(f"{TASKS}/{task['id']}/complete", json={"workerId": "w"}), 404)
    problem(await stack.http.get(f"{TASKS}/{task['id']}"), 404)


async def test_failure_retries_then_incident_then_retry(stack: Stack) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack)
    task = await _fetch_for(stack, "w1", instance_id)
    url = f"{TASKS}/{task['id']}"
    # an omitted retries field keeps the count: no incident
    kept = await stack.http.post(
        f"{url}/failure", json={"workerId": "w1", "errorMessage": "timeout", "retryTimeout": 300}
    )
    assert kept.status_code == 204, kept.text
    row = (await stack.http.get(url)).json()
    assert (row["retries"], row["workerId"], row["errorMessage"]) == (3, None, "timeout")
    assert instance_id not in {t["processInstanceId"] for t in await _fetch(stack, "w1")}
    await asyncio.sleep(0.4)  # the retry timeout has passed: fetchable again
    again = await _fetch_for(stack, "w1", instance_id)
    assert again["id"] == task["id"] and again["errorMessage"] == "timeout"
    down = await stack.http.post(
        f"{url}/failure", json={"workerId": "w1", "errorMessage": "still down", "retries": 1}
    )
    assert down.status_code == 204
    third = await _fetch_for(stack, "w1", instance_id)
    assert third["retries"] == 1
    final = await stack.http.post(
        f"{url}/failure",
        json={
            "workerId": "w1",
            "errorMessage": "backend gone",
            "errorDetails": "trace…",
            "retries": 0,
        },
    )
    assert final.status_code == 204

    async def incident() -> dict[str, Any] | None:
        view = await _state(stack, instance_id)
        return view["incidents"][0] if view["incidents"] else None

    opened = await eventually(incident, what="the incident")
    assert opened["activityId"] == "check" and "backend gone" in opened["message"]
    # the attempt is over: the task stays listed with no retries left until the retry
    failed = (await stack.http.get(url)).json()
    assert failed["retries"] == 0 and failed["errorMessage"] == "backend gone"
    retried = await stack.http.post(f"/v1/bpms/incidents/{opened['id']}/retry", json={})
    assert retried.status_code == 204, retried.text

    async def gone() -> bool:
        return (await stack.http.get(url)).status_code == 404

    await eventually(gone, what="the failed task dropped once its incident was retried")
    fresh = await _fetch_for(stack, "w2", instance_id)
    assert fresh["id"] != task["id"]
    ok = await stack.http.post(f"{TASKS}/{fresh['id']}/complete", json={"workerId": "w2"})
    assert ok.status_code == 204
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")


async def test_bpmn_error_and_lock_expiry(stack: Stack) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack)
    task = await _fetch_for(stack, "slow", instance_id, lock_ms=300)
    url = f"{TASKS}/{task['id']}"
    extended = await stack.http.post(
        f"{url}/extend-lock", json={"workerId": "slow", "newDuration": 400}
    )
    assert extended.status_code == 204
    problem(
        await stack.http.post(f"{url}/extend-lock", json={"workerId": "x", "newDuration": 1}), 409
    )
    await asyncio.sleep(0.5)  # the lock expired: another worker takes the task over
    taken = await _fetch_for(stack, "fast", instance_id)
    assert taken["id"] == task["id"] and taken["workerId"] == "fast"
    late = await stack.http.post(
        f"{url}/bpmn-error", json={"workerId": "slow", "errorCode": "REJECTED"}
    )
    assert problem(late, 409)["code"] == "LockLost"
    late_failure = await stack.http.post(
        f"{url}/failure", json={"workerId": "slow", "errorMessage": "x", "retries": 2}
    )
    assert problem(late_failure, 409)["code"] == "LockLost"
    assert (await stack.http.get(url)).json()["workerId"] == "fast"  # unchanged
    thrown = await stack.http.post(
        f"{url}/bpmn-error",
        json={"workerId": "fast", "errorCode": "REJECTED", "errorMessage": "score too low"},
    )
    assert thrown.status_code == 204, thrown.text
    await eventually(lambda: _ended_at(stack, instance_id, "rejected_end"), what="the error path")
    assert (await _state(stack, instance_id))["state"] == "COMPLETED"


async def test_service_task_requests_are_validated(stack: Stack) -> None:
    bad = await stack.http.post(f"{TASKS}/fetch-and-lock", json={"workerId": "w", "topics": []})
    assert problem(bad, 422)["errors"][0]["field"] == "topics"
    bad_lock = await stack.http.post(
        f"{TASKS}/fetch-and-lock",
        json={"workerId": "w", "topics": [{"topicName": "t", "lockDuration": 0}]},
    )
    assert "lockDuration" in problem(bad_lock, 422)["errors"][0]["field"]
    negative = await stack.http.post(
        f"{TASKS}/nope/failure", json={"workerId": "w", "errorMessage": "x", "retries": -1}
    )
    problem(negative, 422)
    for action, body in (
        ("complete", {"workerId": "w"}),
        ("failure", {"workerId": "w", "errorMessage": "x"}),
        ("bpmn-error", {"workerId": "w", "errorCode": "E"}),
        ("extend-lock", {"workerId": "w", "newDuration": 10}),
    ):
        problem(await stack.http.post(f"{TASKS}/nope/{action}", json=body), 404)
    listed = (await stack.http.get(TASKS, params={"topicName": "nothing-here"})).json()
    assert listed == {"items": [], "page": 0, "size": 50, "total": 0}


async def test_a_cancelled_task_leaves_the_queue(stack: Stack) -> None:
    """The worker heartbeats waiting tasks; one whose element or instance was cancelled
    is removed, and reporting on it answers 404."""
    from activities.external_tasks import ExternalTaskActivities

    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack)
    task = await _fetch_for(stack, "w", instance_id)
    keeper = ExternalTaskActivities(stack.store, stack.client)
    assert await keeper.beat() >= 1  # alive: still there
    assert (await stack.http.get(f"{TASKS}/{task['id']}")).status_code == 200
    cancelled = await stack.http.post(f"{INSTANCES}/{instance_id}/cancel", json={"reason": "x"})
    assert cancelled.status_code == 200, cancelled.text
    await keeper.beat()
    problem(await stack.http.get(f"{TASKS}/{task['id']}"), 404)
    late = await stack.http.post(f"{TASKS}/{task['id']}/complete", json={"workerId": "w"})
    problem(late, 404)
