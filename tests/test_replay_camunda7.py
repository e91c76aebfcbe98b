"""Camunda 7 conventions the interpreter took up in epoch 4, and their old paths.

Each case runs a diagram on a real server and replays its history; with
``BATON_RECORD_HISTORIES=<tag>`` it saves it as ``tests/histories/c7-<case>-<tag>.json``
(``prepatch`` was recorded on the interpreter before epoch 4, and ``tests/test_replay.py``
keeps replaying it on the old path).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowHandle

from tests.conftest import Stack
from tests.support.driver import start, state, until
from tests.test_replay import HISTORIES, _replayer
from tests.workflows.diagrams import c7_loops, c7_mi_compensation, two_tokens_one_timer

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def _replays_and_records(handle: WorkflowHandle[Any, Any], case: str) -> bool:
    """Replay the run's history; record it when asked. True when recording."""
    tag = os.environ.get("BATON_RECORD_HISTORIES")
    if tag:  # let the read-model flush run too, so the history holds its commands
        await asyncio.sleep(3)
    history = await handle.fetch_history()
    result = await _replayer().replay_workflow(history)
    assert result.replay_failure is None
    if tag:
        (HISTORIES / f"c7-{case}-{tag}.json").write_text(history.to_json())
    return bool(tag)


def _over(view: c.ProcessStateView) -> bool:
    return view.state is not c.InstanceState.ACTIVE or bool(view.incidents)


async def test_camunda7_loops(stack: Stack) -> None:
    """``CARDINALITY_LITERAL`` and ``ZERO_BASED_LOOP_COUNTER``: a plain-number
    cardinality runs; Camunda 7's ``loopCounter`` counts from 0."""
    handle = await start(stack, c7_loops())
    view = await until(handle, _over, "the end")
    if await _replays_and_records(handle, "loops"):
        return
    assert not view.incidents, view.incidents
    assert view.state is c.InstanceState.COMPLETED
    assert view.variables["last"] == 2
    assert view.counts.completed["lit"] == 1 and view.counts.entered["lit"] == 1


async def test_camunda7_multi_instance_compensation(stack: Stack) -> None:
    """``COMPENSATE_EACH_INSTANCE``: the handler runs once per completed instance, with
    that instance's ``loopCounter``, the most recent first."""
    recording = os.environ.get("BATON_RECORD_HISTORIES") == "prepatch"
    handle = await start(stack, c7_mi_compensation(counter=not recording))
    view = await until(handle, _over, "the end")
    if await _replays_and_records(handle, "micomp"):
        return
    assert not view.incidents, view.incidents
    assert view.state is c.InstanceState.COMPLETED
    assert view.counts.completed["undo"] == 3
    assert view.variables["undone"] == 0  # instance 0 completed first: undone last


async def test_one_fire_timer_releases_one_token(stack: Stack) -> None:
    """``FIRE_ONE_TIMER``: two tokens wait at one timer element; one ``fire_timer``
    moves one of them, the second request the other."""
    handle = await start(stack, two_tokens_one_timer())
    await until(handle, lambda v: v.counts.waiting.get("wait") == 2, "two tokens at the timer")
    await handle.execute_update(c.FIRE_TIMER, c.FireTimer(element_id="wait"))
    await asyncio.sleep(0.5)
    if os.environ.get("BATON_RECORD_HISTORIES") == "prepatch":  # both moved on
        await until(handle, _over, "the end")
        await _replays_and_records(handle, "timer")
        return
    view = await until(handle, lambda v: v.counts.completed.get("wait") == 1, "one token moved")
    assert view.state is c.InstanceState.ACTIVE
    await asyncio.sleep(0.5)
    assert (await state(handle)).counts.completed["wait"] == 1
    await handle.execute_update(c.FIRE_TIMER, c.FireTimer(element_id="wait"))
    view = await until(handle, _over, "the end")
    assert view.state is c.InstanceState.COMPLETED
    assert view.counts.completed["wait"] == 2
    await _replays_and_records(handle, "timer")
