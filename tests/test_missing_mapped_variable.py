"""``semantics.MISSING_MAPPED_VARIABLE``: ``camunda:in`` / ``camunda:out`` with a
``source`` variable that does not exist map null, as Camunda 7 does
(``CallActivityTest.testSubProcessWithDataInputOutput``). Before the rule the mapping
failed and the call activity opened an incident: ``missing-mapped-variable-prepatch.json``
was recorded then and must keep replaying."""

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

CALLER = diagram(
    "maps-missing",
    '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="maps-callee">'
    "<bpmn:extensionElements>"
    '<camunda:in source="nowhere" target="inside"/>'
    '<camunda:out source="neverSet" target="outside"/>'
    '<camunda:out source="made" target="made"/>'
    "</bpmn:extensionElements></bpmn:callActivity>"
    '<bpmn:endEvent id="e"/>' + flows("s>call", "call>e"),
)
CALLEE = diagram(
    "maps-callee",
    '<bpmn:startEvent id="cs"/><bpmn:scriptTask id="make" scriptFormat="feel">'
    "<bpmn:script>1 + 1</bpmn:script></bpmn:scriptTask>"
    '<bpmn:endEvent id="ce"/>' + flows("cs>make", "make>ce"),
)


async def test_a_missing_source_variable_maps_null(stack: Stack) -> None:
    assert (await deploy(stack.http, CALLER, CALLEE)).status_code == 201
    instance_id = await Baton(stack).start("maps-missing", {})
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:
        await until(handle, lambda v: bool(v.incidents), "the incident")
        await asyncio.sleep(3)
        history = await handle.fetch_history()
        assert (await _replayer().replay_workflow(history)).replay_failure is None
        (HISTORIES / f"missing-mapped-variable-{tag}.json").write_text(history.to_json())
        return
    done = await handle.result()
    assert done.variables["outside"] is None
    view = await state(handle)
    assert not view.incidents
    [child] = view.children
    inner = await stack.client.get_workflow_handle(child, result_type=c.ProcessResult).result()
    assert inner.variables["inside"] is None
    assert (await _replayer().replay_workflow(await handle.fetch_history())).replay_failure is None
