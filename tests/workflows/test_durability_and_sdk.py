"""A worker can die mid-run without losing anything, and a plain Temporal SDK client
can drive a deployed process through the documented workflow interface."""

from __future__ import annotations

import uuid

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import Client

from baton.worker import build_worker
from tests.conftest import EXAMPLES, Stack
from tests.support.activities import TEST_ACTIVITIES
from tests.support.driver import open_tasks, state
from tests.support.http import deploy, eventually

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_killing_the_worker_loses_nothing(stack: Stack) -> None:
    deployed = (await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")).json()
    d = deployed["definitions"][0]
    queue = f"durable-{uuid.uuid4().hex[:6]}"
    ref = c.DefinitionRef(key=d["key"], version=d["version"], sha256=d["sha256"])
    first = build_worker(stack.client, stack.store, queue, TEST_ACTIVITIES)
    async with first:
        handle = await stack.client.start_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(definition=ref, variables={"approver": "john"}, business_key="D-1"),
            id=f"durable-{uuid.uuid4()}",
            task_queue=queue,
            result_type=c.ProcessResult,
        )

        async def task_open() -> c.ProcessStateView | None:
            view = await state(handle)
            return view if open_tasks(view) else None

        view = await eventually(task_open, what="the user task")
    # the first worker is gone; the instance waits in Temporal, not in a process
    task = open_tasks(view)["Task_approve"]
    await handle.signal(
        c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id=task.id, variables={"ok": True})
    )
    second = build_worker(
        await Client.connect(
            stack.client.service_client.config.target_host,
            data_converter=stack.client.data_converter,
        ),
        stack.store,
        queue,
        TEST_ACTIVITIES,
    )
    async with second:
        result = await handle.result()
        history = [e.type for e in (await state(handle)).history]
    assert result.variables == {"approver": "john", "registered": "yes", "ok": True}
    assert history.count("TASK_COMPLETED") == 1 and history[-1] == "PROCESS_ENDED"


async def test_plain_sdk_client_starts_by_key_and_completes_by_signal(stack: Stack) -> None:
    """Only temporalio and the contracts module: what docs/python-sdk.md shows."""
    d = (await deploy(stack.http, EXAMPLES / "order-review-zeebe.bpmn")).json()["definitions"][0]
    client = await Client.connect(
        stack.client.service_client.config.target_host,
        data_converter=stack.client.data_converter,
    )
    handle = await client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=c.DefinitionRef(key=d["key"], version=d["version"], sha256=d["sha256"]),
            variables={"reviewer": "mary"},
        ),
        id=f"sdk-{uuid.uuid4()}",
        task_queue=stack.settings.task_queue,
        result_type=c.ProcessResult,
    )

    async def task() -> c.UserTaskView | None:
        view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
        return next(iter(open_tasks(view).values()), None)

    open_task = await eventually(task, what="the review task")
    assert open_task.assignee == "mary"
    await handle.signal(
        c.COMPLETE_USER_TASK, c.CompleteUserTask(task_id=open_task.id, variables={"approved": True})
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables["approved"] is True and result.variables["riskLevel"] == "low"
