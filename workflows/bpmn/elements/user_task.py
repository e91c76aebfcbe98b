"""User tasks: open the task (assignee, candidates, due date from expressions), wait until
it is completed or cancelled, then map its variables. The commands people send to an open
task (claim, delegate, complete …) are in ``behaviors.task_commands``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler import timers
    from bpmn_compiler.ir import Expression, UserTask
    from workflows.tokens import Token, Wait

from workflows.bpmn.control import Incident, waiting_on
from workflows.bpmn.elements import tasks

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def run(rt: Runtime, node: UserTask, token: Token) -> bool:
    """A user task: open it and wait until it is completed (or cancelled)."""
    await user_task(rt, node, token)
    return True


async def user_task(rt: Runtime, node: UserTask, token: Token) -> None:
    snap = token.resume.pop(node.id, None)
    if snap is not None and snap.task_id in rt.tasks:
        await await_task(rt, token, rt.tasks[snap.task_id])
        return
    assignee = await tasks.evaluate_or_call(rt, node.assignee, node) if node.assignee else None
    priority = rt.evaluate(node.priority, node.id) if node.priority else 50
    task = c.UserTaskView(
        id=str(workflow.uuid4()),
        element_id=node.id,
        name=node.name,
        state=c.TaskState.ASSIGNED if assignee else c.TaskState.CREATED,
        assignee=str(assignee) if assignee else None,
        candidate_users=string_list(rt, node.candidate_users, node.id),
        candidate_groups=string_list(rt, node.candidate_groups, node.id),
        form_key=node.form_key,
        priority=int(priority),
        due=due_date(rt, node),
        created=workflow.now(),
    )
    rt.tasks[task.id] = task
    rt.touch_task(task.id)
    rt.record("TASK_CREATED", node.id, details={"task_id": task.id, "assignee": task.assignee})
    await await_task(rt, token, task)


async def await_task(rt: Runtime, token: Token, task: c.UserTaskView) -> None:
    # a task cancelled by hand (cancel_task) is CANCELED with an end time: its token
    # goes on; one whose token was cancelled (a boundary event) has no end time yet
    ready = lambda: task.state is c.TaskState.COMPLETED or task.ended is not None  # noqa: E731
    try:
        with waiting_on(token, task.element_id, Wait("task", ready, task_id=task.id)):
            await workflow.wait_condition(ready)
    except asyncio.CancelledError:
        task.state = c.TaskState.CANCELED
        task.ended = workflow.now()
        rt.touch_task(task.id)
        raise


def due_date(rt: Runtime, node: UserTask) -> datetime | None:
    """``dueDate``: a date-time, or an ISO duration counted from now (Zeebe and
    Camunda accept both forms); anything else is an incident."""
    if node.due_date is None:
        return None
    value = rt.evaluate(node.due_date, node.id)
    if value is None or isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC) if value else None
    text = str(value).strip()
    try:
        if text[:1] in ("P", "-"):
            now = workflow.now()
            return timers.parse_duration(text).add_to(now)
        moment = timers.parse_date(text)
    except timers.TimerValueError as exc:
        raise Incident(f"due date of {node.id}: {exc}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def string_list(rt: Runtime, exprs: list[Expression], element_id: str) -> list[str]:
    values: list[str] = []
    for expr in exprs:
        value = rt.evaluate(expr, element_id)
        if isinstance(value, list):
            values += [str(v) for v in value]
        elif isinstance(value, str):
            values += [v.strip() for v in value.split(",") if v.strip()]
        elif value is not None:
            values.append(str(value))
    return values
