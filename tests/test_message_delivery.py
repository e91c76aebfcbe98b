"""Every accepted message is delivered or kept, however it is addressed, even when it is
sent the instant an instance starts (no sleep: the instance is not yet in Temporal's
visibility store nor in the read model)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Stack
from tests.support.bpmn import diagram
from tests.support.driver import Baton
from tests.support.http import eventually

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

#: How each way of addressing a message is sent: path, body (``{instance}`` and ``{key}``
#: are filled in), and the answer that means "accepted".
WAYS = {
    "publish to the instance": (
        "/v1/bpms/messages/publish",
        {"processInstanceId": "{instance}"},
        202,
    ),
    "publish to the business key": ("/v1/bpms/messages/publish", {"businessKey": "{key}"}, 202),
    # no time-to-live: "nobody waits" is only visibility's view, so it is kept a while
    "publish by correlation key": ("/v1/bpms/messages/publish", {"correlationKey": "{key}"}, 202),
    "correlate by business key": (
        "/v1/bpms/messages/correlate",
        {"businessKey": "{key}", "correlationKey": "{key}"},
        200,
    ),
    "correlate by correlation key": (
        "/v1/bpms/messages/correlate",
        {"correlationKey": "{key}"},
        200,
    ),
}


async def _send(stack: Stack, way: str, instance_id: str, key: str) -> None:
    if way == "domain event":
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "source": "scoring",
            "type": "ScoringDone",
            "subject": key,
            "data": {"score": 1},
        }
        r = await stack.http.post("/v1/events", json=body)
        assert r.status_code == 202, r.text
        return
    path, address, accepted = WAYS[way]
    body = {"messageName": "ScoringDone", "processData": {"score": 1}}
    body |= {k: v.format(instance=instance_id, key=key) for k, v in address.items()}
    r = await stack.http.post(path, json=body)
    assert r.status_code == accepted, r.text


@pytest.mark.parametrize("way", [*WAYS, "domain event"])
async def test_a_message_sent_right_after_the_start_is_delivered(stack: Stack, way: str) -> None:
    await Baton(stack).deploy(WAITS)
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
    await _send(stack, way, instance_id, application)  # no sleep

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
    await Baton(stack).deploy(WAITS)
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
    await _send(stack, "publish to the business key", ids[0], bk)
    for instance_id in ids:

        async def taken(instance_id: str = instance_id) -> bool:
            view = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
            return bool(view["openTasks"])

        await eventually(taken, timeout=20, what=f"the message taken by {instance_id}")
