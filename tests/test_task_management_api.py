"""``/v1/bpms/tasks/{id}/claim|unclaim|assign|delegate|resolve``: who may do what, as the
workflow's validators decide it; conflicts are 409, refusals 403, unknown tasks 404, and a
refused command changes nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import EXAMPLES, Stack
from tests.support.driver import Baton
from tests.support.http import eventually

JOHN = {"Authorization": "Bearer demo-john"}
MARY = {"Authorization": "Bearer demo-mary"}
ADMIN = {"Authorization": "Bearer demo-demo"}


async def test_claim_delegate_resolve_unclaim_assign(stack: Stack) -> None:
    baton = Baton(stack)
    await baton.deploy(EXAMPLES / "invoice-approval.bpmn")
    instance_id = await baton.start("invoice-approval", {"approver": "john"})
    task = await baton.open_task(instance_id, what="the task row")
    url = f"/v1/bpms/tasks/{task['id']}"
    assert task["assignee"] == "john"

    taken = await stack.http.post(f"{url}/claim", headers=MARY)
    assert taken.status_code == 409 and taken.json()["code"] == "TaskAlreadyClaimed"

    delegated = await stack.http.post(f"{url}/delegate", json={"userId": "mary"}, headers=JOHN)
    assert delegated.status_code == 200, delegated.text
    body = delegated.json()
    assert (body["assignee"], body["owner"], body["delegationState"]) == ("mary", "john", "PENDING")

    early = await stack.http.post(f"{url}/complete", json={}, headers=JOHN)
    assert early.status_code == 409 and early.json()["code"] == "TaskDelegated"
    not_yours = await stack.http.post(f"{url}/resolve", json={}, headers=JOHN)
    assert not_yours.status_code == 403

    resolved = await stack.http.post(
        f"{url}/resolve", json={"processData": {"checked": True}}, headers=MARY
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["assignee"], resolved.json()["delegationState"]) == ("john", "RESOLVED")

    given_back = await stack.http.post(f"{url}/unclaim", headers=JOHN)
    assert given_back.status_code == 200 and given_back.json()["assignee"] is None
    outsider = await stack.http.post(f"{url}/claim", headers=MARY)  # not in "accounting"
    assert outsider.status_code == 403
    claimed = await stack.http.post(f"{url}/claim", headers=JOHN)
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "john"
    reassigned = await stack.http.post(f"{url}/assign", json={"userId": "john"}, headers=ADMIN)
    assert reassigned.status_code == 200 and reassigned.json()["assignee"] == "john"

    async def row_caught_up() -> dict[str, Any] | None:
        row = (await stack.http.get(url)).json()
        return row if row["assignee"] == "john" and row["owner"] == "john" else None

    row = await eventually(row_caught_up, what="the task row")
    assert row["delegationState"] == "RESOLVED"
    done = await stack.http.post(f"{url}/complete", json={}, headers=JOHN)
    assert done.status_code == 200, done.text
    view = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
    assert view["processData"]["checked"] is True


async def test_task_management_errors(stack: Stack) -> None:
    for action in ("claim", "unclaim", "assign", "delegate", "resolve"):
        body = {"userId": "mary"} if action in ("assign", "delegate") else {}
        r = await stack.http.post(f"/v1/bpms/tasks/nope/{action}", json=body)
        assert r.status_code == 404, (action, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    empty = await stack.http.post("/v1/bpms/tasks/nope/delegate", json={"userId": ""})
    assert empty.status_code == 422 and "userId" in empty.text
