"""Temporal's history is the truth; the read model follows it and never leads it.

* a completion whose workflow task never commits leaves no trace in the read model, and
  the same task is then completed normally;
* an instance ended from outside (terminate through a Temporal client) is ended in REST
  and gone from the inboxes within seconds;
* an instance started by a plain temporalio client carries Baton's search attributes;
* a reset brings back in REST what the reset run has.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from baton_client.contracts import bpmn as c
from temporalio import workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from api.main import create_app
from baton.worker import build_worker
from store import Store
from tests.conftest import EXAMPLES, Stack, make_settings
from tests.support.activities import TEST_ACTIVITIES
from tests.support.driver import Baton
from tests.support.http import deploy, eventually
from workflows import bpmn_process

HISTORIES = Path(__file__).parent / "histories"


async def _start_with_task(stack: Stack, business_key: str) -> tuple[str, dict[str, Any]]:
    baton = Baton(stack)
    await baton.deploy(EXAMPLES / "invoice-approval.bpmn")
    instance_id = await baton.start(
        "invoice-approval", {"approver": "john", "amount": 7}, business_key=business_key
    )
    return instance_id, await baton.open_task(instance_id, what="the user task in the read model")


async def _task_row(stack: Stack, task_id: str) -> dict[str, Any]:
    r = await stack.http.get(f"/v1/bpms/tasks/{task_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class _Sabotage:
    """Until ``until``, a workflow task that takes a completion fails once the rows it
    changed are on their way to the read model (Temporal down, the worker killed)."""

    until: datetime | None = None


class _FailingInbound(WorkflowInboundInterceptor):
    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        until = _Sabotage.until
        if input.update != c.COMPLETE_USER_TASK or until is None or workflow.now() > until:
            return await super().handle_update_handler(input)
        wf = workflow.instance()
        assert isinstance(wf, bpmn_process.BpmnProcess)
        handled = asyncio.create_task(super().handle_update_handler(input))
        # the rows are handed to the projection: scheduled (after commit) or, before
        # ``projection-after-commit``, written by a local activity inside this task
        await workflow.wait_condition(lambda: wf.rt.flushing)
        if not wf.rt.after_commit:
            await workflow.wait_condition(lambda: not wf.rt.flushing)
        handled.cancel()
        raise RuntimeError("the workflow task dies before it commits")


class _Interceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _FailingInbound


async def test_a_completion_that_never_commits_leaves_no_trace(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    """Workflow tasks that take the completion fail before they commit, for a few
    seconds: the read model never shows the task completed meanwhile, the client is told
    the outcome is unknown, and sending the same command again completes it once."""
    task_queue = f"baton-sabotage-{uuid.uuid4().hex[:8]}"
    settings = make_settings(temporal_env, str(store.engine.url), task_queue)
    worker = build_worker(
        temporal_env.client, store, task_queue, TEST_ACTIVITIES, interceptors=[_Interceptor()]
    )
    app = create_app(settings, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        stack = Stack(
            http=http, client=temporal_env.client, store=store, settings=settings, worker=worker
        )
        instance_id, task = await _start_with_task(stack, "UNCOMMITTED-1")
        # longer than the API's RPC timeout (5 s): the first answer cannot be the completion
        _Sabotage.until = datetime.now(UTC) + timedelta(seconds=8)
        try:
            body = {"processData": {"approved": True}}
            first = await http.post(f"/v1/bpms/tasks/{task['id']}/complete", json=body)
            assert first.status_code == 503, first.text
            assert first.json()["outcome"] == "unknown"
            while datetime.now(UTC) < _Sabotage.until:  # never a completion that did not happen
                row = await _task_row(stack, task["id"])
                assert row["state"] in ("CREATED", "ASSIGNED"), row
                await asyncio.sleep(0.1)
        finally:
            _Sabotage.until = None

        async def retried() -> dict[str, Any] | None:
            again = await http.post(f"/v1/bpms/tasks/{task['id']}/complete", json=body)
            assert again.status_code in (200, 503), again.text
            return again.json() if again.status_code == 200 else None

        done = await eventually(retried, timeout=40, what="the same completion, applied once")
        assert done["taskId"] == task["id"]
        assert (await _task_row(stack, task["id"]))["state"] == "COMPLETED"
        view = await temporal_env.client.get_workflow_handle(instance_id).query(
            c.STATE_QUERY, result_type=c.ProcessStateView
        )
        assert len([e for e in view.history if e.type == "TASK_COMPLETED"]) == 1
        # a different completion of the same task is refused by the workflow
        other = await http.post(
            f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"approved": False}}
        )
        assert other.status_code in (404, 409), other.text
        assert other.json()["outcome"] == "refused"


async def test_the_workflow_refuses_variables_that_would_not_fit(stack: Stack) -> None:
    """Even past the API (a plain Temporal client), a completion with variables over the
    workflow's bound is refused by the validator and the task stays open."""
    instance_id, task = await _start_with_task(stack, "TOO-BIG-1")
    handle = stack.client.get_workflow_handle(instance_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            c.COMPLETE_USER_TASK,
            c.CompleteUserTask(task_id=task["id"], variables={"blob": "x" * 1_200_000}),
            result_type=c.UserTaskCompleted,
            rpc_timeout=timedelta(seconds=10),
        )
    assert "VariablesTooLarge" in repr(refused.value.cause)
    done = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert done.status_code == 200, done.text


async def test_a_repeated_completion_answers_with_the_first_outcome(stack: Stack) -> None:
    """The same command sent again (a client retrying after a timeout) is not applied
    twice, and is told the outcome rather than a 409."""
    _, task = await _start_with_task(stack, "REPEAT-1")
    body = {"processData": {"approved": True}}
    first = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json=body)
    assert first.status_code == 200, first.text
    second = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json=body)
    assert second.status_code == 200, second.text
    keyed = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    other_body = {"processData": {"approved": False}}
    refused = await stack.http.post(
        f"/v1/bpms/tasks/{task['id']}/complete", json=other_body, headers=keyed
    )
    assert refused.status_code in (404, 409)
    assert refused.json()["outcome"] == "refused"


async def test_terminated_from_outside_is_ended_everywhere(stack: Stack) -> None:
    instance_id, task = await _start_with_task(stack, "TERMINATE-1")
    await stack.client.get_workflow_handle(instance_id).terminate(reason="operator in the Web UI")

    async def ended() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")
        ).json()
        return body if body["state"] == "TERMINATED" else None

    final = await eventually(ended, timeout=10, what="TERMINATED in REST")
    assert final["endTime"] is not None

    async def inbox_empty() -> bool:
        inbox = await stack.http.get("/v1/bpms/tasks", params={"assignee": "john"})
        return task["id"] not in [t["id"] for t in inbox.json()["items"]]

    await eventually(inbox_empty, timeout=10, what="the task gone from the inbox")
    assert (await _task_row(stack, task["id"]))["state"] == "CANCELED"
    listed = await stack.http.get(
        "/v1/bpms/process-instances", params={"businessKey": "TERMINATE-1"}
    )
    assert [i["state"] for i in listed.json()["items"]] == ["TERMINATED"]
    late = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert late.status_code == 409, late.text


async def test_an_instance_started_by_a_plain_temporal_client_is_found_by_its_keys(
    stack: Stack,
) -> None:
    deployed = await deploy(stack.http, EXAMPLES / "invoice-approval.bpmn")
    definition = deployed.json()["definitions"][0]
    business_key = f"SDK-{uuid.uuid4().hex[:8]}"
    instance_id = f"sdk-{uuid.uuid4()}"
    await stack.client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=c.DefinitionRef(
                key=definition["key"], version=definition["version"], sha256=definition["sha256"]
            ),
            variables={"approver": "john"},
            business_key=business_key,
        ),
        id=instance_id,
        task_queue=stack.settings.task_queue,
    )
    query = (
        f'BpmnProcessKey = "invoice-approval" AND BpmnBusinessKey = "{business_key}" '
        "AND BpmnProcessVersion = 1"
    )

    async def found() -> list[str]:
        return [w.id async for w in stack.client.list_workflows(query)]

    assert await eventually(found, what="the SDK-started instance by its keys") == [instance_id]

    async def listed() -> list[dict[str, Any]]:
        r = await stack.http.get("/v1/bpms/process-instances", params={"businessKey": business_key})
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    [row] = await eventually(listed, what="the SDK-started instance in REST")
    assert row["id"] == instance_id


async def test_a_reset_run_is_what_rest_shows(stack: Stack) -> None:
    """Complete the task (the instance ends), then reset the workflow to before the
    completion: REST shows the instance running with the task open again."""
    instance_id, task = await _start_with_task(stack, "RESET-1")
    done = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert done.status_code == 200, done.text
    handle = stack.client.get_workflow_handle(instance_id)
    await handle.result()
    history = await handle.fetch_history()
    # the last workflow task completed before the completion's update was accepted
    accepted = next(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    reset_to = max(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and e.event_id < accepted
    )
    await stack.client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=stack.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=instance_id),
            reason="test: reset before the completion",
            workflow_task_finish_event_id=reset_to,
            request_id=str(uuid.uuid4()),
            # the completion is not applied again: the reset run waits at the task
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
        )
    )

    async def running_again() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")
        ).json()
        return body if body["state"] == "ACTIVE" else None

    await eventually(running_again, timeout=10, what="ACTIVE again after the reset")

    async def open_again() -> dict[str, Any] | None:
        row = await _task_row(stack, task["id"])
        return row if row["state"] in ("CREATED", "ASSIGNED") else None

    await eventually(open_again, timeout=10, what="the task open again after the reset")
    again = await stack.http.post(f"/v1/bpms/tasks/{task['id']}/complete", json={})
    assert again.status_code == 200, again.text
    await handle.result()
    # the reset run's history: projection after commit, the resync at the reset point,
    # a completion answered after its rows were written (replayed by tests/test_replay.py)
    if os.environ.get("BATON_RECORD_HISTORIES") and stack.store.dialect == "sqlite":
        recorded = await handle.fetch_history()
        (HISTORIES / "projection-after-commit-reset.json").write_text(recorded.to_json())
