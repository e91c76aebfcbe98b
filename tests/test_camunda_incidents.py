"""``/engine-rest`` incidents, failed jobs, historic incidents and definition statistics,
as Cockpit and Camunda's clients use them: a service task whose Temporal activity runs
out of attempts is a ``failedJob`` incident and a job with 0 retries; setting the job's
retries runs the element again through the instance; the statistics count instances and
incidents per element. Real worker, Temporal dev server and store."""

from __future__ import annotations

from typing import Any

from baton_client.contracts import bpmn as c

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually

ER = "/engine-rest"


async def _open_incident(stack: Stack, instance_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        r = await stack.http.get(f"{ER}/incident", params={"processInstanceId": instance_id})
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()
        return items[0] if items else None

    return await eventually(found, what="an open incident", timeout=30)


async def test_failed_job_is_an_incident_and_a_job_retried_by_setting_retries(
    stack: Stack,
) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    definition = (await stack.http.get(f"{ER}/process-definition/key/flaky-service")).json()
    instance_id = await Baton(stack).start("flaky-service")

    incident = await _open_incident(stack, instance_id)
    assert incident["incidentType"] == "failedJob"
    assert incident["activityId"] == incident["failedActivityId"] == "callBackend"
    assert incident["processDefinitionId"] == definition["id"]
    assert incident["processInstanceId"] == incident["executionId"] == instance_id
    assert incident["configuration"] == incident["id"]  # the job's id
    assert "backend down" in incident["incidentMessage"]
    assert incident["tenantId"] is None and incident["annotation"] is None
    one = await stack.http.get(f"{ER}/incident/{incident['id']}")
    assert one.status_code == 200 and one.json() == incident
    count = await stack.http.get(f"{ER}/incident/count", params={"incidentType": "failedJob"})
    assert count.json()["count"] >= 1
    by_config = await stack.http.get(
        f"{ER}/incident", params={"configuration": incident["id"], "processInstanceId": instance_id}
    )
    assert [i["id"] for i in by_config.json()] == [incident["id"]]
    none = await stack.http.get(
        f"{ER}/incident",
        params={"processInstanceId": instance_id, "incidentType": "failedExternalTask"},
    )
    assert none.json() == []
    like = await stack.http.get(
        f"{ER}/incident",
        params={"processInstanceId": instance_id, "incidentMessageLike": "%backend down%"},
    )
    assert len(like.json()) == 1

    # Camunda resolves only custom incidents by DELETE: a failed job is retried instead
    refused = await stack.http.delete(f"{ER}/incident/{incident['id']}")
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"] == "InvalidRequestException"
    assert "failedJob" in refused.json()["message"]

    # the same failure is a job with no retries left
    jobs = (await stack.http.get(f"{ER}/job", params={"processInstanceId": instance_id})).json()
    assert len(jobs) == 1
    job = jobs[0]
    assert job["id"] == incident["id"] and job["retries"] == 0
    assert job["failedActivityId"] == "callBackend" and "backend down" in job["exceptionMessage"]
    assert job["processDefinitionKey"] == "flaky-service"
    assert job["processDefinitionId"] == definition["id"]
    assert (await stack.http.get(f"{ER}/job/{job['id']}")).json() == job
    trace = await stack.http.get(f"{ER}/job/{job['id']}/stacktrace")
    assert trace.status_code == 200 and "backend down" in trace.text
    assert trace.headers["content-type"].startswith("text/plain")
    retries_left = await stack.http.get(
        f"{ER}/job", params={"processInstanceId": instance_id, "withRetriesLeft": "true"}
    )
    assert retries_left.json() == []
    no_retries = await stack.http.get(
        f"{ER}/job/count", params={"processInstanceId": instance_id, "noRetriesLeft": "true"}
    )
    assert no_retries.json() == {"count": 1}

    # what Cockpit draws: one instance at callBackend, with its failed job
    async def on_diagram() -> list[dict[str, Any]] | None:
        r = await stack.http.get(
            f"{ER}/process-definition/{definition['id']}/statistics",
            params={"failedJobs": "true", "incidents": "true"},
        )
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()
        at = [s for s in found if s["id"] == "callBackend"]
        return found if at and at[0]["instances"] >= 1 else None

    stats = {s["id"]: s for s in await eventually(on_diagram, what="element statistics")}
    backend = stats["callBackend"]
    assert backend["failedJobs"] >= 1
    assert {"incidentType": "failedJob", "incidentCount": backend["failedJobs"]} in backend[
        "incidents"
    ]
    by_key = await stack.http.get(
        f"{ER}/process-definition/key/flaky-service/statistics",
        params={"incidentsForType": "failedExternalTask"},
    )
    assert all(s["incidents"] == [] and s["failedJobs"] == 0 for s in by_key.json())
    overall = await stack.http.get(
        f"{ER}/process-definition/statistics", params={"failedJobs": "true", "rootIncidents": "1"}
    )
    mine = [s for s in overall.json() if s["id"] == definition["id"]]
    assert mine and mine[0]["instances"] >= 1 and mine[0]["failedJobs"] >= 1
    assert mine[0]["definition"]["key"] == "flaky-service"
    both = await stack.http.get(
        f"{ER}/process-definition/statistics", params={"incidents": "true", "rootIncidents": "true"}
    )
    assert both.status_code == 400 and both.json()["type"] == "InvalidRequestException"

    # retry: fix the backend's input, set the job's retries; the element runs again
    fixed = await stack.http.post(
        f"{ER}/process-instance/{instance_id}/variables",
        json={"modifications": {"backendUp": {"value": True, "type": "Boolean"}}},
    )
    assert fixed.status_code == 204, fixed.text
    retried = await stack.http.put(f"{ER}/job/{job['id']}/retries", json={"retries": 1})
    assert retried.status_code == 204, retried.text
    result = await stack.client.get_workflow_handle(
        instance_id, result_type=c.ProcessResult
    ).result()
    assert result.variables["backendCalls"] == 1

    async def closed() -> list[dict[str, Any]] | None:
        r = await stack.http.get(
            f"{ER}/history/incident", params={"processInstanceId": instance_id}
        )
        found: list[dict[str, Any]] = r.json()
        return found if found and not found[0]["open"] else None

    historic = (await eventually(closed, what="the incident closed in history"))[0]
    assert historic["id"] == incident["id"] and historic["resolved"] is True
    assert historic["deleted"] is False and historic["endTime"] is not None
    assert historic["processDefinitionKey"] == "flaky-service"
    assert historic["createTime"] == incident["incidentTimestamp"]
    gone = await stack.http.get(f"{ER}/incident/{incident['id']}")
    assert gone.status_code == 404
    assert (await stack.http.get(f"{ER}/job/{job['id']}")).status_code == 404
    resolved = await stack.http.get(
        f"{ER}/history/incident/count",
        params={"processInstanceId": instance_id, "resolved": "true"},
    )
    assert resolved.json() == {"count": 1}


async def test_cancelling_the_instance_deletes_its_incident(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    instance_id = await Baton(stack).start("flaky-service")
    incident = await _open_incident(stack, instance_id)
    cancelled = await stack.http.delete(f"{ER}/process-instance/{instance_id}")
    assert cancelled.status_code == 204, cancelled.text

    async def deleted() -> dict[str, Any] | None:
        r = await stack.http.get(
            f"{ER}/history/incident", params={"processInstanceId": instance_id, "deleted": "true"}
        )
        found: list[dict[str, Any]] = r.json()
        return found[0] if found else None

    historic = await eventually(deleted, what="the incident deleted in history")
    assert historic["id"] == incident["id"] and historic["resolved"] is False
    assert historic["open"] is False and historic["endTime"] is not None
    still_open = await stack.http.get(
        f"{ER}/history/incident/count", params={"processInstanceId": instance_id, "open": "true"}
    )
    assert still_open.json() == {"count": 0}


async def test_unknown_jobs_and_incidents_are_404_and_retries_need_the_privilege(
    stack: Stack,
) -> None:
    for method, path, body in (
        ("GET", f"{ER}/incident/nope", None),
        ("DELETE", f"{ER}/incident/nope", None),
        ("GET", f"{ER}/job/nope", None),
        ("GET", f"{ER}/job/nope/stacktrace", None),
        ("PUT", f"{ER}/job/nope/retries", {"retries": 1}),
        ("POST", f"{ER}/job/nope/execute", None),
    ):
        r = await stack.http.request(method, path, json=body)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert set(r.json()) >= {"type", "message"}
    negative = await stack.http.put(f"{ER}/job/nope/retries", json={"retries": -1})
    assert negative.status_code == 400 and "retries" in negative.json()["message"]
    unsorted = await stack.http.get(f"{ER}/incident", params={"sortBy": "incidentId"})
    assert unsorted.status_code == 400
    sorted_ = await stack.http.get(
        f"{ER}/incident", params={"sortBy": "incidentTimestamp", "sortOrder": "desc"}
    )
    assert sorted_.status_code == 200

    issued = await stack.http.post(
        "/apikey", json={"name": "reader", "privileges": ["bpms:incident:read"]}
    )
    token = issued.json()["token"]
    denied = await stack.http.put(
        f"{ER}/job/nope/retries",
        json={"retries": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert denied.status_code == 403 and denied.json()["type"] == "AuthorizationException"


async def test_instances_are_never_suspended(stack: Stack) -> None:
    await deploy(stack.http, BPMN_DIR / "flaky-service.bpmn")
    instance_id = await Baton(stack).start("flaky-service")
    url = f"{ER}/process-instance/{instance_id}/suspended"
    assert (await stack.http.put(url, json={"suspended": False})).status_code == 204
    refused = await stack.http.put(url, json={"suspended": True})
    assert refused.status_code == 409 and refused.json()["type"] == "ProcessEngineException"
    missing = await stack.http.put(
        f"{ER}/process-instance/nope/suspended", json={"suspended": False}
    )
    assert missing.status_code == 404 and missing.json()["type"] == "InvalidRequestException"
    view = (await stack.http.get(f"{ER}/process-instance/{instance_id}")).json()
    assert view["suspended"] is False and view["ended"] is False
