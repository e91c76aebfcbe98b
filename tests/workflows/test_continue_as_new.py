"""Long-running instances continue as new at a quiet point and lose nothing: tokens,
open user tasks (same ids), variables, buffered messages, timer deadlines and counts
travel into the next run."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from baton_client.contracts import bpmn as c
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows, timer
from tests.support.driver import open_tasks, state, until
from tests.support.http import deploy, eventually
from workflows.bpmn_process import BpmnProcess
from workflows.runner import workflow_runner

HISTORIES = Path(__file__).parent.parent / "histories"

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

ITERATIONS = 5001
LIMIT = 1000  # history events per run before the instance continues as new


def long_loop() -> tuple[str, bytes]:
    """Branch A loops over a service task; branch B waits at a user task (with a
    non-interrupting cycle timer that must not restart), then for a message that was
    sent long before; branch C waits for a timer whose deadline must survive."""
    return diagram(
        "long-loop",
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>'
        '<bpmn:serviceTask id="inc"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="test.increment"/></bpmn:extensionElements>'
        "</bpmn:serviceTask>"
        '<bpmn:exclusiveGateway id="more" default="f_more_eA"/><bpmn:endEvent id="eA"/>'
        '<bpmn:userTask id="review" name="review"/>'
        '<bpmn:boundaryEvent id="remind" attachedToRef="review" cancelActivity="false">'
        + timer("cycle", "R3/PT1H")
        + '</bpmn:boundaryEvent><bpmn:endEvent id="reminded"/>'
        '<bpmn:intermediateCatchEvent id="go"><bpmn:messageEventDefinition messageRef="m"/>'
        '</bpmn:intermediateCatchEvent><bpmn:endEvent id="eB"/>'
        '<bpmn:intermediateCatchEvent id="pause">'
        + timer("duration", "PT8S")
        + '</bpmn:intermediateCatchEvent><bpmn:endEvent id="eC"/>'
        + flows(
            "s>fork",
            "fork>inc",
            "inc>more",
            f"more>inc:=count < {ITERATIONS}",
            "more>eA",
            "fork>review",
            "remind>reminded",
            "review>go",
            "go>eB",
            "fork>pause",
            "pause>eC",
        ),
        top='<bpmn:message id="m" name="go"/>',
    )


@pytest.mark.slow
async def test_a_loop_of_5001_iterations_continues_as_new_without_losing_anything(
    stack: Stack,
) -> None:
    deployed = (await deploy(stack.http, long_loop())).json()["definitions"][0]
    ref = c.DefinitionRef(
        key=deployed["key"], version=deployed["version"], sha256=deployed["sha256"]
    )
    handle = await stack.client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=ref,
            business_key="LOOP-1",
            variables={"count": 0},
            continue_as_new_after=LIMIT,
        ),
        id=f"long-loop-{uuid.uuid4()}",
        task_queue=stack.settings.task_queue,
        result_type=c.ProcessResult,
    )
    first = await until(handle, lambda v: "review" in open_tasks(v), "the review task")
    task_id = open_tasks(first)["review"].id
    # sent long before anything waits for it: buffered, and carried from run to run
    await handle.signal(
        c.DELIVER_MESSAGE, c.DeliverMessage(name="go", variables={"went": True}, message_id="m-1")
    )
    later = await until(handle, lambda v: v.runs >= 3, "two continues-as-new", timeout=60)
    assert open_tasks(later)["review"].id == task_id  # the same task, not a new one
    assert later.waiting_timers and "remind" in later.waiting_timers
    done = await until(
        handle, lambda v: v.variables.get("count") == ITERATIONS, "the loop to end", timeout=240
    )
    # the 8 s timer fired once, on its first deadline, although runs changed under it
    assert done.counts.completed.get("pause") == 1 and done.counts.completed.get("eC") == 1
    assert done.counts.entered["inc"] == ITERATIONS and done.counts.completed["eA"] == 1
    assert "reminded" not in done.counts.entered  # the cycle timer did not restart early
    assert done.runs > ITERATIONS * 6 // LIMIT // 2, done.runs
    await handle.execute_update(
        c.COMPLETE_USER_TASK,
        c.CompleteUserTask(task_id=task_id, variables={"reviewed": True}),
        result_type=c.UserTaskCompleted,
    )
    result = await handle.result()
    assert result.state is c.InstanceState.COMPLETED
    assert result.variables == {"count": ITERATIONS, "reviewed": True, "went": True}
    final = await state(handle)
    assert final.counts.completed["eB"] == 1 and final.counts.completed["go"] == 1
    assert final.start_time == first.start_time
    # every run stayed short; the read model kept one row for the instance
    description = await handle.describe()
    assert description.run_id != description.raw_description.workflow_execution_info.first_run_id
    events = [e async for e in handle.fetch_history_events()]
    assert len(events) < LIMIT + 200
    assert events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED

    async def row_completed() -> bool | None:
        got = await stack.http.get(f"/v1/bpms/process-instances/{handle.id}")
        return True if got.json().get("state") == "COMPLETED" else None

    await eventually(row_completed, what="the instance row", timeout=10)


async def test_every_run_of_a_continued_instance_replays(stack: Stack) -> None:
    """Determinism of the restore path: each run's history (the later ones start from a
    snapshot) replays on the current interpreter; one is kept for future versions."""
    deployed = (await deploy(stack.http, long_loop())).json()["definitions"][0]
    ref = c.DefinitionRef(
        key=deployed["key"], version=deployed["version"], sha256=deployed["sha256"]
    )
    handle = await stack.client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=ref, variables={"count": ITERATIONS - 60}, continue_as_new_after=100
        ),
        id=f"short-loop-{uuid.uuid4()}",
        task_queue=stack.settings.task_queue,
        result_type=c.ProcessResult,
    )
    await until(handle, lambda v: v.variables.get("count") == ITERATIONS, "the loop", timeout=60)
    view = await until(handle, lambda v: "review" in open_tasks(v), "the review task")
    assert view.runs >= 3
    run_id = handle.first_execution_run_id
    histories = []
    while run_id:
        run = stack.client.get_workflow_handle(handle.id, run_id=run_id)
        history = await run.fetch_history()
        histories.append(history)
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            break
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    assert len(histories) == view.runs
    replayer = Replayer(
        workflows=[BpmnProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    for history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None
    if os.environ.get("BATON_RECORD_HISTORIES"):
        (HISTORIES / "continue-as-new-run2.json").write_text(histories[1].to_json())
    await handle.terminate("test over")
