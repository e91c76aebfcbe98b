"""A signal thrown inside one instance reaches the others and starts the processes whose
start event listens for it (through ``baton.broadcast_signal``)."""

from __future__ import annotations

import pytest
from baton_client.contracts import bpmn as c

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import start, until
from tests.support.http import deploy, eventually

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

SIGNAL = '<bpmn:signal id="sig" name="lights-out"/>'
DEFINITION = '<bpmn:signalEventDefinition signalRef="sig"/>'


async def test_a_thrown_signal_reaches_other_instances_and_starts_listeners(
    stack: Stack,
) -> None:
    waiter = await start(
        stack,
        diagram(
            "waiter",
            f'<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="hear">{DEFINITION}'
            '</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>' + flows("s>hear", "hear>e"),
            top=SIGNAL,
        ),
    )
    await until(waiter, lambda v: "hear" in v.waiting_elements, "the waiter to listen")
    listener_file = diagram(
        "listener",
        f'<bpmn:startEvent id="go">{DEFINITION}</bpmn:startEvent><bpmn:endEvent id="e"/>'
        + flows("go>e"),
        top=SIGNAL,
    )
    deployed = await deploy(stack.http, listener_file)
    assert deployed.status_code == 201, deployed.text
    shouter = await start(
        stack,
        diagram(
            "shouter",
            f'<bpmn:startEvent id="s"/><bpmn:endEvent id="shout">{DEFINITION}</bpmn:endEvent>'
            + flows("s>shout"),
            top=SIGNAL,
        ),
    )
    assert (await shouter.result()).state is c.InstanceState.COMPLETED
    heard = await waiter.result()
    assert heard.state is c.InstanceState.COMPLETED

    async def started_listener() -> str | None:
        query = 'WorkflowType = "BpmnProcess" AND BpmnProcessKey = "listener"'
        found = [wf.id async for wf in stack.client.list_workflows(query)]
        return found[0] if found else None

    listener_id = await eventually(started_listener, what="a listener instance", timeout=15)
    assert c.started_by(listener_id, shouter.id)
    assert "/" not in listener_id  # REST paths can name it
    listener = stack.client.get_workflow_handle(listener_id, result_type=c.ProcessResult)
    assert (await listener.result()).state is c.InstanceState.COMPLETED
    view = await listener.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    assert view.counts.completed == {"go": 1, "e": 1}
