"""Variable and business-data writes need a caller who may work on the instance
(api/instance_access.py): its starter, a participant of an open task, or a privileged
role. Others get 403 naming why, and nothing changes."""

from __future__ import annotations

from typing import Any

from tests.conftest import EXAMPLES, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually, problem

INSTANCES = "/v1/bpms/process-instances"
JOHN = {"Authorization": "Bearer demo-john"}  # in "accounting", the task's candidate group
MARY = {"Authorization": "Bearer demo-mary"}  # in "management": no part in the task
ADMIN = {"Authorization": "Bearer demo-demo"}


async def _start(stack: Stack, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    baton = Baton(stack)
    instance_id = await baton.start(
        "invoice-approval",
        {"approver": "john"},
        headers=headers,
        businessData={"customer": "Ada"},
        waitForWaitState=True,
    )
    return instance_id, await baton.open_task(instance_id, what="the task row")


async def _writes(stack: Stack, instance_id: str, headers: dict[str, str]) -> list[int]:
    url = f"{INSTANCES}/{instance_id}"
    answers = [
        await stack.http.patch(
            f"{url}/variables", json={"processData": {"note": "x"}}, headers=headers
        ),
        await stack.http.put(f"{url}/variables/note", json={"value": "y"}, headers=headers),
        await stack.http.put(
            f"{url}/business-data", json={"businessData": {"customer": "Eve"}}, headers=headers
        ),
        await stack.http.patch(
            f"{url}/business-data", json={"businessData": {"vip": True}}, headers=headers
        ),
    ]
    return [a.status_code for a in answers]


async def test_an_outsider_may_not_write_and_nothing_changes(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    instance_id, _ = await _start(stack, ADMIN)
    history = stack.client.get_workflow_handle(instance_id)
    before = len((await history.fetch_history()).events)

    url = f"{INSTANCES}/{instance_id}"
    refused = problem(
        await stack.http.patch(
            f"{url}/variables", json={"processData": {"approved": True}}, headers=MARY
        ),
        403,
    )
    assert refused["code"] == "NotAParticipant" and "mary" in refused["detail"]
    assert instance_id in refused["detail"]
    assert await _writes(stack, instance_id, MARY) == [403, 403, 403, 403]

    data = (await stack.http.get(f"{url}/variables", headers=MARY)).json()
    assert "approved" not in data["processData"] and "note" not in data["processData"]
    assert data["businessData"] == {"customer": "Ada"}
    assert len((await history.fetch_history()).events) == before  # no update was sent


async def test_assignee_candidate_starter_and_privileged_roles_may_write(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    # john is the task's assignee
    instance_id, task = await _start(stack, ADMIN)
    assert task["assignee"] == "john"
    assert await _writes(stack, instance_id, JOHN) == [200, 200, 200, 200]
    # unclaimed, john is still a member of its candidate group "accounting"
    r = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/unclaim", headers=JOHN)
    assert r.status_code == 200, r.text
    assert await _writes(stack, instance_id, JOHN) == [200, 200, 200, 200]
    # the administrator holds bpms:task:assign
    assert await _writes(stack, instance_id, ADMIN) == [200, 200, 200, 200]
    data = (await stack.http.get(f"{INSTANCES}/{instance_id}/variables")).json()
    assert data["processData"]["note"] == "y"
    assert data["businessData"] == {"customer": "Eve", "vip": True}

    # mary started this one: she may write it, though she has no task in it
    hers, _ = await _start(stack, MARY)
    assert await _writes(stack, hers, MARY) == [200, 200, 200, 200]
    # and she still may not write the other
    assert await _writes(stack, instance_id, MARY) == [403, 403, 403, 403]


async def test_once_its_tasks_end_a_former_assignee_may_not_write(stack: Stack) -> None:
    await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    instance_id, task = await _start(stack, ADMIN)
    done = await stack.http.post(
        f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {}}, headers=JOHN
    )
    assert done.status_code == 200, done.text

    async def ended() -> bool:
        rows = await stack.http.get("/v1/bpms/tasks", params={"processInstanceId": instance_id})
        return rows.json()["total"] == 0

    await eventually(ended, what="the task row to close")
    r = await stack.http.put(
        f"{INSTANCES}/{instance_id}/business-data", json={"businessData": {"late": 1}}, headers=JOHN
    )
    problem(r, 403)
