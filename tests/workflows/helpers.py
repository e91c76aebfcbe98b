"""Drive instances in interpreter tests: deploy and start through the API, then talk to
the workflow the way an SDK client would (queries, updates, signals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import WorkflowHandle

from contracts import bpmn as c
from tests.conftest import Stack
from tests.support.http import deploy, eventually


async def start(
    stack: Stack, file: tuple[str, bytes], variables: dict[str, Any] | None = None
) -> WorkflowHandle[Any, c.ProcessResult]:
    deployed = await deploy(stack.http, file)
    assert deployed.status_code == 201, deployed.text
    key = deployed.json()["definitions"][0]["key"]
    started = await stack.http.post(
        "/v1/bpms/process-instances",
        json={"processDefinitionKey": key, "processData": variables or {}},
    )
    assert started.status_code == 201, started.text
    return stack.client.get_workflow_handle(started.json()["id"], result_type=c.ProcessResult)


async def state(handle: WorkflowHandle[Any, Any]) -> c.ProcessStateView:
    view: c.ProcessStateView = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    return view


async def until(
    handle: WorkflowHandle[Any, Any],
    predicate: Callable[[c.ProcessStateView], bool],
    what: str,
    timeout: float = 15.0,
) -> c.ProcessStateView:
    async def probe() -> c.ProcessStateView | None:
        view = await state(handle)
        return view if predicate(view) else None

    return await eventually(probe, what=what, timeout=timeout)


def open_tasks(view: c.ProcessStateView) -> dict[str, c.UserTaskView]:
    return {
        t.element_id: t
        for t in view.tasks
        if t.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED)
    }


async def complete(
    handle: WorkflowHandle[Any, Any], element_id: str, variables: dict[str, Any] | None = None
) -> None:
    view = await until(handle, lambda v: element_id in open_tasks(v), f"task {element_id}")
    task = open_tasks(view)[element_id]
    await handle.execute_update(
        c.COMPLETE_USER_TASK,
        c.CompleteUserTask(task_id=task.id, variables=variables or {}),
        result_type=c.UserTaskCompleted,
    )


def waiting_at(view: c.ProcessStateView) -> set[str]:
    return set(view.counts.waiting)
