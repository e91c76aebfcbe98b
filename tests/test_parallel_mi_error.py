"""``semantics.MI_ERROR_ENDS_ALL``: a BPMN error that one instance of a parallel
multi-instance activity does not catch ends the other instances and reaches the
activity's boundary events, as Camunda 7 does
(``BoundaryErrorEventTest.testCatchErrorOnParallelMultiInstance``). Before the rule the
body waited for the other instances for ever: ``mi-error-prepatch.json`` was recorded
then, and must keep replaying on that path."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton, complete, state, until
from tests.support.http import deploy
from tests.test_replay import HISTORIES, _replayer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

PARALLEL = diagram(
    "mi-error",
    '<bpmn:startEvent id="s"/>'
    '<bpmn:subProcess id="each"><bpmn:multiInstanceLoopCharacteristics isSequential="false">'
    "<bpmn:loopCardinality>${2}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"
    '<bpmn:startEvent id="es"/><bpmn:userTask id="check"/>'
    '<bpmn:exclusiveGateway id="ok" default="f_ok_fine"/>'
    '<bpmn:endEvent id="fine"/>'
    '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
    + flows("es>check", "check>ok", "ok>fine", "ok>fail:${bad == true}")
    + "</bpmn:subProcess>"
    '<bpmn:boundaryEvent id="caught" attachedToRef="each">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    '<bpmn:userTask id="recover"/><bpmn:endEvent id="e"/><bpmn:endEvent id="after"/>'
    + flows("s>each", "each>e", "caught>recover", "recover>after"),
    top='<bpmn:error id="err" errorCode="BAD"/>',
)


async def test_an_uncaught_error_of_one_parallel_instance_ends_the_others(
    stack: Stack,
) -> None:
    assert (await deploy(stack.http, PARALLEL)).status_code == 201
    instance_id = await Baton(stack).start("mi-error", {"bad": False})
    handle = stack.client.get_workflow_handle(instance_id)
    await until(handle, lambda v: len([t for t in v.tasks if t.element_id == "check"]) == 2, "2")
    await complete(handle, "check", {"bad": True})
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:
        await asyncio.sleep(3)
        history = await handle.fetch_history()
        assert (await _replayer().replay_workflow(history)).replay_failure is None
        (HISTORIES / f"mi-error-{tag}.json").write_text(history.to_json())
        return
    view = await until(handle, lambda v: any(t.element_id == "recover" for t in v.tasks), "recover")
    states = sorted(t.state.value for t in view.tasks if t.element_id == "check")
    assert states == ["CANCELED", "COMPLETED"], states  # the other instance was ended
    assert (await state(handle)).counts.cancelled.get("check") == 1
    assert (await _replayer().replay_workflow(await handle.fetch_history())).replay_failure is None
