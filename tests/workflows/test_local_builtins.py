"""Synchronous built-in task types run as local activities, as Camunda 7 runs a
synchronous delegate; ``camunda:asyncBefore``/``asyncAfter`` keeps a regular activity.
Instances recorded before the rule (``cancel-prepatch.json``, ``invoice-approval-ir*``)
keep replaying with ``baton.noop`` as a regular activity (tests/test_replay.py)."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack
from tests.workflows.diagrams import diagram, flows
from tests.workflows.helpers import start
from workflows import contracts as c
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
    assert scheduled == ["baton.noop", "baton.noop"]  # the two marked async, nothing else
    locals_ = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    # load definition, the echo, and at least one projection of the read models
    assert len(locals_) >= 3
    replayer = Replayer(
        workflows=[BpmnProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
    )
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
