"""``/engine-rest`` user tasks, process instances and history (issue 20): a whole
user-task process driven through Camunda's REST API only -- deploy as Modeler does,
start by key with typed variables and a business key, the candidate group's task list,
claim, complete with typed variables, then the instance's history -- and Camunda's
error bodies for an unknown task and a task claimed by someone else. Real app, worker
and Temporal server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.support import bpmn
from tests.support.http import eventually
from tests.test_camunda_rest import camunda_error, modeler_deploy

JOHN = {"Authorization": "Bearer demo-john"}  # role accounting
MARY = {"Authorization": "Bearer demo-mary"}  # role management

REVIEW = bpmn.diagram(
    "camunda-review",
    "\n".join(
        [
            bpmn.start(),
            '<bpmn:userTask id="review" name="Review claim" '
            'camunda:candidateGroups="accounting,management"/>',
            bpmn.end(),
            bpmn.flows("s>review", "review>e"),
        ]
    ),
)


async def _one_task(http: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        answer = await http.get("/engine-rest/task", params=params, headers=JOHN)
        assert answer.status_code == 200, answer.text
        tasks: list[dict[str, Any]] = answer.json()
        return tasks[0] if tasks else None

    return await eventually(found, what=f"a task for {params}")


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_user_task_process_through_engine_rest_only(stack: Stack) -> None:
    http = stack.http
    deployed = await modeler_deploy(http, *REVIEW, deployment="review")
    assert deployed.status_code == 200, deployed.text
    (definition_id,) = deployed.json()["deployedProcessDefinitions"]

    started = await http.post(
        "/engine-rest/process-definition/key/camunda-review/start",
        json={
            "businessKey": "CLAIM-42",
            "variables": {
                "amount": {"value": 1200, "type": "Integer"},
                "customer": {"value": "Ada", "type": "String"},
            },
        },
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]

    # the candidate group's list: Camunda's TaskDto
    task = await _one_task(http, candidateGroup="accounting", processDefinitionKey="camunda-review")
    assert task["processInstanceId"] == instance_id
    assert task["processDefinitionId"] == definition_id
    assert task["taskDefinitionKey"] == "review" and task["name"] == "Review claim"
    assert task["assignee"] is None and task["suspended"] is False
    assert task["created"][10] == "T" and task["created"][-5] in "+-"
    assert task["tenantId"] is None and task["caseInstanceId"] is None
    assert task["taskState"] == "Created"
    task_id = task["id"]
    count = await http.get(
        "/engine-rest/task/count",
        params={"candidateGroups": "accounting,sales", "processInstanceBusinessKey": "CLAIM-42"},
    )
    assert count.json() == {"count": 1}
    queried = await http.post(
        "/engine-rest/task",
        json={"processInstanceId": instance_id, "sorting": [{"sortBy": "created"}], "x": 1},
    )
    assert [t["id"] for t in queried.json()] == [task_id]
    links = (await http.get(f"/engine-rest/task/{task_id}/identity-links")).json()
    assert {"userId": None, "groupId": "accounting", "type": "candidate"} in links
    seen = (await http.get(f"/engine-rest/task/{task_id}/variables")).json()
    assert seen["amount"] == {"type": "Integer", "value": 1200, "valueInfo": {}}
    single = await http.get(f"/engine-rest/task/{task_id}/variables/customer")
    assert single.json() == {"type": "String", "value": "Ada", "valueInfo": {}}
    camunda_error(
        await http.get(f"/engine-rest/task/{task_id}/variables/nope"),
        404,
        "InvalidRequestException",
    )
    form = (
        await http.get(f"/engine-rest/task/{task_id}/form-variables?variableNames=customer")
    ).json()
    assert list(form) == ["customer"]

    # the runtime instance
    running = (await http.get(f"/engine-rest/process-instance/{instance_id}")).json()
    assert running["definitionId"] == definition_id and running["businessKey"] == "CLAIM-42"
    assert running["ended"] is False
    listed = await http.get("/engine-rest/process-instance", params={"businessKey": "CLAIM-42"})
    assert [i["id"] for i in listed.json()] == [instance_id]
    by_body = await http.post(
        "/engine-rest/process-instance?maxResults=5",
        json={"processDefinitionKey": "camunda-review", "sorting": [{"sortBy": "instanceId"}]},
    )
    assert [i["id"] for i in by_body.json()] == [instance_id]
    counted = await http.post(
        "/engine-rest/process-instance/count", json={"processInstanceIds": [instance_id, "x"]}
    )
    assert counted.json() == {"count": 1}
    one = await http.get(f"/engine-rest/process-instance/{instance_id}/variables/amount")
    assert one.json() == {"type": "Integer", "value": 1200, "valueInfo": {}}
    tree = (
        await http.get(f"/engine-rest/process-instance/{instance_id}/activity-instances")
    ).json()
    assert [a["activityId"] for a in tree["childActivityInstances"]] == ["review"]

    # claim: 204; someone else's claim: Camunda's TaskAlreadyClaimedException
    claimed = await http.post(
        f"/engine-rest/task/{task_id}/claim", json={"userId": "john"}, headers=JOHN
    )
    assert claimed.status_code == 204, claimed.text
    refused = camunda_error(
        await http.post(
            f"/engine-rest/task/{task_id}/claim", json={"userId": "mary"}, headers=MARY
        ),
        409,
        "TaskAlreadyClaimedException",
    )
    assert refused["message"] == f"Task '{task_id}' is already claimed by someone else."

    async def assigned() -> dict[str, Any] | None:
        row: dict[str, Any] = (await http.get(f"/engine-rest/task/{task_id}")).json()
        return row if row["assignee"] == "john" else None

    await eventually(assigned, what="john as the assignee in the read model")
    mine = await http.get("/engine-rest/task", params={"assignee": "john"}, headers=JOHN)
    assert task_id in [t["id"] for t in mine.json()]

    completed = await http.post(
        f"/engine-rest/task/{task_id}/complete",
        json={
            "variables": {
                "approved": {"value": True, "type": "Boolean"},
                "note": {"value": '{"by": "john"}', "type": "Json"},
            },
            "withVariablesInReturn": True,
        },
        headers=JOHN,
    )
    assert completed.status_code == 200, completed.text
    returned = completed.json()
    assert returned["approved"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert returned["amount"]["value"] == 1200

    # history of the instance
    async def finished() -> list[dict[str, Any]] | None:
        answer = await http.get(
            "/engine-rest/history/process-instance",
            params={
                "processInstanceBusinessKey": "CLAIM-42",
                "finished": "true",
                "completed": "true",
                "startedAfter": "2020-01-01T00:00:00.000+0000",
            },
        )
        rows: list[dict[str, Any]] = answer.json()
        return rows or None

    (historic,) = await eventually(finished, what="the finished instance in history")
    assert historic["id"] == instance_id and historic["state"] == "COMPLETED"
    assert historic["processDefinitionId"] == definition_id
    assert historic["endTime"] is not None and historic["durationInMillis"] >= 0
    by_id = await http.get(f"/engine-rest/history/process-instance/{instance_id}")
    assert by_id.json()["state"] == "COMPLETED"
    assert (
        await http.get(
            "/engine-rest/history/process-instance/count",
            params={"processDefinitionKey": "camunda-review"},
        )
    ).json() == {"count": 1}

    async def task_ended() -> list[dict[str, Any]] | None:
        answer = await http.get(
            "/engine-rest/history/task",
            params={"processInstanceId": instance_id, "finished": "true"},
        )
        rows: list[dict[str, Any]] = answer.json()
        return rows or None

    (historic_task,) = await eventually(task_ended, what="the completed task in history")
    assert historic_task["id"] == task_id and historic_task["assignee"] == "john"
    assert historic_task["deleteReason"] == "completed" and historic_task["endTime"]
    assert historic_task["taskState"] == "Completed"
    variables = (
        await http.get(
            "/engine-rest/history/variable-instance", params={"processInstanceId": instance_id}
        )
    ).json()
    typed = {v["name"]: (v["type"], v["value"]) for v in variables}
    assert typed["approved"] == ("Boolean", True)
    assert typed["amount"] == ("Integer", 1200)
    assert typed["note"] == ("Json", '{"by":"john"}')
    activities = (
        await http.get(
            "/engine-rest/history/activity-instance", params={"processInstanceId": instance_id}
        )
    ).json()
    assert [a["activityId"] for a in activities] == ["s", "review", "e"]
    assert all(a["endTime"] and not a["canceled"] for a in activities)
    # ended: gone from the runtime views
    gone = await http.get(f"/engine-rest/process-instance/{instance_id}")
    camunda_error(gone, 404, "InvalidRequestException")
    assert (
        await http.get("/engine-rest/task", params={"processInstanceId": instance_id})
    ).json() == []


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_task_and_instance_errors_in_camundas_shape(stack: Stack) -> None:
    http = stack.http
    missing = camunda_error(
        await http.get("/engine-rest/task/no-such-task"), 404, "InvalidRequestException"
    )
    assert missing["message"] == "No matching task with id no-such-task"
    camunda_error(
        await http.post("/engine-rest/task/no-such-task/claim", json={"userId": "demo"}),
        404,
        "NullValueException",
    )
    camunda_error(
        await http.post("/engine-rest/task/no-such-task/complete", json={}),
        404,
        "NullValueException",
    )
    camunda_error(
        await http.get("/engine-rest/task/no-such-task/identity-links"),
        404,
        "InvalidRequestException",
    )
    camunda_error(
        await http.get("/engine-rest/task?sortBy=created"), 400, "InvalidRequestException"
    )
    camunda_error(
        await http.get("/engine-rest/task?dueBefore=yesterday"), 400, "InvalidRequestException"
    )
    camunda_error(
        await http.get("/engine-rest/process-instance/nope"), 404, "InvalidRequestException"
    )
    camunda_error(
        await http.get("/engine-rest/history/process-instance/nope"), 404, "InvalidRequestException"
    )
    camunda_error(
        await http.get("/engine-rest/history/variable-instance"), 400, "InvalidRequestException"
    )
    unknown = await http.get("/engine-rest/history/variable-instance?processInstanceId=nope")
    assert unknown.status_code == 200 and unknown.json() == []
    # claiming for someone else needs the impersonation privilege
    camunda_error(
        await http.post("/engine-rest/task/whatever/claim", json={"userId": "mary"}, headers=JOHN),
        403,
        "AuthorizationException",
    )

    # a bad typed variable on complete names it; deleting an instance cancels it
    await modeler_deploy(http, *REVIEW, deployment="review")
    started = await http.post(
        "/engine-rest/process-definition/key/camunda-review/start", json={"businessKey": "B-1"}
    )
    instance_id = started.json()["id"]
    task = await _one_task(http, processInstanceId=instance_id)
    bad = camunda_error(
        await http.post(
            f"/engine-rest/task/{task['id']}/complete",
            json={"variables": {"amount": {"value": "lots", "type": "Integer"}}},
        ),
        400,
        "InvalidRequestException",
    )
    assert "'amount'" in bad["message"]
    set_one = await http.put(
        f"/engine-rest/process-instance/{instance_id}/variables/level",
        json={"value": 3, "type": "Long"},
    )
    assert set_one.status_code == 204, set_one.text
    modified = await http.post(
        f"/engine-rest/process-instance/{instance_id}/variables",
        json={"modifications": {"flag": {"value": "true", "type": "Boolean"}}},
    )
    assert modified.status_code == 204, modified.text
    values = (await http.get(f"/engine-rest/process-instance/{instance_id}/variables")).json()
    assert values["level"]["value"] == 3 and values["flag"]["value"] is True

    deleted = await http.delete(f"/engine-rest/process-instance/{instance_id}")
    assert deleted.status_code == 204, deleted.text

    async def terminated() -> dict[str, Any] | None:
        row: dict[str, Any] = (
            await http.get(f"/engine-rest/history/process-instance/{instance_id}")
        ).json()
        return row if row.get("state") == "EXTERNALLY_TERMINATED" else None

    await eventually(terminated, what="the deleted instance in history")
    again = await http.delete(f"/engine-rest/process-instance/{instance_id}")
    camunda_error(again, 404, "InvalidRequestException")
    quiet = await http.delete(f"/engine-rest/process-instance/{instance_id}?failIfNotExists=false")
    assert quiet.status_code == 204


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_assign_delegate_resolve_unclaim(stack: Stack) -> None:
    """Camunda's delegation: the owner delegates, the delegate resolves with variables
    and the task is back with its owner; then assignee and unclaim."""
    http = stack.http
    await modeler_deploy(http, *REVIEW, deployment="review")
    started = await http.post("/engine-rest/process-definition/key/camunda-review/start")
    instance_id = started.json()["id"]
    task_id = (await _one_task(http, processInstanceId=instance_id))["id"]

    async def row(**expected: Any) -> dict[str, Any]:
        async def matches() -> dict[str, Any] | None:
            got: dict[str, Any] = (await http.get(f"/engine-rest/task/{task_id}")).json()
            return got if all(got[k] == v for k, v in expected.items()) else None

        return await eventually(matches, what=f"the task with {expected}")

    assigned = await http.post(f"/engine-rest/task/{task_id}/assignee", json={"userId": "john"})
    assert assigned.status_code == 204, assigned.text
    await row(assignee="john")
    delegated = await http.post(
        f"/engine-rest/task/{task_id}/delegate", json={"userId": "mary"}, headers=JOHN
    )
    assert delegated.status_code == 204, delegated.text
    await row(assignee="mary", owner="john", delegationState="PENDING")
    involved = await http.get("/engine-rest/task/count", params={"involvedUser": "john"})
    assert involved.json() == {"count": 1}
    resolved = await http.post(
        f"/engine-rest/task/{task_id}/resolve",
        json={"variables": {"checked": {"value": True, "type": "Boolean"}}},
        headers=MARY,
    )
    assert resolved.status_code == 204, resolved.text
    await row(assignee="john", delegationState="RESOLVED")
    seen = (await http.get(f"/engine-rest/task/{task_id}/variables")).json()
    assert seen["checked"]["value"] is True
    unclaimed = await http.post(f"/engine-rest/task/{task_id}/unclaim", headers=JOHN)
    assert unclaimed.status_code == 204, unclaimed.text
    await row(assignee=None)
    # mary may not complete a task she does not hold once john claimed it
    await http.post(f"/engine-rest/task/{task_id}/claim", json={"userId": "john"}, headers=JOHN)
    await row(assignee="john")
    camunda_error(
        await http.post(f"/engine-rest/task/{task_id}/complete", json={}, headers=MARY),
        403,
        "AuthorizationException",
    )
    done = await http.post(f"/engine-rest/task/{task_id}/submit-form", json={}, headers=JOHN)
    assert done.status_code == 204, done.text
