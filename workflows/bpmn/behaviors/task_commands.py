"""The commands an open user task takes (suspend, resume, cancel, claim, unclaim, assign,
add candidates, delegate, resolve, complete) and their validators. Who may do what is
``task_lifecycle`` (pure); here the state changes, their case history and read-model rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

from workflows.bpmn import task_lifecycle as rules
from workflows.bpmn.behaviors import outbox, variables

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def suspend_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    task.state = c.TaskState.SUSPENDED
    task_state_changed(rt, task, cmd, "TASK_SUSPENDED")
    return await outbox.projected(rt, task.model_copy())


def validate_suspend(rt: Runtime, cmd: c.TaskCommand) -> None:
    rules.check_may_manage(rules.active_task(rt.tasks, cmd.task_id), cmd, "suspend")


async def resume_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.open_task(rt.tasks, cmd.task_id)
    task.state = c.TaskState.ASSIGNED if task.assignee else c.TaskState.CREATED
    task_state_changed(rt, task, cmd, "TASK_RESUMED")
    return await outbox.projected(rt, task.model_copy())


def validate_resume(rt: Runtime, cmd: c.TaskCommand) -> None:
    task = rules.open_task(rt.tasks, cmd.task_id)
    if task.state is not c.TaskState.SUSPENDED:
        raise ApplicationError(
            f"user task {task.id} is not suspended",
            type=c.Rejection.TASK_NOT_ACTIVE,
            non_retryable=True,
        )
    rules.check_may_manage(task, cmd, "resume")


async def cancel_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.open_task(rt.tasks, cmd.task_id)
    task.state = c.TaskState.CANCELED
    task.ended = workflow.now()
    task_state_changed(rt, task, cmd, "TASK_CANCELLED")
    return await outbox.projected(rt, task.model_copy())


def validate_cancel_task(rt: Runtime, cmd: c.TaskCommand) -> None:
    rules.check_may_manage(rules.open_task(rt.tasks, cmd.task_id), cmd, "cancel")


def task_state_changed(rt: Runtime, task: c.UserTaskView, cmd: c.TaskCommand, kind: str) -> None:
    rt.touch_task(task.id)
    details: dict[str, Any] = {"task_id": task.id}
    if cmd.reason:
        details["reason"] = cmd.reason
    rt.record(kind, task.element_id, user_id=cmd.user_id, details=details)


async def claim_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.claimable(rt.tasks, cmd)
    set_assignee(rt, task, cmd.user_id, cmd, "TASK_CLAIMED")
    return await outbox.projected(rt, task.model_copy())


def validate_claim(rt: Runtime, cmd: c.TaskCommand) -> None:
    if cmd.user_id is None:
        raise ApplicationError(
            "claiming needs a user", type=c.Rejection.TASK_NOT_PERMITTED, non_retryable=True
        )
    rules.claimable(rt.tasks, cmd)


async def unclaim_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    set_assignee(rt, task, None, cmd, "TASK_UNCLAIMED")
    return await outbox.projected(rt, task.model_copy())


def validate_unclaim(rt: Runtime, cmd: c.TaskCommand) -> None:
    rules.check_may_manage(rules.active_task(rt.tasks, cmd.task_id), cmd, "unclaim")


async def assign_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    set_assignee(rt, task, cmd.assignee, cmd, "TASK_ASSIGNED")
    return await outbox.projected(rt, task.model_copy())


def validate_assign(rt: Runtime, cmd: c.TaskCommand) -> None:
    rules.check_may_manage(rules.active_task(rt.tasks, cmd.task_id), cmd, "reassign")


async def add_task_candidates(rt: Runtime, cmd: c.TaskCandidates) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    added = [u for u in dict.fromkeys(cmd.users) if u not in task.candidate_users]
    task.candidate_users = [*task.candidate_users, *added]
    rt.touch_task(task.id)
    rt.record(
        "TASK_CANDIDATES_ADDED",
        task.element_id,
        user_id=cmd.user_id,
        details={"task_id": task.id, "users": added},
    )
    return await outbox.projected(rt, task.model_copy())


def validate_add_candidates(rt: Runtime, cmd: c.TaskCandidates) -> None:
    rules.active_task(rt.tasks, cmd.task_id)
    if not cmd.users:
        raise ApplicationError(
            "name at least one user", type=c.Rejection.TASK_NOT_PERMITTED, non_retryable=True
        )
    if not (cmd.user_id is None or cmd.admin):
        raise ApplicationError(
            "only a caller who may act on any task offers it to other users",
            type=c.Rejection.TASK_NOT_PERMITTED,
            non_retryable=True,
        )


async def delegate_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    # Camunda 7: the owner is who held the task first; a re-delegation keeps it
    task.owner = task.owner or task.assignee or cmd.user_id
    task.delegation_state = c.DelegationState.PENDING
    set_assignee(rt, task, cmd.assignee, cmd, "TASK_DELEGATED")
    return await outbox.projected(rt, task.model_copy())


def validate_delegate(rt: Runtime, cmd: c.TaskCommand) -> None:
    task = rules.active_task(rt.tasks, cmd.task_id)
    if not cmd.assignee:
        raise ApplicationError(
            "delegating needs the delegate's id",
            type=c.Rejection.TASK_NOT_PERMITTED,
            non_retryable=True,
        )
    rules.check_may_manage(task, cmd, "delegate")


async def resolve_task(rt: Runtime, cmd: c.TaskCommand) -> c.UserTaskView:
    task = rules.active_task(rt.tasks, cmd.task_id)
    task.delegation_state = c.DelegationState.RESOLVED
    set_assignee(rt, task, task.owner, cmd, "TASK_RESOLVED")
    rt.set_variables(cmd.variables, task.element_id, user_id=cmd.user_id)
    return await outbox.projected(rt, task.model_copy())


def validate_resolve(rt: Runtime, cmd: c.TaskCommand) -> None:
    variables.check_variables(rt, cmd.variables)
    task = rules.active_task(rt.tasks, cmd.task_id)
    if task.delegation_state is not c.DelegationState.PENDING:
        raise ApplicationError(
            f"user task {task.id} is not delegated",
            type=c.Rejection.TASK_NOT_DELEGATED,
            non_retryable=True,
        )
    if not (cmd.user_id is None or cmd.admin or task.assignee == cmd.user_id):
        raise ApplicationError(
            f"only the delegate may resolve user task {task.id}",
            type=c.Rejection.TASK_NOT_PERMITTED,
            non_retryable=True,
        )


def set_assignee(
    rt: Runtime, task: c.UserTaskView, assignee: str | None, actor: c.Actor, kind: str
) -> None:
    task.assignee = assignee
    task.state = c.TaskState.ASSIGNED if assignee else c.TaskState.CREATED
    rt.touch_task(task.id)
    rt.record(
        kind,
        task.element_id,
        user_id=actor.user_id,
        details={"task_id": task.id, "assignee": assignee},
    )


def complete(rt: Runtime, cmd: c.CompleteUserTask) -> None:
    task = rules.active_task(rt.tasks, cmd.task_id)
    rules.check_not_delegated(task)
    task.state = c.TaskState.COMPLETED
    task.ended = workflow.now()
    rt.touch_task(task.id)
    rt.record("TASK_COMPLETED", task.element_id, user_id=cmd.user_id, details={"task_id": task.id})
    rt.set_variables(cmd.variables, task.element_id, user_id=cmd.user_id)


async def complete_user_task(rt: Runtime, cmd: c.CompleteUserTask) -> c.UserTaskCompleted:
    complete(rt, cmd)
    done = c.UserTaskCompleted(task_id=cmd.task_id, variables=dict(rt.variables))
    return await outbox.projected(rt, done)


def validate_complete(rt: Runtime, cmd: c.CompleteUserTask) -> None:
    variables.check_variables(rt, cmd.variables)
    task = rules.active_task(rt.tasks, cmd.task_id)
    rules.check_not_delegated(task)
    rules.check_permitted(task, cmd)


def complete_user_task_signal(rt: Runtime, cmd: c.CompleteUserTask) -> None:
    try:
        complete(rt, cmd)
    except ApplicationError as err:
        workflow.logger.warning("ignored complete_user_task signal: %s", err)
