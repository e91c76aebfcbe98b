"""``/v1/bpms/tasks``: the inbox filters (candidates, due dates, process), sorting and
paging from the read model; suspend / resume / cancel with a reason; a task's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.conftest import BPMN_DIR, EXAMPLES, Stack
from tests.support.http import deploy, eventually, problem

LOAN = BPMN_DIR / "loan-application.bpmn"
TASKS = "/v1/bpms/tasks"
JOHN = {"Authorization": "Bearer demo-john"}
MARY = {"Authorization": "Bearer demo-mary"}


async def _page(stack: Stack, **params: Any) -> dict[str, Any]:
    r = await stack.http.get(TASKS, params=params)
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


async def test_inbox_filters_sorts_and_pages(stack: Stack) -> None:
    await deploy(stack.http, LOAN, EXAMPLES / "invoice-approval.bpmn")
    loans = []
    for key in ("L-1", "L-2", "L-3"):
        r = await stack.http.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "loan-application",
                "businessKey": key,
                "processData": {"applicationId": key},
                "waitForWaitState": True,
            },
        )
        loans.append(r.json())
    lead = await stack.http.post(
        "/v1/bpms/messages/correlate", json={"messageName": "new-lead", "businessKey": "LEAD-1"}
    )
    assert lead.status_code == 200, lead.text
    invoice = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": "invoice-approval", "processData": {"approver": "john"}},
    )
    assert invoice.status_code == 201

    async def all_rows() -> dict[str, Any] | None:
        page = await _page(stack)
        return page if page["total"] == 5 else None

    await eventually(all_rows, what="5 task rows")
    group = await _page(stack, candidateGroup="accounting")
    # the invoice task also names "accounting" but is assigned to john: Camunda leaves it out
    assert {t["businessKey"] for t in group["items"]} == {"L-1", "L-2", "L-3"}
    with_assigned = await _page(stack, candidateGroup="accounting", includeAssigned="true")
    assert with_assigned["total"] == 4
    either = await _page(stack, candidateGroup=["accounting", "management"])
    assert either["total"] == 4
    mary = await _page(stack, candidateUser="mary")
    assert [t["taskDefinitionKey"] for t in mary["items"]] == ["call_lead"]
    assert (await _page(stack, assignee="john"))["items"][0]["processDefinitionKey"] == (
        "invoice-approval"
    )
    assert (await _page(stack, unassigned="true"))["total"] == 4
    assert (await _page(stack, processDefinitionKey="lead-intake"))["total"] == 1
    assert (await _page(stack, businessKey="L-2"))["items"][0]["processInstanceId"] == loans[1][
        "id"
    ]

    # the loan tasks are due in two days (a FEEL dueDate); the others have no due date
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    assert (await _page(stack, dueAfter=soon))["total"] == 3
    assert (await _page(stack, dueBefore=soon))["total"] == 0
    assert (await _page(stack, dueBefore=later, dueAfter=soon))["total"] == 3
    # the same moment with an offset selects the same tasks (SQLite compares text)
    in_two_days = datetime.now(UTC) + timedelta(days=2, hours=1)
    warsaw = in_two_days.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert (await _page(stack, dueBefore=warsaw))["total"] == 3
    assert (await _page(stack, dueAfter=warsaw))["total"] == 0

    newest_first = await _page(
        stack, processDefinitionKey="loan-application", sortBy="created", sortOrder="desc", size=2
    )
    assert [t["businessKey"] for t in newest_first["items"]] == ["L-3", "L-2"]
    assert newest_first["total"] == 3 and newest_first["size"] == 2
    rest = await _page(
        stack,
        processDefinitionKey="loan-application",
        sortBy="created",
        sortOrder="desc",
        size=2,
        page=1,
    )
    assert [t["businessKey"] for t in rest["items"]] == ["L-1"]
    by_due = await _page(stack, sortBy="due")
    assert by_due["items"][-1]["due"] is None  # no due date sorts last

    problem(await stack.http.get(TASKS, params={"sortBy": "colour"}), 422)
    problem(await stack.http.get(TASKS, params={"dueBefore": "tomorrow"}), 422)
    problem(await stack.http.get(TASKS, params={"size": 0}), 422)
    problem(await stack.http.get(TASKS, params={"page": 10**20}), 422)


async def test_suspend_resume_and_cancel_a_task(stack: Stack) -> None:
    await deploy(stack.http, LOAN)
    started = (
        await stack.http.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "loan-application",
                "processData": {"applicationId": "S-1"},
                "waitForWaitState": True,
            },
        )
    ).json()
    task_id = started["openTasks"][0]["id"]
    url = f"{TASKS}/{task_id}"

    suspended = await stack.http.post(f"{url}/suspend", json={"reason": "waiting for audit"})
    assert suspended.status_code == 200 and suspended.json()["state"] == "SUSPENDED"
    refused = await stack.http.post(f"{url}/complete", json={}, headers=JOHN)
    assert problem(refused, 409)["detail"]
    claim = await stack.http.post(f"{url}/claim", headers=JOHN)
    problem(claim, 409)
    problem(await stack.http.post(f"{url}/suspend", json={}), 409)

    async def suspended_row() -> dict[str, Any] | None:
        page = await _page(stack, processInstanceId=started["id"])
        return page if page["items"] and page["items"][0]["state"] == "SUSPENDED" else None

    await eventually(suspended_row, what="the suspended row in the open inbox")
    resumed = await stack.http.post(f"{url}/resume", json={})
    assert resumed.status_code == 200 and resumed.json()["state"] == "CREATED"
    problem(await stack.http.post(f"{url}/resume", json={}), 409)
    claimed = await stack.http.post(f"{url}/claim", headers=JOHN)
    assert claimed.status_code == 200
    not_yours = await stack.http.post(f"{url}/cancel", json={"reason": "x"}, headers=MARY)
    problem(not_yours, 403)
    cancelled = await stack.http.post(f"{url}/cancel", json={"reason": "duplicate"}, headers=JOHN)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELED"
    problem(await stack.http.post(f"{url}/cancel", json={}), 409)

    # the process went on past the task: it now waits for the documents message
    async def at_message() -> dict[str, Any] | None:
        view: dict[str, Any] = (
            await stack.http.get(f"/v1/bpms/process-instances/{started['id']}")
        ).json()
        ids = [a["activityId"] for a in view["currentActivities"]]
        return view if ids == ["documents"] else None

    await eventually(at_message, what="the token at the message catch")
    history = (await stack.http.get(f"/v1/bpms/process-instances/{started['id']}/history")).json()[
        "items"
    ]
    changes = [
        (e["type"], e["userId"], e["details"].get("reason"))
        for e in history
        if e["type"] in ("TASK_SUSPENDED", "TASK_RESUMED", "TASK_CANCELLED")
    ]
    assert changes == [
        ("TASK_SUSPENDED", "demo", "waiting for audit"),
        ("TASK_RESUMED", "demo", None),
        ("TASK_CANCELLED", "john", "duplicate"),
    ]
    for action in ("suspend", "resume", "cancel"):
        problem(await stack.http.post(f"{TASKS}/nope/{action}", json={}), 404)
    problem(await stack.http.get(f"{TASKS}/nope/data"), 404)


async def test_state_and_assignee_endpoints(stack: Stack) -> None:
    """``POST /tasks/{id}/state`` and ``PUT|DELETE /tasks/{id}/assignee``, the forms of the
    seed's endpoint table, act like suspend/resume/cancel and claim/assign/unclaim."""
    await deploy(stack.http, LOAN)
    started = (
        await stack.http.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "loan-application",
                "processData": {"applicationId": "A-1"},
                "waitForWaitState": True,
            },
        )
    ).json()
    url = f"{TASKS}/{started['openTasks'][0]['id']}"
    suspended = await stack.http.post(f"{url}/state", json={"state": "SUSPENDED", "reason": "r"})
    assert suspended.json()["state"] == "SUSPENDED"
    problem(await stack.http.put(f"{url}/assignee", json={"userId": "john"}, headers=JOHN), 409)
    active = await stack.http.post(f"{url}/state", json={"state": "ACTIVE"})
    assert active.json()["state"] == "CREATED"
    mine = await stack.http.put(f"{url}/assignee", json={"userId": "john"}, headers=JOHN)
    assert (mine.status_code, mine.json()["assignee"]) == (200, "john")
    given = await stack.http.put(f"{url}/assignee", json={"userId": "mary"}, headers=JOHN)
    assert given.json()["assignee"] == "mary"
    problem(await stack.http.delete(f"{url}/assignee", headers=JOHN), 403)  # mary's now
    freed = await stack.http.delete(f"{url}/assignee", headers=MARY)
    assert freed.json()["assignee"] is None and freed.json()["state"] == "CREATED"
    bad = await stack.http.post(f"{url}/state", json={"state": "DONE"})
    assert problem(bad, 422)["errors"][0]["field"] == "state"
    cancelled = await stack.http.post(f"{url}/state", json={"state": "CANCELED"})
    assert cancelled.json()["state"] == "CANCELED"
