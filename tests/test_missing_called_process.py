"""``semantics.CALLED_PROCESS_INCIDENT``: a call activity whose called process is not
deployed opens an incident at the call activity (retried once the process is deployed).
Before the rule the failed lookup escaped the interpreter and failed the whole instance;
``called-process-missing-prepatch.json`` was recorded then and must keep replaying."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from baton_client.contracts import bpmn as c

from tests.conftest import Stack
from tests.support.bpmn import diagram, flows
from tests.support.driver import Baton
from tests.support.http import deploy, eventually
from tests.test_replay import HISTORIES, _replayer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_a_missing_called_process_is_an_incident_a_retry_fixes(stack: Stack) -> None:
    caller = diagram(
        "calls-ghost",
        '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="ghost"/>'
        '<bpmn:endEvent id="e"/>' + flows("s>call", "call>e"),
    )
    assert (await deploy(stack.http, caller)).status_code == 201
    instance_id = await Baton(stack).start("calls-ghost", {})
    handle = stack.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag == "prepatch":  # the old path: the instance failed
        with pytest.raises(Exception):  # noqa: B017 - WorkflowFailureError
            await handle.result()
        await asyncio.sleep(1)
        history = await handle.fetch_history()
        assert (await _replayer().replay_workflow(history)).replay_failure is None
        (HISTORIES / f"called-process-missing-{tag}.json").write_text(history.to_json())
        return

    async def incident() -> dict[str, Any] | None:
        view = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
        return view["incidents"][0] if view["incidents"] else None

    opened = await eventually(incident, what="the incident", timeout=30)
    assert opened["activityId"] == "call" and "ghost" in opened["message"]
    ghost = diagram("ghost", '<bpmn:startEvent id="gs"/><bpmn:endEvent id="ge"/>' + flows("gs>ge"))
    assert (await deploy(stack.http, ghost)).status_code == 201
    retried = await stack.http.post(f"/v1/bpms/incidents/{opened['id']}/retry", json={})
    assert retried.status_code == 204, retried.text
    await handle.result()
    history = await handle.fetch_history()
    assert (await _replayer().replay_workflow(history)).replay_failure is None
