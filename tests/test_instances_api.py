"""``/v1/bpms/process-instances`` and ``/process-definitions``: start options (business data
kept apart, Idempotency-Key, waiting for the wait state), the filtered list, cancel,
variables, business data and the case history — against the real app, worker and server."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually, problem

LOAN = BPMN_DIR / "loan-application.bpmn"
FLAKY = BPMN_DIR / "flaky-service.bpmn"
JOHN = {"Authorization": "Bearer demo-john"}
INSTANCES = "/v1/bpms/process-instances"


async def test_definitions_versions_xml_and_ir(stack: Stack) -> None:
    first = await deploy(stack.http, LOAN)
    assert first.status_code == 201, first.text
    changed = LOAN.read_bytes().replace(b'name="Review application"', b'name="Review it"')
    second = await deploy(stack.http, ("loan-application.bpmn", changed))
    assert second.status_code == 201, second.text
    again = await deploy(stack.http, ("loan-application.bpmn", changed))
    loan = next(d for d in again.json()["definitions"] if d["key"] == "loan-application")
    assert (loan["version"], loan["new"]) == (2, False)

    versions = await stack.http.get("/v1/bpms/process-definitions/loan-application/versions")
    assert [d["version"] for d in versions.json()["items"]] == [2, 1]
    one = await stack.http.get(
        "/v1/bpms/process-definitions/loan-application/versions", params={"size": 1, "page": 1}
    )
    assert [d["version"] for d in one.json()["items"]] == [1] and one.json()["total"] == 2
    xml = await stack.http.get("/v1/bpms/process-definitions/loan-application/xml?version=1")
    assert xml.headers["content-type"].startswith("application/xml")
    assert 'name="Review application"' in xml.text and "Review it" not in xml.text
    latest_xml = await stack.http.get("/v1/bpms/process-definitions/loan-application/xml")
    assert "Review it" in latest_xml.text
    ir = (await stack.http.get("/v1/bpms/process-definitions/loan-application/ir")).json()
    assert ir["key"] == "loan-application" and ir["nodes"]["review"]["name"] == "Review it"
    listed = (await stack.http.get("/v1/bpms/process-definitions")).json()
    assert {d["key"]: d["version"] for d in listed["items"]}["loan-application"] == 2

    for path in ("nope/versions", "nope/xml", "nope/ir", "loan-application/xml?version=9"):
        problem(await stack.http.get(f"/v1/bpms/process-definitions/{path}"), 404)


async def test_start_keeps_business_data_apart_and_waits_for_the_first_task(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    started = await Baton(stack).started(
        "loan-application",
        businessKey="APP-1",
        processData={"applicationId": "APP-1", "amount": 5000},
        businessData={"customer": {"name": "Ada", "pesel": "85010112345"}},
        waitForWaitState=True,
    )
    assert started["settled"] is True
    assert [a["activityId"] for a in started["currentActivities"]] == ["review"]
    assert [t["taskDefinitionKey"] for t in started["openTasks"]] == ["review"]
    instance = (await stack.http.get(f"{INSTANCES}/{started['id']}")).json()
    assert instance["processData"] == {"applicationId": "APP-1", "amount": 5000}
    assert instance["businessData"] == {"customer": {"name": "Ada", "pesel": "85010112345"}}
    # the engine never saw the business data: not in the workflow's input either
    described = await stack.client.get_workflow_handle(started["id"]).fetch_history()
    first = described.events[0].workflow_execution_started_event_attributes.input
    assert b"85010112345" not in first.payloads[0].data
    assert b"business_data_ref" in first.payloads[0].data

    # the read model already shows the task when the start answers
    tasks = await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": started["id"]})
    assert tasks.json()["total"] == 1
    data = (await stack.http.get(f"/v1/bpms/tasks/{tasks.json()['items'][0]['id']}/data")).json()
    assert data["businessData"]["customer"]["name"] == "Ada"
    assert data["processData"]["amount"] == 5000

    patched = await stack.http.patch(
        f"{INSTANCES}/{started['id']}/business-data",
        json={"businessData": {"customer": None, "score": 7}},
    )
    assert patched.json()["businessData"] == {"score": 7}
    replaced = await stack.http.put(
        f"{INSTANCES}/{started['id']}/business-data", json={"businessData": {"x": 1}}
    )
    assert replaced.json()["businessData"] == {"x": 1}
    assert (await stack.http.get(f"{INSTANCES}/{started['id']}/variables")).json() == {
        "processData": {"applicationId": "APP-1", "amount": 5000},
        "businessData": {"x": 1},
    }


async def test_wait_for_wait_state_answers_202_when_it_takes_too_long(stack: Stack) -> None:
    await deploy(stack.http, FLAKY)
    r = await stack.http.post(
        INSTANCES,
        json={
            "processDefinitionKey": "flaky-service",
            "waitForWaitState": True,
            "waitTimeoutMs": 1,
        },
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"{INSTANCES}/{r.json()['id']}"
    assert r.json()["settled"] is False
    # given time, the instance reaches its wait state: an incident (2 attempts fail)
    waited = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": "flaky-service", "waitForWaitState": True},
    )
    assert waited.status_code == 201, waited.text
    assert waited.json()["settled"] is True
    assert [i["activityId"] for i in waited.json()["incidents"]] == ["callBackend"]


async def test_idempotency_key_names_one_instance(stack: Stack) -> None:
    await deploy(stack.http, LOAN, FLAKY)
    # keys are per caller and per Temporal namespace, which the test databases share
    key, other_key = f"crm-{uuid.uuid4()}", f"crm-{uuid.uuid4()}"
    body = {"processDefinitionKey": "loan-application", "processData": {"applicationId": "A"}}
    first = await stack.http.post(INSTANCES, json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = await stack.http.post(INSTANCES, json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    other = await stack.http.post(INSTANCES, json=body, headers={"Idempotency-Key": other_key})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # the key belongs to the caller: another user's same key is another instance
    johns = await stack.http.post(INSTANCES, json=body, headers={"Idempotency-Key": key, **JOHN})
    assert johns.status_code == 201 and johns.json()["id"] != first.json()["id"]
    misuse = await stack.http.post(
        INSTANCES,
        json={"processDefinitionKey": "flaky-service"},
        headers={"Idempotency-Key": key},
    )
    assert problem(misuse, 422)["field"] == "Idempotency-Key"
    rows = await eventually(
        lambda: _listed(stack, processDefinitionKey="loan-application"), what="3 instance rows"
    )
    assert rows["total"] == 3


async def _listed(stack: Stack, expect: int = 3, **params: Any) -> dict[str, Any] | None:
    page: dict[str, Any] = (await stack.http.get(INSTANCES, params=params)).json()
    return page if page["total"] >= expect else None


async def test_instance_list_filters_sorts_and_pages(stack: Stack) -> None:
    await deploy(stack.http, LOAN, FLAKY)
    for key in ("B-2", "B-1", "B-3"):
        await Baton(stack).started("loan-application", businessKey=key)
    failing = await Baton(stack).started("flaky-service", businessKey="F-1", waitForWaitState=True)
    assert failing["settled"] is True

    async def with_incident() -> dict[str, Any] | None:
        page: dict[str, Any] = (
            await stack.http.get(INSTANCES, params={"hasIncident": "true"})
        ).json()
        return page if page["total"] == 1 else None

    assert (await eventually(with_incident, what="the incident row"))["items"][0]["id"] == failing[
        "id"
    ]
    await eventually(lambda: _listed(stack, 4), what="4 rows")
    sorted_page = (
        await stack.http.get(
            INSTANCES,
            params={
                "processDefinitionKey": "loan-application",
                "sortBy": "businessKey",
                "sortOrder": "asc",
                "size": 2,
            },
        )
    ).json()
    assert [i["businessKey"] for i in sorted_page["items"]] == ["B-1", "B-2"]
    assert sorted_page["total"] == 3
    second = (
        await stack.http.get(
            INSTANCES,
            params={
                "processDefinitionKey": "loan-application",
                "sortBy": "businessKey",
                "sortOrder": "asc",
                "size": 2,
                "page": 1,
            },
        )
    ).json()
    assert [i["businessKey"] for i in second["items"]] == ["B-3"]
    by_key = (await stack.http.get(INSTANCES, params={"businessKey": "B-1"})).json()
    assert by_key["total"] == 1 and by_key["items"][0]["state"] == "ACTIVE"
    no_incident = (await stack.http.get(INSTANCES, params={"hasIncident": "false"})).json()
    assert failing["id"] not in {i["id"] for i in no_incident["items"]}
    start = sorted_page["items"][0]["startTime"]
    later = (
        await stack.http.get(INSTANCES, params={"startedAfter": "2999-01-01T00:00:00Z"})
    ).json()
    assert later["total"] == 0
    earlier = (await stack.http.get(INSTANCES, params={"startedBefore": start})).json()
    assert all(i["startTime"] < start for i in earlier["items"])
    bad = await stack.http.get(INSTANCES, params={"sortBy": "colour"})
    assert problem(bad, 422)["errors"][0]["field"] == "sortBy"
    bad_state = await stack.http.get(INSTANCES, params={"state": "SLEEPING"})
    assert problem(bad_state, 422)["errors"][0]["field"] == "state"


async def test_cancel_winds_the_instance_down(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    started = await Baton(stack).started("loan-application", waitForWaitState=True)
    url = f"{INSTANCES}/{started['id']}"
    cancelled = await stack.http.post(f"{url}/cancel", json={"reason": "customer withdrew"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["state"] == "TERMINATED" and body["endTime"] and body["openTasks"] == []
    described = await stack.client.get_workflow_handle(started["id"]).describe()
    assert described.status == WorkflowExecutionStatus.CANCELED

    async def task_row() -> dict[str, Any] | None:
        page = (
            await stack.http.get(
                "/v1/bpms/tasks", params={"processInstanceId": started["id"], "state": "CANCELED"}
            )
        ).json()
        return page["items"][0] if page["items"] else None

    assert (await eventually(task_row, what="the cancelled task row"))[
        "taskDefinitionKey"
    ] == "review"
    row = await eventually(
        lambda: _listed(stack, 1, state="TERMINATED"), what="the TERMINATED instance row"
    )
    assert row["items"][0]["id"] == started["id"]
    history = (await stack.http.get(f"{url}/history", params={"type": "PROCESS_CANCELLED"})).json()
    assert history["items"][0]["details"] == {"reason": "customer withdrew"}
    assert history["items"][0]["userId"] == "demo"

    problem(await stack.http.post(f"{url}/cancel", json={}), 409)
    problem(await stack.http.post(f"{INSTANCES}/nope/cancel", json={}), 404)


async def test_variables_put_patch_and_409_once_ended(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    started = await Baton(stack).started("loan-application", processData={"applicationId": "V-1"})
    url = f"{INSTANCES}/{started['id']}"
    one = await stack.http.put(f"{url}/variables/amount", json={"value": 1200}, headers=JOHN)
    assert one.status_code == 200, one.text
    assert one.json()["processData"] == {"applicationId": "V-1", "amount": 1200}
    several = await stack.http.patch(
        f"{url}/variables", json={"processData": {"amount": 900, "risk": {"level": "low"}}}
    )
    assert several.json()["processData"] == {
        "applicationId": "V-1",
        "amount": 900,
        "risk": {"level": "low"},
    }
    history = (await stack.http.get(f"{url}/history", params={"type": "VARIABLES_UPDATED"})).json()
    assert [(e["userId"], e["details"]["names"]) for e in history["items"]] == [
        ("john", ["amount"]),
        ("demo", ["amount", "risk"]),
    ]
    problem(await stack.http.patch(f"{url}/variables", json={"processData": {}}), 422)
    problem(await stack.http.put(f"{INSTANCES}/nope/variables/x", json={"value": 1}), 404)
    await stack.http.post(f"{url}/cancel", json={})
    ended = await stack.http.put(f"{url}/variables/amount", json={"value": 1})
    problem(ended, 409)
    assert (await stack.http.get(f"{url}/variables")).json()["processData"]["amount"] == 900


async def test_case_history_covers_the_life_of_an_instance(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    started = await Baton(stack).started(
        "loan-application", processData={"applicationId": "H-1"}, waitForWaitState=True
    )
    url = f"{INSTANCES}/{started['id']}"
    task_id = started["openTasks"][0]["id"]
    assert (
        await stack.http.post(f"/v1/bpms/tasks/{task_id}/claim", headers=JOHN)
    ).status_code == 200
    done = await stack.http.post(
        f"/v1/bpms/tasks/{task_id}/complete", json={"processData": {"ok": True}}, headers=JOHN
    )
    assert done.status_code == 200, done.text
    correlated = await stack.http.post(
        "/v1/bpms/messages/correlate",
        json={"messageName": "documents-received", "correlationKey": "H-1"},
    )
    assert correlated.status_code == 200, correlated.text

    async def ended() -> dict[str, Any] | None:
        view: dict[str, Any] = (await stack.http.get(url)).json()
        return view if view["state"] == "COMPLETED" else None

    await eventually(ended, what="the end")
    entries = (await stack.http.get(f"{url}/history")).json()["items"]
    kinds = [e["type"] for e in entries]
    for kind in (
        "PROCESS_STARTED",
        "ACTIVITY_STARTED",
        "TASK_CREATED",
        "TASK_CLAIMED",
        "TASK_COMPLETED",
        "VARIABLES_UPDATED",
        "MESSAGE_CORRELATED",
        "ACTIVITY_COMPLETED",
        "PROCESS_ENDED",
    ):
        assert kind in kinds, (kind, kinds)
    assert kinds[0] == "PROCESS_STARTED" and kinds[-1] == "PROCESS_ENDED"
    completed = next(e for e in entries if e["type"] == "TASK_COMPLETED")
    assert (completed["userId"], completed["activityId"]) == ("john", "review")
    assert all(e["timestamp"] for e in entries)
    paged = (await stack.http.get(f"{url}/history", params={"size": 2, "page": 1})).json()
    assert paged["total"] == len(entries) and paged["items"] == entries[2:4]
    problem(await stack.http.get(f"{INSTANCES}/nope/history"), 404)


async def test_cancelling_a_completed_instance_is_409_and_changes_nothing(stack: Stack) -> None:
    key = f"straight-{uuid.uuid4().hex[:6]}"
    diagram = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_{key}">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()
    assert (await deploy(stack.http, (f"{key}.bpmn", diagram))).status_code == 201
    started = await Baton(stack).started(key, processData={"kept": 1})
    handle = stack.client.get_workflow_handle(started["id"])
    await handle.result()
    url = f"{INSTANCES}/{started['id']}"
    refused = problem(await stack.http.post(f"{url}/cancel", json={"reason": "late"}), 409)
    assert "COMPLETED" in refused["detail"] and refused["code"] == "InstanceEnded"
    cancelled = await stack.http.get(f"{url}/history", params={"type": "PROCESS_CANCELLED"})
    assert cancelled.json()["items"] == []
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    view = (await stack.http.get(f"{INSTANCES}/{started['id']}")).json()
    assert view["state"] == "COMPLETED" and view["processData"] == {"kept": 1}
