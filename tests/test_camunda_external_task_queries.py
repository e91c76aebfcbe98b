"""``/engine-rest/external-task`` queries and priorities (issue 20): the ``POST`` query
and count forms answer what the ``GET`` forms do, ``topic-names`` lists the topics, and
``PUT …/priority`` orders ``fetchAndLock`` with ``usePriority`` -- against the real app,
worker and Temporal dev server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually
from tests.test_camunda_rest import camunda_error

CREDIT = BPMN_DIR / "credit-check.bpmn"
TOPIC = "crm.credit-check"
EXT = "/engine-rest/external-task"


async def _three_tasks(stack: Stack) -> list[dict[str, Any]]:
    await deploy(stack.http, CREDIT)
    for amount in (1, 2, 3):
        await Baton(stack).start(
            "credit-check", {"amount": amount}, business_key=f"Q-{uuid.uuid4().hex[:6]}"
        )

    async def parked() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = (
            await stack.http.get(EXT, params={"topicName": TOPIC})
        ).json()
        return found if len(found) == 3 else None

    return await eventually(parked, what="three parked external tasks")


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_post_queries_answer_as_get_and_priority_orders_fetching(stack: Stack) -> None:
    tasks = await _three_tasks(stack)
    assert all(t["priority"] == 0 for t in tasks)
    first, second, third = (t["id"] for t in tasks)  # oldest first

    # priorities: the newest task first, then the oldest
    for task_id, priority in ((third, 10), (first, 5)):
        put = await stack.http.put(f"{EXT}/{task_id}/priority", json={"priority": priority})
        assert put.status_code == 204, put.text
    missing = await stack.http.put(f"{EXT}/nope/priority", json={"priority": 1})
    camunda_error(missing, 404, "RestException")
    assert (await stack.http.get(f"{EXT}/{third}")).json()["priority"] == 10

    # the POST forms answer what the GET forms do
    pairs: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({"topicName": TOPIC}, {"topicName": TOPIC}),
        (
            {"externalTaskIdIn": f"{first},{third}"},
            {"externalTaskIdIn": [first, third], "unknownField": 1},
        ),
        ({"priorityHigherThanOrEquals": "5"}, {"priorityHigherThanOrEquals": 5}),
        (
            {"notLocked": "true", "withRetriesLeft": "true"},
            {"notLocked": True, "withRetriesLeft": True},
        ),
        (
            {"sortBy": "taskPriority", "sortOrder": "desc"},
            {"sorting": [{"sortBy": "taskPriority", "sortOrder": "desc"}]},
        ),
    ]
    for params, body in pairs:
        got = await stack.http.get(EXT, params=params)
        posted = await stack.http.post(EXT, json=body)
        assert got.status_code == posted.status_code == 200, posted.text
        assert got.json() == posted.json(), params
        counted = await stack.http.post(f"{EXT}/count", json=body)
        assert counted.json() == (await stack.http.get(f"{EXT}/count", params=params)).json()
        assert counted.json()["count"] == len(got.json())
    by_priority = (
        await stack.http.post(
            EXT, json={"sorting": [{"sortBy": "taskPriority", "sortOrder": "desc"}]}
        )
    ).json()
    assert [t["id"] for t in by_priority] == [third, first, second]
    high = await stack.http.post(EXT, json={"priorityHigherThanOrEquals": 5})
    assert {t["id"] for t in high.json()} == {first, third}
    paged = await stack.http.post(f"{EXT}?firstResult=1&maxResults=1", json={})
    assert [t["id"] for t in paged.json()] == [second]
    bad = await stack.http.post(EXT, json={"sorting": [{"sortBy": "taskPriority"}]})
    camunda_error(bad, 400, "InvalidRequestException")

    assert (await stack.http.get(f"{EXT}/topic-names")).json() == [TOPIC]
    assert (await stack.http.get(f"{EXT}/topic-names?withLockedTasks=true")).json() == []

    # usePriority: the highest priority first, whatever the age
    fetched = await stack.http.post(
        f"{EXT}/fetchAndLock",
        json={
            "workerId": "prio-worker",
            "maxTasks": 2,
            "usePriority": True,
            "topics": [{"topicName": TOPIC, "lockDuration": 60_000}],
        },
    )
    assert fetched.status_code == 200, fetched.text
    assert [t["id"] for t in fetched.json()] == [third, first]
    assert [t["priority"] for t in fetched.json()] == [10, 5]
    locked = await stack.http.get(f"{EXT}/topic-names", params={"withLockedTasks": "true"})
    assert locked.json() == [TOPIC]
    assert (await stack.http.post(f"{EXT}/count", json={"locked": True})).json()["count"] == 2
    workers = await stack.http.post(EXT, json={"workerId": "prio-worker"})
    assert {t["id"] for t in workers.json()} == {first, third}
