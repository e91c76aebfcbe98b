"""``/engine-rest/history`` query bodies and single reads (issue 20): the ``POST`` forms
of process-instance, task and variable-instance answer what the ``GET`` forms do,
activity-instance count and ``{id}``, variable-instance count and ``{id}``, and
``DELETE /history/process-instance/{id}`` refused -- against the real app, worker and
Temporal dev server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Stack
from tests.support.http import eventually
from tests.test_camunda_rest import ORDER, camunda_error, modeler_deploy

H = "/engine-rest/history"


async def _start(stack: Stack, business_key: str, amount: int) -> str:
    started = await stack.http.post(
        "/engine-rest/process-definition/key/camunda-order/start",
        json={
            "businessKey": business_key,
            "variables": {
                "amount": {"value": amount, "type": "Integer"},
                "customer": {"value": "Ada", "type": "String"},
            },
        },
    )
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_post_forms_answer_as_get_and_single_reads(stack: Stack) -> None:
    assert (await modeler_deploy(stack.http, *ORDER)).status_code == 200
    one = await _start(stack, "HQ-1", 1)
    two = await _start(stack, "HQ-2", 2)

    async def both_tasks() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = (
            await stack.http.get(f"{H}/task", params={"processDefinitionKey": "camunda-order"})
        ).json()
        return found if len(found) >= 2 else None

    await eventually(both_tasks, what="both instances' review tasks in history")

    checks: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        (
            "process-instance",
            {"processInstanceIds": f"{one},{two}", "sortBy": "businessKey", "sortOrder": "desc"},
            {
                "processInstanceIds": [one, two],
                "sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}],
                "unknownField": True,
            },
        ),
        (
            "process-instance",
            {"processInstanceBusinessKey": "HQ-1", "unfinished": "true"},
            {"processInstanceBusinessKey": "HQ-1", "unfinished": True},
        ),
        (
            "task",
            {"processDefinitionKey": "camunda-order", "sortBy": "instanceId", "sortOrder": "asc"},
            {
                "processDefinitionKey": "camunda-order",
                "sorting": [{"sortBy": "instanceId", "sortOrder": "asc"}],
            },
        ),
        (
            "task",
            {"processInstanceId": one, "unfinished": "true"},
            {"processInstanceId": one, "unfinished": True},
        ),
        (
            "variable-instance",
            {"processInstanceIdIn": f"{one},{two}", "variableNameLike": "am%"},
            {"processInstanceIdIn": [one, two], "variableNameLike": "am%"},
        ),
    ]
    for resource, params, body in checks:
        got = await stack.http.get(f"{H}/{resource}", params=params)
        posted = await stack.http.post(f"{H}/{resource}", json=body)
        assert got.status_code == posted.status_code == 200, posted.text
        assert got.json() == posted.json() and got.json(), (resource, params)
        counts = {k: v for k, v in params.items() if k not in ("sortBy", "sortOrder")}
        counted = await stack.http.post(f"{H}/{resource}/count", json=body)
        assert counted.status_code == 200, counted.text
        assert (
            counted.json() == (await stack.http.get(f"{H}/{resource}/count", params=counts)).json()
        )
        assert counted.json()["count"] == len(got.json())

    by_key = (
        await stack.http.post(
            f"{H}/process-instance",
            json={
                "processInstanceIds": [one, two],
                "sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}],
            },
        )
    ).json()
    assert [i["businessKey"] for i in by_key] == ["HQ-2", "HQ-1"]
    amounts = (
        await stack.http.post(
            f"{H}/variable-instance",
            json={
                "processInstanceIdIn": [one, two],
                "variableName": "amount",
                "sorting": [{"sortBy": "instanceId", "sortOrder": "asc"}],
            },
        )
    ).json()
    assert sorted((v["processInstanceId"], v["value"]) for v in amounts) == sorted(
        [(one, 1), (two, 2)]
    )
    paged = await stack.http.post(f"{H}/process-instance?maxResults=1", json={})
    assert len(paged.json()) == 1
    bad = await stack.http.post(f"{H}/task", json={"sorting": [{"sortBy": "taskId"}]})
    camunda_error(bad, 400, "InvalidRequestException")
    needs = await stack.http.post(f"{H}/variable-instance", json={})
    camunda_error(needs, 400, "InvalidRequestException")

    # single reads
    variable = await stack.http.get(f"{H}/variable-instance/{one}:amount")
    assert variable.status_code == 200, variable.text
    assert variable.json()["type"] == "Integer" and variable.json()["value"] == 1
    gone = await stack.http.get(f"{H}/variable-instance/{one}:nothing")
    camunda_error(gone, 404, "InvalidRequestException")

    activities = (
        await stack.http.get(f"{H}/activity-instance", params={"processInstanceId": one})
    ).json()
    assert {a["activityId"] for a in activities} >= {"s", "review"}
    count = await stack.http.get(f"{H}/activity-instance/count", params={"processInstanceId": one})
    assert count.json() == {"count": len(activities)}
    unfinished = await stack.http.get(
        f"{H}/activity-instance/count", params={"processInstanceId": one, "unfinished": "true"}
    )
    assert unfinished.json() == {"count": 1}  # the review task
    review = next(a for a in activities if a["activityId"] == "review")
    single = await stack.http.get(f"{H}/activity-instance/{review['id']}")
    assert single.status_code == 200 and single.json() == review
    missing = await stack.http.get(f"{H}/activity-instance/{one}:nope:1")
    camunda_error(missing, 404, "InvalidRequestException")

    # history is kept
    refused = await stack.http.delete(f"{H}/process-instance/{one}")
    assert camunda_error(refused, 409, "ProcessEngineException")["code"] == 0
    unknown = await stack.http.delete(f"{H}/process-instance/no-such-instance")
    camunda_error(unknown, 404, "InvalidRequestException")
    assert (await stack.http.get(f"{H}/process-instance/{one}")).status_code == 200
