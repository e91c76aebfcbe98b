"""core.logs: JSON lines carry the request id and the Temporal ids; text stays readable."""

from __future__ import annotations

import json
import logging

import pytest

from core import logs
from core.settings import Settings


@pytest.fixture(autouse=True)
def _restore_root() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_request_and_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(Settings(_env_file=None, log_format="json"))  # type: ignore[call-arg]
    token = logs.REQUEST_ID.set("req-42")
    try:
        logging.getLogger("baton.test").info(
            "task %s done",
            "t-1",
            extra={"temporal_activity": {"workflow_id": "wf-7", "activity_type": "x.y"}},
        )
    finally:
        logs.REQUEST_ID.reset(token)
    logging.getLogger("baton.test").warning("no request now")
    first, second = capsys.readouterr().err.strip().splitlines()
    record = json.loads(first)
    assert record["message"] == "task t-1 done" and record["level"] == "INFO"
    assert record["logger"] == "baton.test" and "time" in record
    assert record["request_id"] == "req-42"
    assert record["workflow_id"] == "wf-7" and record["activity_type"] == "x.y"
    assert "temporal_activity" not in record  # lifted, not repeated
    assert "request_id" not in json.loads(second)


def test_text_lines_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(Settings(_env_file=None))  # type: ignore[call-arg]
    logging.getLogger("baton.test").info("hello")
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO baton.test hello")
