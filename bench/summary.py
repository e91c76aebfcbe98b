"""The last step of ``make bench``: one table of the ratios and targets from every result
in bench/results/, so a run ends with the numbers that matter side by side.

    .venv/bin/python -m bench.summary
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
INBOX_QUERIES = (
    "group inbox: candidateGroup, unassigned, by created",
    "my tasks: assignee, by due",
    "process + due before, by priority desc",
)


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def lines() -> list[str]:
    """The summary, a line per figure (``main`` prints it; kept apart to be testable)."""
    out: list[str] = []
    overhead = _load("interpreter_overhead")
    if overhead:
        kinds, r, ra = overhead["kinds"], overhead["ratios"], overhead["ratios_async"]
        out += [
            f"interpreter overhead ({overhead['date']}, {overhead['instances_per_kind']} "
            "instances per kind)",
            f"  baton (as drawn)       {kinds['baton']['instances_per_second']:>6} inst/s  "
            f"throughput ratio {r['throughput']:.2f} (target >= 0.9: "
            f"{_mark(r['throughput'] >= 0.9)})  events ratio {r['history_events']:.2f} "
            f"(target <= 1.1: {_mark(r['history_events'] <= 1.1)})",
            f"  baton (asyncBefore)    {kinds['baton-async']['instances_per_second']:>6} inst/s  "
            f"throughput ratio {ra['throughput']:.2f}  events ratio "
            f"{ra['history_events']:.2f}",
            f"  hand-written           {kinds['hand-written']['instances_per_second']:>6} inst/s  "
            f"{kinds['hand-written']['history_events']} events",
            f"  trivial (ceiling)      {kinds['trivial']['instances_per_second']:>6} inst/s  "
            f"baton at {r['vs_trivial_ceiling']:.2f} of it",
        ]
    rest = _load("rest_end_to_end")
    if rest:
        out.append(f"REST end to end ({rest['date']})")
        for row in rest["levels"]:
            out.append(
                f"  {row['concurrency']:>2} clients  {row['instances_per_second']:>6} inst/s  "
                + "  ".join(
                    f"{call} p95 {row[call]['p95_ms']} ms"
                    for call in ("start", "task query", "complete")
                )
            )
    inbox = _load("task_inbox")
    if inbox:
        out.append(f"task lists, {inbox['tasks']['open']} open tasks ({inbox['when']})")
        for backend in ("sqlite", "postgresql"):
            result = inbox.get(backend, {})
            if "skipped" in result or not result:
                out.append(f"  {backend}: skipped")
                continue
            worst = max(result[q]["p95_ms"] for q in INBOX_QUERIES)
            out.append(
                f"  {backend:<10} filtered queries p95 <= {worst} ms (target < 20 ms: "
                f"{_mark(worst < 20)}); all open, newest first p95 "
                f"{result['all open, newest first']['p95_ms']} ms"
            )
    compile_ = _load("compile_speed")
    if compile_:
        out.append(f"compile speed ({compile_['date']})")
        for row in compile_["rows"]:
            out.append(
                f"  {row['case']:<36} {row['compile_s']:.2f} s ({row['ratio_to_parse']:.1f}x "
                "lxml parse)"
            )
    peer = _load("peer_spiff")
    if peer:
        out.append(f"peer: SpiffWorkflow {peer['spiffworkflow']} ({peer['date']})")
        baton = overhead["kinds"]["baton"]["instances_per_second"] if overhead else None
        for mode, row in peer["modes"].items():
            ratio = f"  baton / spiff {baton / row['instances_per_second']:.2f}" if baton else ""
            out.append(f"  {mode:<18} {row['instances_per_second']:>7} inst/s{ratio}")
    return out


def main() -> None:
    print("\n".join(["", "== benchmark summary ==", *lines()]))


if __name__ == "__main__":
    main()
