"""The user-task lifecycle rules, pure: which task a command may act on, who may work on
it, and why not. Camunda 7's rules (``TaskService``): the assignee works on an assigned
task, an unassigned one is open to its candidates, a delegated task goes back to its
owner. The workflow's update validators and handlers call these; so do the unit tests in
``tests/workflows/test_task_lifecycle.py``, without a Temporal server.
"""

from __future__ import annotations

from collections.abc import Mapping

from baton_client.contracts import bpmn as c
from temporalio.exceptions import ApplicationError

from workflows.bpmn.constants import OPEN_TASK_STATES


def open_task(tasks: Mapping[str, c.UserTaskView], task_id: str) -> c.UserTaskView:
    """An open task, suspended or not (what suspend, resume and cancel act on)."""
    task = tasks.get(task_id)
    if task is None:
        raise ApplicationError(
            f"no user task {task_id} in this instance",
            type=c.Rejection.TASK_NOT_FOUND,
            non_retryable=True,
        )
    if task.state not in OPEN_TASK_STATES:
        raise ApplicationError(
            f"user task {task_id} is {task.state.value}",
            type=c.Rejection.TASK_NOT_ACTIVE,
            non_retryable=True,
        )
    return task


def active_task(tasks: Mapping[str, c.UserTaskView], task_id: str) -> c.UserTaskView:
    """An open task that is not suspended: one people may work on."""
    task = open_task(tasks, task_id)
    if task.state is c.TaskState.SUSPENDED:
        raise ApplicationError(
            f"user task {task_id} is SUSPENDED",
            type=c.Rejection.TASK_NOT_ACTIVE,
            non_retryable=True,
        )
    return task


def check_may_manage(task: c.UserTaskView, cmd: c.TaskCommand, what: str) -> None:
    if not (cmd.user_id is None or cmd.admin or task.assignee == cmd.user_id):
        raise ApplicationError(
            f"only an admin or the assignee may {what} user task {task.id}",
            type=c.Rejection.TASK_NOT_PERMITTED,
            non_retryable=True,
        )


def may_work_on(task: c.UserTaskView, actor: c.Actor) -> bool:
    """Camunda's rule: the assignee works on an assigned task; an unassigned one is
    open to its candidates (or to anyone when it names none); admins may do all."""
    if actor.user_id is None or actor.admin:
        return True
    if task.assignee:
        return task.assignee == actor.user_id
    if not task.candidate_users and not task.candidate_groups:
        return True
    return actor.user_id in task.candidate_users or bool(
        set(actor.groups) & set(task.candidate_groups)
    )


def check_permitted(task: c.UserTaskView, actor: c.Actor) -> None:
    if not may_work_on(task, actor):
        raise ApplicationError(
            f"{actor.user_id} may not work on user task {task.id}",
            type=c.Rejection.TASK_NOT_PERMITTED,
            non_retryable=True,
        )


def claimable(tasks: Mapping[str, c.UserTaskView], cmd: c.TaskCommand) -> c.UserTaskView:
    task = active_task(tasks, cmd.task_id)
    if task.assignee and task.assignee != cmd.user_id:
        raise ApplicationError(
            f"user task {task.id} is claimed by {task.assignee}",
            type=c.Rejection.TASK_ALREADY_CLAIMED,
            non_retryable=True,
        )
    check_permitted(task.model_copy(update={"assignee": None}), cmd)
    return task


def check_not_delegated(task: c.UserTaskView) -> None:
    """Camunda's rule: a delegated task goes back to its owner, who completes it."""
    if task.delegation_state is c.DelegationState.PENDING:
        raise ApplicationError(
            f"user task {task.id} is delegated to {task.assignee}; it must be resolved "
            "before it can be completed",
            type=c.Rejection.TASK_DELEGATED,
            non_retryable=True,
        )
