"""``make run`` for real: ``baton dev`` brings up the dev server + UI, worker and API;
the five-step slice works over real HTTP; Ctrl-C stops everything; a restart keeps data;
``make run`` started in the background by a script (SIGINT ignored) stops on SIGINT
within 5 s. Whatever happens, no process of a test outlives it."""

from __future__ import annotations

import contextlib
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

from tests.conftest import EXAMPLES, ROOT
from tests.support.ports import free_port
from tests.support.procs import kill_marked, marked, new_marker

#: whole stacks started and stopped against the clock (Ctrl-C within 5 s): with the chaos
#: run on one xdist worker rather than beside it
pytestmark = pytest.mark.serial

BATON = str(Path(sys.executable).parent / "baton")


class DevStack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.api_port = free_port()
        self.ui_port = free_port()
        self.temporal_port = free_port()
        self.worker_metrics_port = free_port()
        self.temporal_metrics_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "dev.log"
        self.env = {
            **os.environ,
            **new_marker(),
            "BATON_DATA_DIR": str(self.data_dir),
            "BATON_API_PORT": str(self.api_port),
            "BATON_TEMPORAL_UI_PORT": str(self.ui_port),
            "BATON_DEV_TEMPORAL_PORT": str(self.temporal_port),
            "BATON_WORKER_METRICS_PORT": str(self.worker_metrics_port),
            "BATON_DEV_TEMPORAL_METRICS_PORT": str(self.temporal_metrics_port),
        }
        self.env.pop("BATON_DATABASE_URL", None)  # baton.db goes to BATON_DATA_DIR

    def start(self, command: list[str] | None = None, *, as_script_job: bool = False) -> None:
        """Run ``baton dev`` (or ``command``) in its own process group; ``as_script_job``
        starts it the way a shell script starts ``make run &``: SIGINT ignored."""

        def ignore_sigint() -> None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command or [BATON, "dev"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=ignore_sigint if as_script_job else None,
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
    try:
        yield stack
    finally:
        # a failed test must not leave its dev server, worker and API running: kill the
        # group, then whatever of ours escaped it (the children have their own sessions)
        if stack.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait(10)
        kill_marked(stack.env)


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
    for page in ("/cockpit", "/tasklist"):  # the web apps, with their viewers installed
        assert api.get(page).status_code == 200, page
    assert api.get("/web/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js").is_success
    # metrics where `make run` says they are: the API's, the worker's, Temporal's own
    printed = dev_stack.log.read_text()
    assert f"127.0.0.1:{dev_stack.worker_metrics_port}/metrics (worker)" in printed
    assert "baton_http_requests_total" in api.get("/metrics").text
    for port in (dev_stack.worker_metrics_port, dev_stack.temporal_metrics_port):
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert scraped.status_code == 200 and "# TYPE" in scraped.text, port

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

    # Ctrl-C stops every component, quietly: no warnings from the Temporal server's
    # own pollers about the connections its shutdown closes
    assert dev_stack.stop() == 0
    shutdown = dev_stack.log.read_text().rsplit("stopping…", 1)[1]
    assert "level=WARN" not in shutdown and "Traceback" not in shutdown, shutdown
    assert not _port_open(dev_stack.api_port)
    assert not _port_open(dev_stack.ui_port)
    assert marked(dev_stack.env) == []

    # running it again keeps deployments, instances (Temporal) and read models (SQLite)
    dev_stack.start()
    assert api.get("/v1/bpms/process-definitions/invoice-approval").json()["version"] == 1
    again = api.get(f"/v1/bpms/process-instances/{instance['id']}").json()
    assert again["state"] == "COMPLETED"
    assert again["processData"] == final["processData"]
    assert api.get(f"/v1/bpms/tasks/{task['id']}").json()["state"] == "COMPLETED"
    assert dev_stack.stop() == 0


def _sigint_ignored(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(
        next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16
    )
    return bool(ignored & (1 << (signal.SIGINT - 1)))


def test_make_run_in_the_background_stops_on_sigint_within_5_s(dev_stack: DevStack) -> None:
    dev_stack.start(["make", "-s", "-C", str(ROOT), "run"], as_script_job=True)
    assert dev_stack.process is not None
    make = dev_stack.process.pid
    assert _sigint_ignored(make)  # the situation of `make run &` in a script
    # make, baton dev, the Temporal server, the worker and the API
    assert len(marked(dev_stack.env)) >= 5

    os.killpg(make, signal.SIGINT)  # what Ctrl-C or `kill -INT -- -PGID` sends
    sent = time.monotonic()
    code = dev_stack.process.wait(timeout=10)
    while marked(dev_stack.env) and time.monotonic() - sent < 5:
        time.sleep(0.05)
    assert time.monotonic() - sent < 5, f"still running: {marked(dev_stack.env)}"
    assert marked(dev_stack.env) == []
    assert code == 0, dev_stack.log.read_text()
    dev_stack.process = None
    assert not _port_open(dev_stack.api_port)


def test_baton_dev_killed_with_sigkill_takes_its_children_along(dev_stack: DevStack) -> None:
    dev_stack.start()
    assert dev_stack.process is not None
    assert len(marked(dev_stack.env)) >= 4  # baton dev, Temporal server, worker, API
    dev_stack.process.kill()  # only baton dev: no handler runs
    dev_stack.process.wait(10)
    dev_stack.process = None
    _eventually(lambda: marked(dev_stack.env) == [], "the children to follow", timeout=5)
