"""Synchronous built-in task types run as local activities, as Camunda 7 runs a
synchronous delegate; ``camunda:asyncBefore``/``asyncAfter`` keeps a regular activity.
Instances recorded before the rule (``cancel-prepatch.json``, ``invoice-approval-ir*``)
keep replaying with ``baton.noop`` as a regular activity (tests/test_replay.py)."""

from __future__ import annotations

import json

import pytest
from baton_client.contracts import bpmn as c
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import complete, start, until
from workflows.bpmn_process import BpmnProcess
from workflows.runner import workflow_runner

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


def _task(task_id: str, task_type: str, extra: str = "") -> str:
    return (
        f'<bpmn:serviceTask id="{task_id}" {extra}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{task_type}"/>'
        '<zeebe:taskHeaders><zeebe:header key="colour" value="teal"/></zeebe:taskHeaders>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


async def test_builtins_run_locally_unless_async(stack: Stack) -> None:
    body = (
        '<bpmn:startEvent id="s"/>'
        + _task("quick", "baton.echo")
        + _task("boundary", "baton.noop", 'camunda:asyncBefore="true"')
        + _task("after", "baton.noop", 'camunda:asyncAfter="true"')
        + '<bpmn:endEvent id="e"/>'
        + flows("s>quick", "quick>boundary", "boundary>after", "after>e")
    )
    handle = await start(stack, diagram("local_builtins", body))
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables["colour"] == "teal"  # the echo's answer reached the instance
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    # the two marked async; the read models are written by regular activities, after
    # the workflow task that decided the change committed (projection-after-commit)
    assert [a for a in scheduled if a != c.PROJECT] == ["baton.noop", "baton.noop"]
    assert c.PROJECT in scheduled
    locals_ = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    # load definition and the echo
    assert len(locals_) == 2
    replayer = Replayer(
        workflows=[BpmnProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None


async def test_a_long_loop_over_a_builtin_is_no_cycle_without_waits(stack: Stack) -> None:
    """Workflow time stands still while local activities run, yet each one is a wait:
    2,100 rounds (over 6,000 element entries, past ``MAX_BURST``) complete. A user task
    created beside the loop reaches the read models while the loop still runs (a batch
    every ``FLUSH_EVERY_LOCALS`` local activities), not only when it ends."""
    rounds = 2100
    body = (
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:scriptTask id="inc"><bpmn:extensionElements>'
        '<zeebe:script expression="= count + 1" resultVariable="count"/>'
        "</bpmn:extensionElements></bpmn:scriptTask>"
        + _task("work", "baton.noop")
        + '<bpmn:exclusiveGateway id="more" default="done"/><bpmn:endEvent id="e"/>'
        + '<bpmn:userTask id="review"/><bpmn:endEvent id="e2"/>'
        + flows("s>fork", "fork>inc", "inc>work", "work>more", f"more>inc:=count < {rounds}")
        + flows("fork>review", "review>e2")
        + '<bpmn:sequenceFlow id="done" sourceRef="more" targetRef="e"/>'
    )
    handle = await start(stack, diagram("builtin_loop", body), {"count": 0})
    await until(handle, lambda v: v.variables.get("count") == rounds, "the loop", timeout=60)
    history = await handle.fetch_history()
    # local activities (markers) and read-model batches (regular activities, scheduled
    # once the workflow task that decided them commits), in history order
    kinds = [
        json.loads(e.marker_recorded_event_attributes.details["data"].payloads[0].data)[
            "activity_type"
        ]
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        else e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if (
            e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )
        or e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    first_batch = kinds.index(c.PROJECT)
    assert kinds.count("baton.noop") == rounds
    assert kinds[:first_batch].count("baton.noop") <= 20  # FLUSH_EVERY_LOCALS
    await complete(handle, "review")
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables["count"] == rounds
