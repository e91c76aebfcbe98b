"""Schemathesis over ``/openapi.json``: generated requests for every operation, against
a real API process (uvicorn), a real worker process and the session's Temporal dev server;
no answer may be a server error.

Each operation gets the coverage phase's boundary cases plus
``BATON_SCHEMATHESIS_EXAMPLES`` fuzzed cases (default 10: about 4,600 requests, one minute
on two cores); raise it for a longer hunt, e.g.
``BATON_SCHEMATHESIS_EXAMPLES=200 .venv/bin/pytest tests/test_schemathesis.py``. The same
run by hand is in docs/testing.md. A 503 is a server error too here: Temporal and the
database are up for the whole run, so "unavailable" would be a lie. The one 5xx allowed
is documented: 501 for a PDF without LibreOffice (tests/support/schemathesis_hooks.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import ROOT
from tests.support.ports import free_port

EXAMPLES = int(os.environ.get("BATON_SCHEMATHESIS_EXAMPLES", "10"))
BIN = Path(sys.executable).parent


@pytest.fixture
def live_api(temporal_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[str]:
    """`baton worker` and `baton serve` as processes, in dev mode, on a fresh database."""
    port = free_port()
    env = {
        **os.environ,
        "BATON_ENV": "dev",
        "BATON_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "BATON_TASK_QUEUE": f"schemathesis-{port}",
        "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'baton.db'}",
        "BATON_DATA_DIR": str(tmp_path),
        "BATON_API_PORT": str(port),
        "BATON_RATE_LIMITS": '{"default": "1000000/minute"}',
        "BATON_TEMPORAL_RPC_TIMEOUT_SECONDS": "5",
    }
    logs = [open(tmp_path / f"{name}.log", "wb") for name in ("worker", "api")]  # noqa: SIM115
    procs = [
        subprocess.Popen([str(BIN / "baton"), cmd], env=env, cwd=tmp_path, stdout=log, stderr=log)
        for cmd, log in zip(("worker", "serve"), logs, strict=True)
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()
            time.sleep(0.3)
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


#: The operations in two runs of about equal length, so the two halves can run on two
#: pytest-xdist workers side by side: Camunda's ``/engine-rest`` and everything else.
PARTS = {
    "families": ["--exclude-path-regex", "^/engine-rest"],
    "engine-rest": ["--include-path-regex", "^/engine-rest"],
}


def schemathesis_command(url: str, examples: int, *select: str) -> list[str]:
    """The run docs/testing.md documents: every operation (of the part ``select`` picks),
    server errors only (the ``no_server_error`` check of
    tests/support/schemathesis_hooks.py). One worker: with two, this schemathesis/hypothesis
    pair fails in its own lambda descriptions."""
    return [
        str(BIN / "schemathesis"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "no_server_error",
        "--max-examples",
        str(examples),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "18",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        *select,
    ]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("part", sorted(PARTS))
def test_no_generated_request_gets_a_server_error(live_api: str, tmp_path: Path, part: str) -> None:
    hooks = {"SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        schemathesis_command(live_api, EXAMPLES, *PARTS[part]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **hooks},
        timeout=540,
    )
    out = done.stdout + done.stderr
    (tmp_path / "schemathesis.txt").write_text(out)
    lines = [line for line in out.splitlines() if line.strip()]
    print("\n".join(lines[-40:]))
    assert "Loaded specification" in out and "selected" in out
    assert done.returncode == 0, out[-20000:]
