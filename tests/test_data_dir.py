"""``BATON_DATA_DIR`` moves all embedded state: with no ``BATON_DATABASE_URL`` the API
keeps ``baton.db`` in the data directory, not in ``./.data`` (issue 18)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.conftest import EXAMPLES
from tests.support.ports import free_port


def test_the_default_database_url_follows_the_data_dir(tmp_path: Path) -> None:
    moved = Settings(_env_file=None, data_dir=tmp_path / "state")  # type: ignore[call-arg]
    assert moved.database_url == f"sqlite+aiosqlite:///{tmp_path / 'state' / 'baton.db'}"
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert default.database_url == "sqlite+aiosqlite:///.data/baton.db"
    explicit = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "state",
        database_url="postgresql+asyncpg://u:p@db/baton",
    )
    assert explicit.database_url == "postgresql+asyncpg://u:p@db/baton"


def test_the_api_writes_baton_db_into_baton_data_dir(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    state, cwd = tmp_path / "state", tmp_path / "cwd"
    cwd.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BATON_DATABASE_URL"}
    env |= {
        "BATON_ENV": "dev",
        "BATON_API_PORT": str(port),
        "BATON_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "BATON_DATA_DIR": str(state),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "baton.cli", "serve"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "baton serve exited"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "baton serve did not answer"
                time.sleep(0.2)
        diagram = (EXAMPLES / "invoice-approval.bpmn").read_bytes()
        deployed = httpx.post(
            f"{base}/v1/bpms/deployments", files={"file": ("invoice-approval.bpmn", diagram)}
        )
        assert deployed.status_code == 201, deployed.text
    finally:
        proc.terminate()
        proc.wait(15)
    assert not (cwd / ".data").exists()
    with sqlite3.connect(state / "baton.db") as db:
        keys = [row[0] for row in db.execute("SELECT key FROM process_definitions")]
    assert keys == ["invoice-approval"]
