"""Delegating a user task (Camunda 7 semantics): the delegate works on it and resolves
it, the owner gets it back and completes it; rejected commands change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowUpdateFailedError

from store import queries
from tests.conftest import EXAMPLES, Stack
from tests.support.driver import open_tasks, start, state, until
from tests.support.http import eventually


async def _rejected(handle: Any, update: str, cmd: c.TaskCommand | c.CompleteUserTask) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, cmd)
    return str(getattr(caught.value.cause, "type", ""))


async def test_delegate_resolve_complete(stack: Stack) -> None:
    handle = await start(
        stack,
        ("invoice.bpmn", (EXAMPLES / "invoice-approval.bpmn").read_bytes()),
        {"approver": "john"},
    )
    view = await until(handle, lambda v: bool(open_tasks(v)), "the approval task")
    [task] = open_tasks(view).values()
    assert task.assignee == "john"
    # only the assignee may delegate
    assert (
        await _rejected(
            handle, c.DELEGATE_TASK, c.TaskCommand(task_id=task.id, user_id="mary", assignee="mary")
        )
        == "TaskNotPermitted"
    )
    delegated = await handle.execute_update(
        c.DELEGATE_TASK,
        c.TaskCommand(task_id=task.id, user_id="john", assignee="mary"),
        result_type=c.UserTaskView,
    )
    assert (delegated.assignee, delegated.owner) == ("mary", "john")
    assert delegated.delegation_state is c.DelegationState.PENDING
    # a pending delegation cannot be completed, not even by the delegate
    assert (
        await _rejected(
            handle, c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id=task.id, user_id="mary")
        )
        == "TaskDelegated"
    )
    # only the delegate resolves
    assert (
        await _rejected(handle, c.RESOLVE_TASK, c.TaskCommand(task_id=task.id, user_id="john"))
        == "TaskNotPermitted"
    )
    unchanged = open_tasks(await state(handle))["Task_approve"]
    assert (unchanged.assignee, unchanged.delegation_state) == ("mary", c.DelegationState.PENDING)

    async def row_pending() -> Any:
        row = await queries.get_task(stack.store, task.id)
        return row if row is not None and row.delegation_state == "PENDING" else None

    row = await eventually(row_pending, what="the delegated task row")
    assert (row.assignee, row.owner) == ("mary", "john")
    resolved = await handle.execute_update(
        c.RESOLVE_TASK,
        c.TaskCommand(task_id=task.id, user_id="mary", variables={"checkedBy": "mary"}),
        result_type=c.UserTaskView,
    )
    assert (resolved.assignee, resolved.delegation_state) == ("john", c.DelegationState.RESOLVED)
    assert (
        await _rejected(handle, c.RESOLVE_TASK, c.TaskCommand(task_id=task.id, user_id="john"))
        == "TaskNotDelegated"
    )
    await handle.execute_update(
        c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id=task.id, user_id="john")
    )
    result = await handle.result()
    assert result.variables["checkedBy"] == "mary"
    history = [e.type for e in (await state(handle)).history]
    assert history.index("TASK_DELEGATED") < history.index("TASK_RESOLVED")
    assert history.index("TASK_RESOLVED") < history.index("TASK_COMPLETED")
