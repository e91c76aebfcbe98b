"""ONEWEB's Process Runtime API (/BPMREST/service/runtime) over HTTP: every endpoint, the
envelope (errors included), impersonation refusals, the legacy start, and a custom task
inbox end to end on the real interpreter."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from baton_client.contracts import bpmn as c

from activities.infrastructure import InfrastructureActivities
from tests.conftest import Stack
from tests.support.http import deploy, eventually

RT = "/BPMREST/service/runtime"
JOHN = {"Authorization": "Bearer demo-john"}  # accounting
MARY = {"Authorization": "Bearer demo-mary"}  # management
TASK_FIELDS = {
    "createBy", "createTime", "instanceId", "parentTaskId", "dueDate", "loadlinkEntityId",
    "definitionId", "assignee", "loadlinkParam", "owner", "description", "processName",
    "name", "priority", "id",
}  # fmt: skip

INBOX = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="oneweb-inbox" name="Order approval" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="review" name="Review order" camunda:candidateGroups="accounting" />
    <bpmn:userTask id="sign" name="Sign order" camunda:candidateGroups="management" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="sign" />
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def ok(answer: httpx.Response) -> Any:
    """Assert ONEWEB's success envelope and return its data."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == 0 and isinstance(body["timestamp"], int), body
    assert "totalRecordCount" in body
    return body["data"]


def refused(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == status and body["data"] is None and body["message"], body
    return body


async def start(stack: Stack, **extra: Any) -> str:
    assert (await deploy(stack.http, ("inbox.bpmn", INBOX))).status_code == 201
    body = {"processName": "oneweb-inbox", "appName": "crm", "uniqueId": "u-1", **extra}
    instance_id: str = ok(await stack.http.post(f"{RT}/process/start", json=body))
    return instance_id


async def open_tasks(stack: Stack, instance_id: str, count: int = 1) -> list[dict[str, Any]]:
    async def probe() -> tuple[list[dict[str, Any]]] | None:
        answer = await stack.http.get(f"{RT}/instance/{instance_id}/tasks")
        tasks: list[dict[str, Any]] = ok(answer)
        return (tasks,) if len(tasks) == count else None  # a tuple: [] is a valid answer

    (found,) = await eventually(probe, what=f"{count} open task(s) of {instance_id}")
    return found


async def test_a_custom_inbox_end_to_end(stack: Stack) -> None:
    instance_id = await start(stack, snapVersion="1", object={"Order": {"amount": 10}})
    [review] = await open_tasks(stack, instance_id)
    assert set(review) == TASK_FIELDS
    assert (review["name"], review["processName"]) == ("Review order", "oneweb-inbox")
    assert review["instanceId"] == instance_id and review["loadlinkParam"] == "="
    assert isinstance(review["createTime"], int) and review["assignee"] is None

    inbox = ok(await stack.http.get(f"{RT}/tasks", params={"group": "accounting"}, headers=JOHN))
    assert [t["id"] for t in inbox] == [review["id"]]
    ok(await stack.http.post(f"{RT}/tasks/{review['id']}/claim?user=john", headers=JOHN))
    mine = ok(await stack.http.get(f"{RT}/tasks", params={"user": "john"}, headers=JOHN))
    assert [t["assignee"] for t in mine] == ["john"]
    completed = await stack.http.post(
        f"{RT}/tasks/{review['id']}/complete?user=john",
        json={"Order": {"amount": 10, "approved": True}, "Review": {"note": "fine"}},
        headers=JOHN,
    )
    assert ok(completed) == ""

    [sign] = await open_tasks(stack, instance_id)
    assert sign["name"] == "Sign order"
    theirs = ok(await stack.http.get(f"{RT}/tasks", params={"role": "management"}, headers=MARY))
    assert [t["id"] for t in theirs] == [sign["id"]]
    variables = ok(await stack.http.post(f"{RT}/tasks/{sign['id']}/variables", headers=MARY))
    assert variables["Order"] == {"amount": 10, "approved": True}  # the BO was merged
    assert variables["Review"] == {"note": "fine"}
    only = ok(
        await stack.http.post(
            f"{RT}/tasks/{sign['id']}/variables", json={"names": ["Review"]}, headers=MARY
        )
    )
    assert only == {"Review": {"note": "fine"}}
    ok(await stack.http.post(f"{RT}/tasks/{sign['id']}/claim", headers=MARY))
    ok(await stack.http.post(f"{RT}/tasks/{sign['id']}/complete", json={}, headers=MARY))

    async def ended() -> str | None:
        row = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
        return row["state"] if row["state"] == "COMPLETED" else None

    assert await eventually(ended, what="the instance to complete") == "COMPLETED"
    assert await open_tasks(stack, instance_id, count=0) == []


async def test_user_must_be_the_caller_unless_impersonating(stack: Stack) -> None:
    instance_id = await start(stack)
    [review] = await open_tasks(stack, instance_id)
    url = f"{RT}/tasks/{review['id']}"
    # john may not claim or complete for mary, nor list her tasks
    body = refused(await stack.http.post(f"{url}/claim?user=mary", headers=JOHN), 403)
    assert "oneweb:impersonate" in body["message"]
    refused(await stack.http.post(f"{url}/complete?user=mary", json={}, headers=JOHN), 403)
    refused(await stack.http.get(f"{RT}/tasks", params={"user": "mary"}, headers=JOHN), 403)
    refused(await stack.http.get(f"{RT}/tasks", params={"group": "management"}, headers=JOHN), 403)
    [still] = await open_tasks(stack, instance_id)
    assert still["assignee"] is None  # nothing changed
    # mary (not a candidate) may not claim it for herself either
    refused(await stack.http.post(f"{url}/claim?user=mary", headers=MARY), 403)
    # the demo admin holds oneweb:impersonate: it claims for john
    ok(await stack.http.post(f"{url}/claim?user=john"))
    [claimed] = await open_tasks(stack, instance_id)
    assert claimed["assignee"] == "john"
    taken = refused(await stack.http.post(f"{url}/claim"), 409)  # john holds it
    assert taken["reason"] == "TaskAlreadyClaimed"
    # once john holds it, mary cannot complete it, and john can give it back
    refused(await stack.http.post(f"{url}/complete", json={}, headers=MARY), 403)
    ok(await stack.http.post(f"{url}/unclaim?user=john", headers=JOHN))
    [back] = await open_tasks(stack, instance_id)
    assert back["assignee"] is None


async def test_assignments(stack: Stack) -> None:
    instance_id = await start(stack)
    [review] = await open_tasks(stack, instance_id)
    url = f"{RT}/tasks/{review['id']}/assign"
    refused(await stack.http.post(f"{url}?user=mary", headers=JOHN), 403)  # no bpms:task:assign
    refused(await stack.http.post(url), 400)
    ok(await stack.http.post(f"{url}?user=mary&user=tom"))  # several: candidates
    task = (await stack.http.get(f"/v1/bpms/tasks/{review['id']}")).json()

    async def offered() -> dict[str, Any] | None:
        row = (await stack.http.get(f"/v1/bpms/tasks/{review['id']}")).json()
        return row if {"mary", "tom"} <= set(row["candidateUsers"]) else None

    task = await eventually(offered, what="the new candidates")
    assert task["assignee"] is None
    ok(await stack.http.post(f"{url}?user=mary"))  # one: the assignee
    [assigned] = await open_tasks(stack, instance_id)
    assert assigned["assignee"] == "mary"
    answer = await stack.http.post(f"{RT}/instance/{instance_id}/tasks/assign?user=john")
    assert ok(answer) == "" and answer.json()["totalRecordCount"] == 1
    [moved] = await open_tasks(stack, instance_id)
    assert moved["assignee"] == "john"
    refused(await stack.http.post(f"{RT}/instance/nope/tasks/assign?user=john"), 404)


async def test_starts_and_their_errors(stack: Stack) -> None:
    instance_id = await start(stack, object={"Order": {"amount": 1}})
    legacy = await stack.http.post(
        f"{RT}/process/oneweb-inbox/start", json={"Order": {"amount": 2}}
    )
    legacy_id = ok(legacy)
    assert legacy_id != instance_id
    vars_of = (await stack.http.get(f"/v1/bpms/process-instances/{legacy_id}/variables")).json()
    assert vars_of["processData"] == {"Order": {"amount": 2}}
    doc = (await stack.http.get("/openapi.json")).json()  # the legacy start is deprecated
    assert doc["paths"][f"{RT}/process/{{process_name}}/start"]["post"]["deprecated"] is True
    refused(await stack.http.post(f"{RT}/process/start", json={"processName": "nope"}), 404)
    refused(await stack.http.post(f"{RT}/process/nope/start", json={}), 404)
    refused(
        await stack.http.post(
            f"{RT}/process/start", json={"processName": "oneweb-inbox", "snapVersion": "x"}
        ),
        400,
    )
    bad = refused(await stack.http.post(f"{RT}/process/start", json={"appName": "crm"}), 400)
    assert "processName" in bad["message"]
    refused(await stack.http.post(f"{RT}/tasks/nope/claim"), 404)
    refused(await stack.http.get(f"{RT}/instance/nope/tasks"), 404)
    refused(await stack.http.get(f"{RT}/tasks"), 400)
    refused(await stack.http.post(f"{RT}/tasks/nope/variables"), 404)
    [review] = await open_tasks(stack, instance_id)
    ok(await stack.http.post(f"{RT}/tasks/{review['id']}/complete", json={}))
    # the same completion sent again (a client retrying) is answered with its outcome;
    # another completion of the finished task is refused
    ok(await stack.http.post(f"{RT}/tasks/{review['id']}/complete", json={}))
    again = refused(
        await stack.http.post(f"{RT}/tasks/{review['id']}/complete", json={"Other": {}}), 409
    )
    assert review["id"] in again["message"]


async def test_refresh_cache_makes_workers_drop_definitions(stack: Stack) -> None:
    await deploy(stack.http, ("inbox.bpmn", INBOX))
    found = (await stack.http.get("/v1/bpms/process-definitions/oneweb-inbox")).json()
    ref = c.DefinitionRef(key="oneweb-inbox", version=found["version"], sha256=found["sha256"])
    worker_side = InfrastructureActivities(stack.store)
    await worker_side.load_definition(ref)
    await worker_side.load_definition(ref)
    assert worker_side.loads == 1  # cached
    refused(await stack.http.post(f"{RT}/refreshCache", headers=JOHN), 403)
    assert ok(await stack.http.post(f"{RT}/refreshCache")) == "RefreshCache Success"
    await asyncio.sleep(1.1)  # workers look at the epoch at most once a second
    await worker_side.load_definition(ref)
    assert worker_side.loads == 2  # dropped and read again
    action = ok(
        await stack.http.post(
            f"{RT}/classAction",
            json={"fileNames": ["u-1.crm.oneweb-inbox.1.jar"], "event": "refresh"},
        )
    )
    assert action == {
        "responseStatus": "SUCCESS",
        "exception": "",
        "files": ["u-1.crm.oneweb-inbox.1.jar"],
        "process": ["oneweb-inbox"],
    }
    refused(await stack.http.post(f"{RT}/classAction", json={"event": "explode"}), 400)
