"""Every accepted message is delivered or kept, however it is addressed, even when it is
sent the instant an instance starts (no sleep: the instance is not yet in Temporal's
visibility store nor in the read model)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import Stack
from tests.support.http import deploy, eventually
from tests.workflows.diagrams import diagram

WAITS = diagram(
    "waits-for-scoring",
    '<bpmn:startEvent id="s"/>'
    '<bpmn:intermediateCatchEvent id="scored"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:userTask id="decide" name="Decide"/><bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="scored"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="scored" targetRef="decide"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="e"/>',
    top='<bpmn:message id="m" name="ScoringDone"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="= applicationId"/></bpmn:extensionElements>'
    "</bpmn:message>",
)

Send = Callable[[Stack, str, str, str], Awaitable[None]]


async def _publish_to_instance(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    r = await stack.http.post(
        "/v1/bpms/messages/publish",
        json={
            "messageName": "ScoringDone",
            "processInstanceId": instance_id,
            "processData": {"score": 1},
        },
    )
    assert r.status_code == 202, r.text


async def _publish_to_business_key(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    r = await stack.http.post(
        "/v1/bpms/messages/publish",
        json={"messageName": "ScoringDone", "businessKey": bk, "processData": {"score": 1}},
    )
    assert r.status_code == 202, r.text


async def _publish_by_correlation_key(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    # no time-to-live: "nobody waits" is only visibility's view, so it is kept a while
    r = await stack.http.post(
        "/v1/bpms/messages/publish",
        json={"messageName": "ScoringDone", "correlationKey": key, "processData": {"score": 1}},
    )
    assert r.status_code == 202, r.text


async def _correlate_by_business_key(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    r = await stack.http.post(
        "/v1/bpms/messages/correlate",
        json={
            "messageName": "ScoringDone",
            "businessKey": bk,
            "correlationKey": key,
            "processData": {"score": 1},
        },
    )
    assert r.status_code == 200, r.text


async def _correlate_by_correlation_key(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    r = await stack.http.post(
        "/v1/bpms/messages/correlate",
        json={"messageName": "ScoringDone", "correlationKey": key, "processData": {"score": 1}},
    )
    assert r.status_code == 200, r.text


async def _domain_event(stack: Stack, instance_id: str, bk: str, key: str) -> None:
    r = await stack.http.post(
        "/v1/events",
        json={
            "id": str(uuid.uuid4()),
            "source": "scoring",
            "type": "ScoringDone",
            "subject": key,
            "data": {"score": 1},
        },
    )
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    "send",
    [
        _publish_to_instance,
        _publish_to_business_key,
        _publish_by_correlation_key,
        _correlate_by_business_key,
        _correlate_by_correlation_key,
        _domain_event,
    ],
)
async def test_a_message_sent_right_after_the_start_is_delivered(stack: Stack, send: Send) -> None:
    assert (await deploy(stack.http, WAITS)).status_code == 201
    application = f"APP-{uuid.uuid4().hex[:8]}"
    started = await stack.http.post(
        "/v1/bpms/process-instances",
        json={
            "processDefinitionKey": "waits-for-scoring",
            "businessKey": application,
            "processData": {"applicationId": application},
        },
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    await send(stack, instance_id, application, application)  # no sleep

    async def at_decide() -> dict[str, Any] | None:
        view: dict[str, Any] = (
            await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")
        ).json()
        return view if view["processData"].get("score") == 1 and view["openTasks"] else None

    view = await eventually(at_decide, timeout=20, what="the message taken by the instance")
    assert [t["taskDefinitionKey"] for t in view["openTasks"]] == ["decide"]
    assert view["state"] == "ACTIVE"


async def test_a_business_key_message_reaches_every_instance_once(stack: Stack) -> None:
    """Two instances of one business key started back to back, the message published at
    once: both take it."""
    assert (await deploy(stack.http, WAITS)).status_code == 201
    bk = f"BK-{uuid.uuid4().hex[:8]}"
    ids = []
    for _ in range(2):
        r = await stack.http.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "waits-for-scoring",
                "businessKey": bk,
                "processData": {"applicationId": bk},
            },
        )
        ids.append(r.json()["id"])
    await _publish_to_business_key(stack, ids[0], bk, bk)
    for instance_id in ids:

        async def taken(instance_id: str = instance_id) -> bool:
            view = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
            return bool(view["openTasks"])

        await eventually(taken, timeout=20, what=f"the message taken by {instance_id}")
