"""The user-task lifecycle rules (``workflows.bpmn.task_lifecycle``) without a server:
who may work on, manage, claim or complete a task in which state, and which refusal a
command gets otherwise (the refusal type is what the API maps to 403/404/409)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from baton_client.contracts import bpmn as c
from temporalio.exceptions import ApplicationError

from workflows.bpmn import task_lifecycle as rules

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def task(**changes: object) -> c.UserTaskView:
    base = c.UserTaskView(
        id="task-1",
        element_id="review",
        name="Review",
        state=c.TaskState.CREATED,
        assignee=None,
        candidate_users=[],
        candidate_groups=[],
        form_key=None,
        priority=50,
        due=None,
        created=NOW,
    )
    return base.model_copy(update=changes)


def refusal(call: object) -> str:
    assert callable(call)
    with pytest.raises(ApplicationError) as raised:
        call()
    assert raised.value.type is not None
    return raised.value.type


def test_an_unknown_task_is_not_found() -> None:
    assert refusal(lambda: rules.open_task({}, "nope")) == "TaskNotFound"


@pytest.mark.parametrize("state", [c.TaskState.COMPLETED, c.TaskState.CANCELED])
def test_an_ended_task_is_not_active(state: c.TaskState) -> None:
    tasks = {"task-1": task(state=state)}
    assert refusal(lambda: rules.open_task(tasks, "task-1")) == "TaskNotActive"


def test_a_suspended_task_is_open_but_not_active() -> None:
    tasks = {"task-1": task(state=c.TaskState.SUSPENDED)}
    assert rules.open_task(tasks, "task-1").id == "task-1"
    assert refusal(lambda: rules.active_task(tasks, "task-1")) == "TaskNotActive"


def test_who_may_work_on_a_task() -> None:
    anyone = task()
    offered = task(candidate_users=["ann"], candidate_groups=["clerks"])
    assigned = task(assignee="bob", state=c.TaskState.ASSIGNED)
    assert rules.may_work_on(anyone, c.Actor(user_id="zoe"))
    assert rules.may_work_on(offered, c.Actor(user_id="ann"))
    assert rules.may_work_on(offered, c.Actor(user_id="carl", groups=["clerks"]))
    assert not rules.may_work_on(offered, c.Actor(user_id="carl", groups=["sales"]))
    assert rules.may_work_on(assigned, c.Actor(user_id="bob"))
    assert not rules.may_work_on(assigned, c.Actor(user_id="ann"))
    # admins and trusted system callers (no user) are not restricted
    assert rules.may_work_on(assigned, c.Actor(user_id="ann", admin=True))
    assert rules.may_work_on(assigned, c.Actor())
    denied = c.Actor(user_id="ann")
    assert refusal(lambda: rules.check_permitted(assigned, denied)) == "TaskNotPermitted"


def test_claiming_a_task_someone_else_holds_is_a_conflict() -> None:
    tasks = {"task-1": task(assignee="bob", state=c.TaskState.ASSIGNED)}
    ann = c.TaskCommand(task_id="task-1", user_id="ann")
    assert refusal(lambda: rules.claimable(tasks, ann)) == "TaskAlreadyClaimed"
    bob = c.TaskCommand(task_id="task-1", user_id="bob")
    assert rules.claimable(tasks, bob).assignee == "bob"


def test_claiming_needs_to_be_a_candidate() -> None:
    tasks = {"task-1": task(candidate_groups=["clerks"])}
    outsider = c.TaskCommand(task_id="task-1", user_id="eve", groups=["sales"])
    assert refusal(lambda: rules.claimable(tasks, outsider)) == "TaskNotPermitted"
    clerk = c.TaskCommand(task_id="task-1", user_id="eve", groups=["clerks"])
    assert rules.claimable(tasks, clerk).id == "task-1"


def test_only_the_assignee_or_an_admin_manages_a_task() -> None:
    held = task(assignee="bob", state=c.TaskState.ASSIGNED)
    ann = c.TaskCommand(task_id="task-1", user_id="ann")
    assert refusal(lambda: rules.check_may_manage(held, ann, "suspend")) == "TaskNotPermitted"
    rules.check_may_manage(held, ann.model_copy(update={"admin": True}), "suspend")
    rules.check_may_manage(held, c.TaskCommand(task_id="task-1", user_id="bob"), "suspend")


def test_a_delegated_task_goes_back_to_its_owner_before_completion() -> None:
    delegated = task(
        assignee="dan",
        owner="bob",
        state=c.TaskState.ASSIGNED,
        delegation_state=c.DelegationState.PENDING,
    )
    assert refusal(lambda: rules.check_not_delegated(delegated)) == "TaskDelegated"
    resolved = delegated.model_copy(update={"delegation_state": c.DelegationState.RESOLVED})
    rules.check_not_delegated(resolved)
