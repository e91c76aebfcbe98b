"""``make run`` for real: ``baton dev`` brings up the dev server + UI, worker and API;
the five-step slice works over real HTTP; Ctrl-C stops everything; a restart keeps data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.support.ports import free_port

BATON = str(Path(sys.executable).parent / "baton")


class DevStack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.api_port = free_port()
        self.ui_port = free_port()
        self.temporal_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "dev.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "BATON_DATA_DIR": str(self.data_dir),
            "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{self.data_dir / 'baton.db'}",
            "BATON_API_PORT": str(self.api_port),
            "BATON_TEMPORAL_UI_PORT": str(self.ui_port),
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [BATON, "dev", "--temporal-port", str(self.temporal_port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"API not up within 60 s:\n{self.log.read_text()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self.process = None
        return code


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[DevStack]:
    stack = DevStack(tmp_path)
    yield stack
    if stack.process is not None:
        stack.process.kill()


def _eventually(probe: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def test_make_run_serves_the_slice_and_keeps_data(dev_stack: DevStack) -> None:
    started_at = time.monotonic()
    dev_stack.start()
    assert time.monotonic() - started_at < 60
    api = httpx.Client(base_url=dev_stack.base, timeout=10)
    assert api.get("/ready").json()["checks"] == {"temporal": "ok", "database": "ok"}
    ui = httpx.get(f"http://127.0.0.1:{dev_stack.ui_port}/", timeout=5)
    assert ui.status_code == 200 and "<html" in ui.text.lower()

    files = {"file": ("invoice-approval.bpmn", (EXAMPLES / "invoice-approval.bpmn").read_bytes())}
    assert api.post("/v1/bpms/deployments", files=files).status_code == 201
    instance = api.post(
        "/v1/bpms/process-instances",
        json={
            "processDefinitionKey": "invoice-approval",
            "businessKey": "INV-7",
            "processData": {"approver": "john"},
        },
    ).json()
    task = _eventually(
        lambda: api.get("/v1/bpms/tasks", params={"assignee": "john"}).json()["items"], "task"
    )[0]
    done = api.post(f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"ok": True}})
    assert done.status_code == 200
    final = _eventually(
        lambda: (
            body
            if (body := api.get(f"/v1/bpms/process-instances/{instance['id']}").json())["state"]
            == "COMPLETED"
            else None
        ),
        "COMPLETED",
    )
    assert final["processData"] == {"approver": "john", "registered": "yes", "ok": True}

    # Ctrl-C stops every component
    assert dev_stack.stop() == 0
    assert not _port_open(dev_stack.api_port)
    assert not _port_open(dev_stack.ui_port)

    # running it again keeps deployments, instances (Temporal) and read models (SQLite)
    dev_stack.start()
    assert api.get("/v1/bpms/process-definitions/invoice-approval").json()["version"] == 1
    again = api.get(f"/v1/bpms/process-instances/{instance['id']}").json()
    assert again["state"] == "COMPLETED"
    assert again["processData"] == final["processData"]
    assert api.get(f"/v1/bpms/tasks/{task['id']}").json()["state"] == "COMPLETED"
    assert dev_stack.stop() == 0
