"""``semantics.CALLED_ERROR``: a BPMN error that a called process throws and does not
catch reaches the call activity, whose error boundary event catches it (Camunda 7's
``BoundaryErrorEventTest.testCatchErrorOnCallActivity``); the called instance ends.
Before the rule the error passed as a none end event in the called process and the
caller left by its normal flow: ``called-error-child-prepatch.json`` (the called
process) was recorded then and must keep replaying on that path. (The caller's side
changed only where the old path never went; a caller's history cannot be a fixture,
since its child ids contain its own workflow id, which a replay renames.)"""

from __future__ import annotations

import asyncio
import os

import pytest
from baton_client.contracts import bpmn as c

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton, state
from tests.support.http import deploy
from tests.test_replay import HISTORIES, _replayer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

CALLER = diagram(
    "error-caller",
    '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="error-callee"/>'
    '<bpmn:boundaryEvent id="caught" attachedToRef="call">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="normal"/><bpmn:endEvent id="handled"/>'
    + flows("s>call", "call>normal", "caught>handled"),
    top='<bpmn:error id="err" errorCode="REJECTED"/>',
)
CALLEE = diagram(
    "error-callee",
    '<bpmn:startEvent id="cs"/><bpmn:endEvent id="reject">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>' + flows("cs>reject"),
    top='<bpmn:error id="err" errorCode="REJECTED"/>',
)


async def test_an_uncaught_error_of_a_called_process_reaches_the_call_activity(
    stack: Stack,
) -> None:
    assert (await deploy(stack.http, CALLER, CALLEE)).status_code == 201
    instance_id = await Baton(stack).start("error-caller", {})
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)
    await handle.result()
    view = await state(handle)
    [child] = view.children
    child_history = await stack.client.get_workflow_handle(child).fetch_history()
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:
        await asyncio.sleep(3)  # the read-model flushes too
        history = await handle.fetch_history()
        child_history = await stack.client.get_workflow_handle(child).fetch_history()
        del history
        (HISTORIES / f"called-error-child-{tag}.json").write_text(child_history.to_json())
        return
    assert view.counts.completed.get("handled") == 1, view.counts
    assert "normal" not in view.counts.completed
    for recorded in (await handle.fetch_history(), child_history):
        assert (await _replayer().replay_workflow(recorded)).replay_failure is None
