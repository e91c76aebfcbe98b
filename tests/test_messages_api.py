"""``/v1/bpms/messages/correlate|publish`` and ``/v1/bpms/signals``: correlation by
instance, business key or correlation key, one or all; message start events; message ids
deduplicate; a published message waits in the instance until an element wants it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.conftest import BPMN_DIR, Stack
from tests.support.http import deploy, eventually, problem

LOAN = BPMN_DIR / "loan-application.bpmn"
INSTANCES = "/v1/bpms/process-instances"
CORRELATE = "/v1/bpms/messages/correlate"


async def _loan_at_message(stack: Stack, application_id: str, **extra: Any) -> str:
    """A loan instance whose review is done: it waits for ``documents-received``."""
    r = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "loan-application",
            "waitForWaitState": True,
            "processData": {"applicationId": application_id},
            **extra,
        },
    )
    started = r.json()
    done = await stack.http.post(
        f"/v1/bpms/tasks/{started['openTasks'][0]['id']}/complete", json={}
    )
    assert done.status_code == 200, done.text
    return str(started["id"])


async def _state(stack: Stack, instance_id: str) -> str:
    view: dict[str, Any] = (await stack.http.get(f"{INSTANCES}/{instance_id}")).json()
    return str(view["state"])


async def _completed(stack: Stack, instance_id: str) -> bool:
    return await _state(stack, instance_id) == "COMPLETED"


async def test_correlate_by_key_one_or_all(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    a = await _loan_at_message(stack, "K-A")
    b = await _loan_at_message(stack, "K-B")
    wrong = await stack.http.post(
        CORRELATE,
        json={"messageName": "documents-received", "processInstanceId": a, "correlationKey": "K-B"},
    )
    assert problem(wrong, 404)["field"] == "messageName"
    took = await stack.http.post(
        CORRELATE,
        json={
            "messageName": "documents-received",
            "correlationKey": "K-B",
            "processData": {"docs": 3},
        },
    )
    assert took.status_code == 200, took.text
    assert took.json()["correlated"] == [
        {
            "resultType": "Execution",
            "processInstanceId": b,
            "activityId": "documents",
            "processDefinitionKey": None,
        }
    ]
    await eventually(lambda: _completed(stack, b), what="b to complete")
    assert (await stack.http.get(f"{INSTANCES}/{b}/variables")).json()["processData"]["docs"] == 3
    assert await _state(stack, a) == "ACTIVE"
    problem(
        await stack.http.post(
            CORRELATE, json={"messageName": "documents-received", "correlationKey": "K-B"}
        ),
        404,
    )

    c1 = await _loan_at_message(stack, "K-C", businessKey="CASE-C")
    c2 = await _loan_at_message(stack, "K-C", businessKey="CASE-C")
    await eventually(lambda: _rows(stack, "CASE-C", 2), what="both CASE-C rows")
    both = await stack.http.post(
        CORRELATE,
        json={
            "messageName": "documents-received",
            "businessKey": "CASE-C",
            "correlationKey": "K-C",
            "all": True,
        },
    )
    assert {r["processInstanceId"] for r in both.json()["correlated"]} == {c1, c2}
    for instance in (c1, c2):
        await eventually(lambda i=instance: _completed(stack, i), what="CASE-C to complete")
    problem(await stack.http.post(CORRELATE, json={"messageName": ""}), 422)
    too_long = await stack.http.post(CORRELATE, json={"messageName": "m", "businessKey": "x" * 300})
    assert problem(too_long, 422)["errors"][0]["field"] == "businessKey"


async def _rows(stack: Stack, business_key: str, count: int) -> bool:
    page = (await stack.http.get(INSTANCES, params={"businessKey": business_key})).json()
    return bool(page["total"] == count)


async def test_message_start_event_and_message_id(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    message_id = f"lead-{uuid.uuid4()}"
    body = {
        "messageName": "new-lead",
        "businessKey": "LEAD-7",
        "messageId": message_id,
        "processData": {"source": "web"},
        "businessData": {"email": "ada@example.com"},
    }
    first = await stack.http.post(CORRELATE, json=body)
    assert first.status_code == 200, first.text
    [started] = first.json()["correlated"]
    assert (started["resultType"], started["activityId"], started["processDefinitionKey"]) == (
        "ProcessDefinition",
        "lead_arrived",
        "lead-intake",
    )
    again = await stack.http.post(CORRELATE, json=body)
    assert again.json()["correlated"][0]["processInstanceId"] == started["processInstanceId"]
    instance = (await stack.http.get(f"{INSTANCES}/{started['processInstanceId']}")).json()
    assert instance["businessKey"] == "LEAD-7"
    assert instance["processData"] == {"source": "web"}
    assert instance["businessData"] == {"email": "ada@example.com"}
    problem(await stack.http.post(CORRELATE, json={"messageName": "nobody-listens"}), 404)


async def test_publish_buffers_until_the_instance_waits(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    r = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "loan-application",
            "waitForWaitState": True,
            "processData": {"applicationId": "P-1"},
        },
    )
    started = r.json()
    message = {
        "messageName": "documents-received",
        "processInstanceId": started["id"],
        "correlationKey": "P-1",
        "messageId": "docs-1",
        "processData": {"pages": 4},
    }
    for _ in range(2):  # the second is a duplicate by message id
        published = await stack.http.post("/v1/bpms/messages/publish", json=message)
        assert published.status_code == 202, published.text
        assert published.json() == {"processInstanceIds": [started["id"]], "buffered": False}
    assert await _state(stack, started["id"]) == "ACTIVE"  # still at the review task
    done = await stack.http.post(
        f"/v1/bpms/tasks/{started['openTasks'][0]['id']}/complete", json={}
    )
    assert done.status_code == 200
    await eventually(lambda: _completed(stack, started["id"]), what="the buffered message")
    history = (
        await stack.http.get(
            f"{INSTANCES}/{started['id']}/history", params={"type": "MESSAGE_CORRELATED"}
        )
    ).json()
    assert history["total"] == 1
    nobody = await stack.http.post(
        "/v1/bpms/messages/publish", json={"messageName": f"nobody-{uuid.uuid4()}"}
    )
    # no time-to-live: kept for the settling window all the same (visibility may lag
    # behind an instance that waits already)
    assert nobody.json() == {"processInstanceIds": [], "buffered": True}
    gone = await stack.http.post(
        "/v1/bpms/messages/publish", json={"messageName": "x", "processInstanceId": "nope"}
    )
    problem(gone, 404)


async def test_signal_broadcast_reaches_every_waiting_instance(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    ids = []
    for _ in range(2):
        r = await stack.http.post(
            INSTANCES, json={"processDefinitionKey": "campaign", "waitForWaitState": True}
        )
        ids.append(r.json()["id"])
    query = f'ExecutionStatus = "Running" AND TaskQueue = "{stack.settings.task_queue}"'

    async def visible() -> bool:
        return len([w async for w in stack.client.list_workflows(query)]) == 2

    await eventually(visible, what="both instances in the visibility store")
    sent = await stack.http.post(
        "/v1/bpms/signals", json={"signalName": "campaign-over", "processData": {"why": "budget"}}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"started": [], "signalled": 2}
    for instance in ids:
        await eventually(lambda i=instance: _completed(stack, i), what="the signal to land")
    variables = (await stack.http.get(f"{INSTANCES}/{ids[0]}/variables")).json()
    assert variables["processData"] == {"why": "budget"}
    problem(await stack.http.post("/v1/bpms/signals", json={}), 422)


async def test_publish_with_time_to_live_waits_for_a_subscriber(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    key = f"T-{uuid.uuid4().hex[:6]}"
    body = {
        "messageName": "documents-received",
        "correlationKey": key,
        "messageId": f"docs-{key}",
        "timeToLive": 20_000,
        "processData": {"pages": 2},
    }
    published = await stack.http.post("/v1/bpms/messages/publish", json=body)
    assert published.status_code == 202, published.text
    assert published.json() == {"processInstanceIds": [], "buffered": True}
    twice = await stack.http.post("/v1/bpms/messages/publish", json=body)
    assert problem(twice, 409)["field"] == "messageId"
    expired_key = f"X-{uuid.uuid4().hex[:6]}"
    short = {"messageName": "documents-received", "correlationKey": expired_key, "timeToLive": 100}
    assert (await stack.http.post("/v1/bpms/messages/publish", json=short)).json()["buffered"]

    waiting = await _loan_at_message(stack, key)  # subscribes long after the publish
    await eventually(lambda: _completed(stack, waiting), what="the buffered message")
    variables = (await stack.http.get(f"{INSTANCES}/{waiting}/variables")).json()
    assert variables["processData"]["pages"] == 2

    await asyncio.sleep(0.3)  # the short-lived message expires unseen
    late = await _loan_at_message(stack, expired_key)
    await asyncio.sleep(1.5)
    assert await _state(stack, late) == "ACTIVE"
    # publishing to a waiting instance by name and key is immediate
    now = await stack.http.post(
        "/v1/bpms/messages/publish",
        json={"messageName": "documents-received", "correlationKey": expired_key},
    )

    if now.json()["processInstanceIds"] != [late]:  # the search attribute was not visible yet
        again = await stack.http.post(
            "/v1/bpms/messages/publish",
            json={
                "messageName": "documents-received",
                "correlationKey": expired_key,
                "timeToLive": 10_000,
            },
        )
        assert again.status_code == 202
    await eventually(lambda: _completed(stack, late), what="the published message")


async def test_correlate_by_process_variables(stack: Stack) -> None:
    """Camunda 7's ``correlationKeys``: only instances whose variables have those values."""
    await deploy(stack.http, LOAN)
    suffix = uuid.uuid4().hex[:6]
    a = await _loan_at_message(
        stack, f"VA-{suffix}", processData={"applicationId": f"VA-{suffix}", "region": "north"}
    )
    b = await _loan_at_message(
        stack, f"VB-{suffix}", processData={"applicationId": f"VB-{suffix}", "region": "south"}
    )

    async def nobody_in_the_west() -> bool:
        found = await stack.http.post(
            CORRELATE,
            json={"messageName": "documents-received", "correlationKeys": {"region": "west"}},
        )
        return found.status_code == 404

    await eventually(nobody_in_the_west, what="a 404 for a region nobody has")
    took = None
    for _ in range(100):  # the visibility store may lag behind the new subscriptions
        r = await stack.http.post(
            CORRELATE,
            json={"messageName": "documents-received", "correlationKeys": {"region": "south"}},
        )
        if r.status_code == 200:
            took = r.json()["correlated"]
            break
        await asyncio.sleep(0.1)
    assert took is not None and [t["processInstanceId"] for t in took] == [b]
    await eventually(lambda: _completed(stack, b), what="b to complete")
    assert await _state(stack, a) == "ACTIVE"
