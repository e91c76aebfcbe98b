"""Determinism: recorded histories must replay on the current interpreter.

``tests/histories/*.json`` were recorded by earlier versions of ``BpmnProcess``; a change
that alters the commands an old history expects fails here and needs a semantic rule of
the next epoch (``workflows/semantics.py``, docs/interpreter.md).
Set ``BATON_RECORD_HISTORIES=1`` to (re)record the skeleton's history after a deliberate,
patched change.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from bpmn_compiler.ir import IR_VERSION
from tests.conftest import BPMN_DIR, EXAMPLES, Stack
from tests.support.driver import Baton, complete, start, until
from tests.support.http import eventually
from tests.workflows.diagrams import (
    bean_calls,
    compensate_both,
    empty_ad_hoc,
    escalation_by_reference,
    esp_compensation,
    esp_rethrow,
    gateway_sink,
    implicit_start,
    link_join,
    message_flow_pair,
    signal_scope,
    standard_loop,
    uncaught_throws,
)
from workflows.bpmn_process import BpmnProcess
from workflows.letsflow_process import LetsflowProcess
from workflows.runner import workflow_runner

HISTORIES = Path(__file__).parent / "histories"


def recorded_histories() -> list[Path]:
    """Every history ``test_recorded_history_replays`` replays: each semantic rule's
    fixture must be one (tests/workflows/test_semantic_rules.py checks it)."""
    return sorted(HISTORIES.glob("*.json"))


def _replayer() -> Replayer:
    """Replays in the strict sandbox: the interpreter re-imported and restricted, so a
    non-deterministic call on a recorded path fails here (workers pass it through)."""
    return Replayer(
        workflows=[BpmnProcess, LetsflowProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
    )


def test_strict_runner_restricts_the_interpreter() -> None:
    """Workers pass the interpreter through the sandbox for speed; the strict runner the
    replays use must not, or the restriction checks would never see its code."""
    fast = workflow_runner().restrictions.passthrough_modules
    strict = workflow_runner(strict=True).restrictions.passthrough_modules
    assert "workflows" in fast
    assert not {"workflows", "workflows.bpmn_process", "workflows.tokens"} & strict


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_fresh_history_replays(stack: Stack) -> None:
    baton = Baton(stack)
    await baton.deploy(EXAMPLES / "invoice-approval.bpmn")
    instance_id = await baton.start(
        "invoice-approval", {"approver": "john", "amount": 99}, business_key="INV-42"
    )
    t = await baton.open_task(instance_id, what="task")
    await baton.complete(t["id"], {"ok": True})
    handle = baton.handle(instance_id)
    await handle.result()
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if os.environ.get("BATON_RECORD_HISTORIES"):
        (HISTORIES / f"invoice-approval-ir{IR_VERSION}.json").write_text(history.to_json())


@pytest.mark.parametrize("path", recorded_histories(), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await _replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


@pytest.mark.parametrize("database_backend", ["sqlite"])
@pytest.mark.parametrize(
    "case",
    [
        "uncaught",
        "rethrow",
        "compensation",
        "adhoc",
        "sink",
        "signal",
        "link",
        "implicit",
        "flows",
        "escref",
        "compboth",
        "stdloop",
        "bean",
    ],
)
async def test_patched_throw_paths_replay(stack: Stack, case: str) -> None:
    """The rules behind ``UNHANDLED_THROW_PATCH``, ``ESP_RETHROW_PATCH``,
    ``ESP_COMPENSATION_PATCH``, ``EMPTY_AD_HOC_PATCH``, ``SINK_PATCH``,
    ``SIGNAL_SCOPE_PATCH``, ``JOIN_THROUGH_LINKS_PATCH``, ``IMPLICIT_START_PATCH``,
    ``MESSAGE_FLOW_PATCH``, ``THROW_REF_PATCH``, ``COMPENSATE_BOTH_PATCH``,
    ``STANDARD_LOOP_PATCH``, ``BEAN_CALL_PATCH``: a fresh run replays;
    ``throws-<case>-prepatch.json`` (recorded before the rules) must keep replaying on
    the old path."""
    diagrams = {
        "uncaught": uncaught_throws,
        "rethrow": esp_rethrow,
        "compensation": esp_compensation,
        "adhoc": empty_ad_hoc,
        "sink": gateway_sink,
        "signal": signal_scope,
        "link": link_join,
        "implicit": implicit_start,
        "flows": message_flow_pair,
        "escref": escalation_by_reference,
        "compboth": compensate_both,
        "stdloop": standard_loop,
        "bean": bean_calls,
    }
    variables = {"stdloop": {"count": 0}, "bean": {"name": "ada", "team": ["mary"]}}
    handle = await start(stack, diagrams[case](), variables.get(case))
    if case == "bean":  # its user task waits (before the rule: an incident comes first)
        ready = await until(handle, lambda v: bool(v.incidents or v.tasks), "task or incident")
        if ready.tasks:
            await complete(handle, "check")
    view = await until(handle, lambda v: v.state is not c.InstanceState.ACTIVE, "the end")
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:  # let the read-model flush run too, so the history holds its commands
        await asyncio.sleep(3)
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if tag:
        (HISTORIES / f"throws-{case}-{tag}.json").write_text(history.to_json())
    else:
        assert view.state is c.InstanceState.COMPLETED
        if case == "signal":
            assert view.counts.completed.get("he") == 1 and "outer" not in view.counts.entered
            assert view.counts.cancelled.get("shout") == 1
        if case == "link":
            assert view.counts.entered["join"] == 2 and view.counts.completed["e"] == 1
        if case == "implicit":
            assert view.counts.completed.get("stray") == 1
        if case == "flows":  # the answer came back from the pong instance it started
            assert [e.type for e in view.history].count("MESSAGE_SENT") == 1
            assert view.counts.completed["hear"] == 1
        if case == "escref":
            assert view.counts.completed.get("ne") == 1 and view.counts.completed.get("ae") == 1
        if case == "compboth":
            assert view.counts.completed.get("undo_a") == 1
            assert view.counts.completed.get("undo_sub") == 1
        if case == "stdloop":
            assert view.variables["count"] == 3
        if case == "bean":
            assert view.variables["loud"] == "ADA"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_cancelled_instance_replays(stack: Stack) -> None:
    """``CANCEL_PATCH``: a cancelled instance winds down (tasks CANCELED, row TERMINATED)
    and its history replays; ``cancel-prepatch.json`` (cancelled before the rule, when the
    run simply ended) keeps replaying on the old path."""
    handle = await start(stack, EXAMPLES / "invoice-approval.bpmn", {"approver": "john"})
    await until(handle, lambda v: bool(v.tasks), "the task")
    await handle.cancel()  # as the Web UI does: no reason, no cancel_instance update
    with pytest.raises(Exception):  # noqa: B017 - WorkflowFailureError wrapping the cancel
        await handle.result()
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if tag:
        (HISTORIES / f"cancel-{tag}.json").write_text(history.to_json())
        return
    view = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    assert view.state is c.InstanceState.TERMINATED
    assert [t.state for t in view.tasks] == [c.TaskState.CANCELED]
    assert view.history[-1].type == "PROCESS_CANCELLED"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_message_wait_replays(stack: Stack) -> None:
    """``WAITING_MESSAGES_PATCH``: an instance that waits for a keyed message publishes
    ``BpmnWaitingMessages`` and replays; ``messages-prepatch.json`` (recorded before the
    search attribute) keeps replaying without it."""
    handle = await start(
        stack, BPMN_DIR / "loan-application.bpmn", {"applicationId": "R"}, key="loan-application"
    )
    view = await until(handle, lambda v: bool(v.tasks), "the review task")
    await complete(handle, "review")
    await until(handle, lambda v: "documents-received" in v.waiting_messages, "the wait")
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if not tag:
        attrs = await eventually(
            lambda: _waiting_attribute(stack, handle.id), what="BpmnWaitingMessages"
        )
        assert attrs == ["documents-received", "documents-received|R"]
    await handle.execute_update(
        c.CORRELATE_MESSAGE,
        c.DeliverMessage(name="documents-received", correlation_key="R"),
        result_type=c.MessageCorrelated,
    )
    await handle.result()
    assert view.tasks[0].element_id == "review"
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if tag:
        (HISTORIES / f"messages-{tag}.json").write_text(history.to_json())


async def _waiting_attribute(stack: Stack, workflow_id: str) -> list[str] | None:
    described = await stack.client.get_workflow_handle(workflow_id).describe()
    found = described.typed_search_attributes.get(sa.WAITING_MESSAGES)
    return list(found) if found else None
