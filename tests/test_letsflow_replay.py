"""Determinism of ``LetsflowProcess``: a process driven over HTTP (start, a skipped step,
accepted steps, the end) replays on the current code in the strict sandbox, and so does
the history recorded when the workflow was written (``tests/histories/letsflow-quote.json``,
replayed by tests/test_replay.py with every other recorded history;
``BATON_RECORD_HISTORIES=1`` re-records it after a deliberate, patched change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack
from tests.letsflow.corpus import needs_corpus
from tests.test_letsflow_processes_api import FULL_REQUEST, JOHN, MARY, start_quote
from workflows.letsflow_process import LetsflowProcess
from workflows.runner import workflow_runner

HISTORY = Path(__file__).parent / "histories" / "letsflow-quote.json"


def _replayer() -> Replayer:
    return Replayer(
        workflows=[LetsflowProcess],
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
    )


@needs_corpus
@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_quote_process_replays(stack: Stack) -> None:
    process = await start_quote(stack)
    url = f"/processes/{process['id']}"
    skipped = await stack.http.post(f"{url}/request", json={"company": "x"}, headers=JOHN)
    assert skipped.status_code == 400
    assert (await stack.http.post(f"{url}/request", json=FULL_REQUEST, headers=JOHN)).is_success
    cancelled = await stack.http.post(f"{url}/cancel", json={"reason": "budget"}, headers=MARY)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["isRunning"] is False
    handle = stack.client.get_workflow_handle(process["id"])
    await handle.result()
    history = await handle.fetch_history()
    await _replayer().replay_workflow(history)
    if os.environ.get("BATON_RECORD_HISTORIES"):
        HISTORY.write_text(history.to_json())
