"""The interpreter-overhead bench for a baseline commit and for the working tree,
interleaved in one run, so "no slower than before" is a measurement rather than a
comparison with numbers taken on another day.

Both runs share one machine, and on a shared two-core machine the load of the minute
moves a single run by more than a restructuring should: compared across days, noise
passes for a regression or hides one. Here ``bench/interpreter_overhead.py`` runs A B A B
… (``--rounds`` of each; A the baseline, B the working tree), each run its own process
with its own dev server, and the comparison is of Baton's ratios to the hand-written
workflow measured in the same process (the ratio cancels the machine's speed of the
moment), then of those ratios between the trees: the ratio of ratios, 1.00 being "the
same", above 1 faster for throughput.

The baseline runs from a temporary ``git worktree`` of the commit, with the same
``.venv``: its own directory first on ``PYTHONPATH`` and as working directory, so its
``workflows``, ``activities``, ``store`` and its own bench code are imported, not the
editable install's. Each run prints the file its ``BpmnProcess`` came from, and the
comparison refuses to go on if a side ran the other's code. Each side runs its own copy
of the bench: a harness taken from one tree would not import the other's packages once
modules move.

    .venv/bin/python -m bench.compare main [--rounds 3] [--instances 60] [--bench-rounds 3]

Writes bench/results/interpreter_compare.json; ``make bench-compare BASE=<commit>``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import write

ROOT = Path(__file__).resolve().parent.parent
#: the child prints where its interpreter came from, then runs the bench as ``-m`` would
BOOT = (
    "import runpy, sys\n"
    "import workflows.bpmn_process as m\n"
    "print('compare-code:', m.__file__, flush=True)\n"
    "sys.argv = ['bench.interpreter_overhead', *sys.argv[1:]]\n"
    "runpy.run_module('bench.interpreter_overhead', run_name='__main__', alter_sys=True)\n"
)
ROW = re.compile(r"^(baton-async|baton|hand-written|trivial)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")
RATIOS = re.compile(r"^(baton|baton-async) / hand-written: (\{.*\})$")
#: the ratios compared; for throughput higher is better, for the others lower is
METRICS = ("throughput", "p50_latency", "history_events")


@dataclass
class Side:
    """One tree under comparison and what its runs measured."""

    name: str
    tree: Path
    commit: str
    runs: list[dict[str, Any]] = field(default_factory=list)


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _parse(output: str) -> dict[str, Any]:
    """Rows (instances/s, p50, p95 per kind) and the two ratio lines of one run."""
    kinds: dict[str, dict[str, float]] = {}
    ratios: dict[str, dict[str, float]] = {}
    code = ""
    for line in output.splitlines():
        if line.startswith("compare-code: "):
            code = line.removeprefix("compare-code: ").strip()
        elif row := ROW.match(line):
            kinds[row[1]] = {
                "instances_per_second": float(row[2]),
                "p50_ms": float(row[3]),
                "p95_ms": float(row[4]),
            }
        elif found := RATIOS.match(line):
            ratios[found[1]] = json.loads(found[2])
    if set(ratios) != {"baton", "baton-async"}:
        raise RuntimeError(f"the bench printed no ratios:\n{output[-3000:]}")
    return {"code": code, "kinds": kinds, "ratios": ratios}


def _run(side: Side, instances: int, bench_rounds: int, results: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(side.tree),
        # the working tree's bench writes its result here, not over bench/results/ (an
        # older baseline ignores it and writes into its throw-away worktree)
        "BATON_BENCH_RESULTS": str(results),
    }
    began = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BOOT,
            "--instances",
            str(instances),
            "--rounds",
            str(bench_rounds),
        ],
        cwd=side.tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{side.name} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    run = _parse(done.stdout)
    expected = side.tree / "workflows" / "bpmn_process.py"
    if Path(run["code"]).resolve() != expected.resolve():
        raise RuntimeError(f"{side.name} ran {run['code']}, not {expected}: PYTHONPATH ignored")
    run["seconds"] = round(time.monotonic() - began, 1)
    return run


def _summary(side: Side) -> dict[str, Any]:
    """Median over the side's runs of each ratio (and of instances/s per kind)."""
    out: dict[str, Any] = {"commit": side.commit, "tree": side.name, "runs": len(side.runs)}
    for kind in ("baton", "baton-async"):
        out[kind] = {
            m: round(statistics.median(r["ratios"][kind][m] for r in side.runs), 3) for m in METRICS
        }
        out[kind]["throughput_range"] = [
            min(r["ratios"][kind]["throughput"] for r in side.runs),
            max(r["ratios"][kind]["throughput"] for r in side.runs),
        ]
    out["instances_per_second"] = {
        kind: round(
            statistics.median(r["kinds"][kind]["instances_per_second"] for r in side.runs), 1
        )
        for kind in ("baton", "baton-async", "hand-written", "trivial")
    }
    return out


def _table(base: dict[str, Any], current: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    lines = [
        f"{'ratio to hand-written':<32} {'baseline':>9} {'current':>9} {'cur/base':>9}",
    ]
    of_ratios: dict[str, Any] = {}
    for kind in ("baton", "baton-async"):
        of_ratios[kind] = {}
        for metric in METRICS:
            a, b = base[kind][metric], current[kind][metric]
            of_ratios[kind][metric] = round(b / a, 3) if a else None
            lines.append(
                f"{kind + ' ' + metric:<32} {a:>9.2f} {b:>9.2f} {of_ratios[kind][metric]:>9.3f}"
            )
    for kind in ("baton", "baton-async"):
        spans = [
            "{:.2f}-{:.2f}".format(*side[kind]["throughput_range"]) for side in (base, current)
        ]
        lines.append(f"{'  ' + kind + ' throughput min-max':<32} {spans[0]:>9} {spans[1]:>9}")
    lines.append(f"{'instances/s (median of runs)':<32} {'baseline':>9} {'current':>9}")
    for kind, a in base["instances_per_second"].items():
        b = current["instances_per_second"].get(kind, float("nan"))
        lines.append(f"{'  ' + kind:<32} {a:>9.1f} {b:>9.1f}")
    return lines, of_ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", help="baseline commit (anything git rev-parse takes)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, interleaved")
    parser.add_argument("--instances", type=int, default=60, help="per kind and bench round")
    parser.add_argument(
        "--bench-rounds",
        type=int,
        default=3,
        help="rounds inside each run (the kinds interleaved, as `make bench` runs them)",
    )
    args = parser.parse_args()

    commit = _git("rev-parse", "--verify", f"{args.base}^{{commit}}")
    head = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    with tempfile.TemporaryDirectory(prefix="baton-compare-") as tmp:
        worktree = Path(tmp) / "base"
        _git("worktree", "add", "--detach", str(worktree), commit)
        try:
            base = Side("baseline", worktree, commit)
            current = Side("current", ROOT, head + ("+dirty" if dirty else ""))
            results = Path(tmp) / "results"
            results.mkdir()
            print(f"baseline {commit[:12]} runs from {worktree}; current from {ROOT}")
            for n in range(args.rounds):
                for side in (base, current):  # A B A B …: drift hits both alike
                    run = _run(side, args.instances, args.bench_rounds, results)
                    side.runs.append(run)
                    print(
                        f"round {n + 1} {side.name:<8} {run['seconds']:>6}s  "
                        f"baton {json.dumps(run['ratios']['baton'])}",
                        flush=True,
                    )
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
            )
    a, b = _summary(base), _summary(current)
    lines, of_ratios = _table(a, b)
    print(f"baseline {commit[:12]}  vs  current {current.commit[:12]}")
    print("\n".join(lines))
    write(
        "interpreter_compare",
        {
            "baseline": a,
            "current": b,
            "current_over_baseline": of_ratios,
            "rounds": args.rounds,
            "instances_per_kind_per_run": args.instances * args.bench_rounds,
            "order": "interleaved, baseline first in each round",
            "code": {side.name: side.runs[0]["code"] for side in (base, current)},
            "runs": {
                "baseline": [{k: r[k] for k in ("ratios", "kinds", "seconds")} for r in base.runs],
                "current": [
                    {k: r[k] for k in ("ratios", "kinds", "seconds")} for r in current.runs
                ],
            },
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
