"""The Eximee seed's three example scenarios, end to end through /v1/bpms against the real
app, worker, Temporal dev server and database:

1. a CRM starts a process and tracks the instance status;
2. a user task is approved while passing variables;
3. a service-task incident is retried after the backend recovers.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import BPMN_DIR, Stack
from tests.support.http import deploy, eventually, problem

INSTANCES = "/v1/bpms/process-instances"
CRM = {"Authorization": "Bearer demo-demo"}
CLERK = {"Authorization": "Bearer demo-john"}  # in group "accounting"
OUTSIDER = {"Authorization": "Bearer demo-mary"}


async def _status(stack: Stack, instance_id: str) -> dict[str, Any]:
    r = await stack.http.get(f"{INSTANCES}/{instance_id}", headers=CRM)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


async def test_crm_starts_a_process_and_tracks_its_status(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "loan-application.bpmn")
    case = f"CASE-{uuid.uuid4().hex[:8]}"
    request = {
        "processDefinitionKey": "loan-application",
        "businessKey": case,
        "processData": {"applicationId": case, "amount": 25_000},
        "businessData": {"applicant": {"name": "Ada Lovelace", "income": 9000}},
        "waitForWaitState": True,
    }
    started = await stack.http.post(
        INSTANCES, json=request, headers={**CRM, "Idempotency-Key": case}
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    assert started.headers["location"] == f"{INSTANCES}/{instance_id}"
    # the CRM's retry after a lost answer finds the same instance
    retried = await stack.http.post(
        INSTANCES, json=request, headers={**CRM, "Idempotency-Key": case}
    )
    assert (retried.status_code, retried.json()["id"]) == (200, instance_id)

    status = await _status(stack, instance_id)
    assert (status["state"], status["businessKey"]) == ("ACTIVE", case)
    assert [a["activityId"] for a in status["currentActivities"]] == ["review"]
    assert status["businessData"]["applicant"]["name"] == "Ada Lovelace"
    assert "applicant" not in status["processData"]  # business data never drives the engine

    async def listed(state: str) -> dict[str, Any] | None:
        page = (await stack.http.get(INSTANCES, params={"businessKey": case}, headers=CRM)).json()
        return (
            page["items"][0] if page["total"] == 1 and page["items"][0]["state"] == state else None
        )

    await eventually(lambda: listed("ACTIVE"), what="the case in the process list")

    task_id = status["openTasks"][0]["id"]
    approved = await stack.http.post(
        f"/v1/bpms/tasks/{task_id}/complete", json={"processData": {"ok": True}}, headers=CLERK
    )
    assert approved.status_code == 200, approved.text
    waiting = await eventually(
        lambda: _at(stack, instance_id, "documents"), what="the wait for documents"
    )
    assert waiting["state"] == "ACTIVE"
    sent = await stack.http.post(
        "/v1/bpms/messages",
        json={"messageName": "documents-received", "businessKey": case, "correlationKey": case},
        headers=CRM,
    )
    assert sent.status_code == 200, sent.text
    done = await eventually(lambda: listed("COMPLETED"), what="the completed case")
    assert done["endTime"]
    history = (await stack.http.get(f"{INSTANCES}/{instance_id}/history", headers=CRM)).json()
    kinds = [e["type"] for e in history["items"]]
    assert kinds[0] == "PROCESS_STARTED" and kinds[-1] == "PROCESS_ENDED"
    assert kinds.count("TASK_COMPLETED") == 1 and "MESSAGE_CORRELATED" in kinds


async def _at(stack: Stack, instance_id: str, element: str) -> dict[str, Any] | None:
    view = await _status(stack, instance_id)
    return view if [a["activityId"] for a in view["currentActivities"]] == [element] else None


async def test_a_user_task_is_approved_with_variables(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "loan-application.bpmn")
    case = f"APP-{uuid.uuid4().hex[:8]}"
    started = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "loan-application",
            "businessKey": case,
            "processData": {"applicationId": case, "amount": 1200},
            "businessData": {"applicant": "Grace"},
            "waitForWaitState": True,
        },
    )
    instance_id = started.json()["id"]

    async def in_inbox() -> dict[str, Any] | None:
        page = (
            await stack.http.get(
                "/v1/bpms/tasks",
                params={"candidateGroup": "accounting", "businessKey": case},
                headers=CLERK,
            )
        ).json()
        return page["items"][0] if page["items"] else None

    task = await eventually(in_inbox, what="the task in the accounting inbox")
    url = f"/v1/bpms/tasks/{task['id']}"
    data = (await stack.http.get(f"{url}/data", headers=CLERK)).json()
    assert data["processData"]["amount"] == 1200 and data["businessData"] == {"applicant": "Grace"}
    problem(await stack.http.post(f"{url}/claim", headers=OUTSIDER), 403)  # not a candidate
    claimed = await stack.http.post(f"{url}/claim", headers=CLERK)
    assert claimed.json()["assignee"] == "john"
    problem(await stack.http.post(f"{url}/complete", json={}, headers=OUTSIDER), 403)

    approved = await stack.http.post(
        f"{url}/complete",
        json={
            "processData": {"decision": "approved", "limit": 1500},
            "businessData": {"note": "verified by phone"},
            "withVariablesInReturn": True,
        },
        headers=CLERK,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["processData"] == {
        "applicationId": case,
        "amount": 1200,
        "decision": "approved",
        "limit": 1500,
    }
    again = await stack.http.post(f"{url}/complete", json={}, headers=CLERK)
    assert problem(again, 409)["detail"]
    status = await _status(stack, instance_id)
    assert status["processData"]["decision"] == "approved"
    assert status["businessData"] == {"applicant": "Grace", "note": "verified by phone"}
    history = (await stack.http.get(f"{INSTANCES}/{instance_id}/history")).json()["items"]
    completed = [e for e in history if e["type"] == "TASK_COMPLETED"]
    assert [(e["userId"], e["activityId"]) for e in completed] == [("john", "review")]


async def test_a_service_task_incident_is_retried_after_the_backend_recovers(
    stack: Stack,
) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    started = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "flaky-service",
            "businessKey": "FLAKY-1",
            "waitForWaitState": True,
        },
    )
    instance_id = started.json()["id"]
    assert started.json()["incidents"][0]["activityId"] == "callBackend"

    async def open_incident() -> dict[str, Any] | None:
        page = (
            await stack.http.get(
                "/v1/bpms/incidents", params={"processInstanceId": instance_id, "state": "OPEN"}
            )
        ).json()
        return page["items"][0] if page["items"] else None

    incident = await eventually(open_incident, what="the incident in the list")
    detail = (await stack.http.get(f"/v1/bpms/incidents/{incident['id']}")).json()
    assert detail["activityId"] == "callBackend" and detail["attempts"] == 2
    assert "backend down" in detail["message"]
    assert (await _status(stack, instance_id))["state"] == "INCIDENT"

    # the backend recovers (here: the flag the stand-in backend checks); the operator retries
    retried = await stack.http.post(
        f"/v1/bpms/incidents/{incident['id']}/retry", json={"processData": {"backendUp": True}}
    )
    assert retried.status_code == 204, retried.text

    async def completed() -> dict[str, Any] | None:
        view = await _status(stack, instance_id)
        return view if view["state"] == "COMPLETED" else None

    view = await eventually(completed, what="the instance to complete after the retry")
    assert view["processData"]["backendCalls"] == 1
    assert [i["state"] for i in view["incidents"]] == ["RESOLVED"]
    problem(await stack.http.post(f"/v1/bpms/incidents/{incident['id']}/retry", json={}), 409)
