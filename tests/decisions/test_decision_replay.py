"""``semantics.DECISIONS``: a business-rule task evaluates its DMN decision in the
workflow. ``decision-prepatch.json`` was recorded before the rule, when the task was
parked as the activity ``decision:<key>`` for a worker to serve (here an HTTP worker
through ``/v1/bpms/service-tasks``); it must keep replaying on that old path, and a fresh
run (evaluated in the workflow) must replay too."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowHistory

from tests.conftest import Stack
from tests.decisions.models import DISCOUNT_DMN, discount_process
from tests.support.driver import Baton, until
from tests.support.http import deploy, eventually
from tests.test_replay import HISTORIES, _replayer


async def _serve_parked(stack: Stack, instance_id: str) -> None:
    """The pre-rule path: a worker completes the parked ``decision:discount`` task."""

    async def fetched() -> list[dict[str, Any]] | None:
        r = await stack.http.post(
            "/v1/bpms/service-tasks/fetch-and-lock",
            json={
                "workerId": "dmn-worker",
                "maxTasks": 1,
                "topics": [{"topicName": "decision:discount", "lockDuration": 60_000}],
            },
        )
        found: list[dict[str, Any]] = r.json()
        return [t for t in found if t["processInstanceId"] == instance_id] or None

    task = (await eventually(fetched, what="the parked decision task"))[0]
    done = await stack.http.post(
        f"/v1/bpms/service-tasks/{task['id']}/complete",
        json={"workerId": "dmn-worker", "processData": {"result": {"rate": 0.15}}},
    )
    assert done.status_code == 204, done.text


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_decision_task_replays(stack: Stack) -> None:
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    files = [discount_process()]
    if tag != "prepatch":  # before the rule no decision was deployed: a worker decided
        files.append(("pricing.dmn", DISCOUNT_DMN))
    deployed = await deploy(stack.http, *files)
    assert deployed.status_code == 201, deployed.text
    instance_id = await Baton(stack).start(
        "pricing-order", {"customerType": "gold", "orderTotal": 200}
    )
    handle = stack.client.get_workflow_handle(instance_id)
    view = await until(
        handle, lambda v: v.state is not c.InstanceState.ACTIVE or bool(v.active), "a step"
    )
    if tag == "prepatch":
        await _serve_parked(stack, instance_id)
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    if tag:
        await asyncio.sleep(3)  # the read-model flush too, so the history holds it
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if tag:
        (HISTORIES / f"decision-{tag}.json").write_text(history.to_json())
        return
    assert view.state is c.InstanceState.COMPLETED
    assert view.variables["discount"] == {"rate": 0.15, "reason": "gold customer"}


def test_the_prepatch_history_is_on_the_old_path() -> None:
    """The fixture really took the old path: a ``decision:discount`` activity."""
    path = Path(HISTORIES / "decision-prepatch.json")
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    types = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "decision:discount" in types
