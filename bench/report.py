"""What every bench shares: one percentile rule and one way to record a result."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least ``q`` of the samples at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * q) - 1)]


def write(benchmark: str, body: dict[str, Any]) -> Path:
    """``bench/results/<benchmark>.json``: the body, after when and where it ran.

    ``BATON_BENCH_RESULTS`` names another folder: ``bench/compare.py`` runs benches many
    times and must not overwrite the recorded result that docs/benchmarks.md quotes."""
    path = Path(os.environ.get("BATON_BENCH_RESULTS") or RESULTS) / f"{benchmark}.json"
    record = {
        "benchmark": benchmark,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        **body,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path.name}")
    return path
