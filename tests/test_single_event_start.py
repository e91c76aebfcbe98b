"""``semantics.SINGLE_EVENT_START``: a process whose only start event is a message (or
timer, or signal) start event, started by key without naming a start event, begins at
that event, as Camunda 7's ``startProcessInstanceByKey`` does
(``MessageStartEventTest.testSingleMessageStartEvent``). Before the rule the instance
held no token and never moved: ``single-event-start-prepatch.json`` was recorded then
and must keep replaying."""

from __future__ import annotations

import asyncio
import os

import pytest
from baton_client.contracts import bpmn as c

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton, state, until
from tests.support.http import deploy
from tests.test_replay import HISTORIES, _replayer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

BY_MESSAGE = diagram(
    "only-message-start",
    '<bpmn:startEvent id="ms"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
    '<bpmn:userTask id="work"/><bpmn:endEvent id="e"/>' + flows("ms>work", "work>e"),
    top='<bpmn:message id="m" name="orderPlaced"/>',
)


async def test_a_single_message_start_event_is_where_a_start_by_key_begins(
    stack: Stack,
) -> None:
    assert (await deploy(stack.http, BY_MESSAGE)).status_code == 201
    instance_id = await Baton(stack).start("only-message-start", {"n": 1})
    handle = stack.client.get_workflow_handle(instance_id)
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:
        await asyncio.sleep(3)
        history = await handle.fetch_history()
        assert (await _replayer().replay_workflow(history)).replay_failure is None
        (HISTORIES / f"single-event-start-{tag}.json").write_text(history.to_json())
        return
    view = await until(handle, lambda v: bool(v.tasks), "the user task")
    assert [t.element_id for t in view.tasks] == ["work"]
    assert (await state(handle)).counts.completed.get("ms") == 1
    history = await handle.fetch_history()
    assert (await _replayer().replay_workflow(history)).replay_failure is None
    assert view.state is c.InstanceState.ACTIVE
