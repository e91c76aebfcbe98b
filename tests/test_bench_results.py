"""The recorded benchmark results and their write-up stay in step: every bench of
``make bench`` has a result in bench/results/, the summary renders from them, and
docs/benchmarks.md quotes the interpreter-overhead ratios and event counts of the run
that is checked in (benchmarks are not run here: they are not tests)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import summary

ROOT = Path(__file__).resolve().parent.parent
BENCHES = (
    "compile_speed",
    "events_per_element",
    "task_inbox",
    "interpreter_overhead",
    "rest_end_to_end",
    "peer_spiff",
)


def test_every_bench_has_a_recorded_result_and_make_bench_runs_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for name in BENCHES:
        assert (ROOT / "bench" / "results" / f"{name}.json").exists(), name
        assert f"-m bench.{name}" in makefile, name
    assert "-m bench.summary" in makefile


def test_the_summary_reports_every_target() -> None:
    text = "\n".join(summary.lines())
    assert "throughput ratio" in text and "events ratio" in text
    assert "target < 20 ms" in text
    for clients in (" 1 clients", " 8 clients", "32 clients"):
        assert clients in text
    assert "sqlite per step" in text


def test_the_write_up_quotes_the_recorded_interpreter_run() -> None:
    result = json.loads((ROOT / "bench" / "results" / "interpreter_overhead.json").read_text())
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    assert result["date"][:10] in doc
    for ratios in (result["ratios"], result["ratios_async"]):
        assert f"{ratios['throughput']:.2f}" in doc
        assert f"{ratios['history_events']:.2f}" in doc
    for kind in ("baton", "baton-async", "hand-written"):
        assert f"{result['kinds'][kind]['history_events']:g}" in doc
