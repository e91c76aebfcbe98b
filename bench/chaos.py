"""Fault injection: load over real HTTP while the worker, the API and the Temporal dev
server are killed with ``kill -9``, then an accounting of every instance, task and
message against Temporal.

Baton's promise is that Temporal's committed history is the truth and nothing a client
was told "yes" about is lost. This run tests the promise the way an operator would:

1. It starts its own stack on 127.0.0.1 with a private data directory: the Temporal dev
   server persisting to SQLite (so it survives ``kill -9``), ``python -m baton.worker`` and the
   API under uvicorn (``BATON_ENV=dev``, ``BATON_TEMPORAL_RPC_TIMEOUT_SECONDS`` low).
2. It deploys three small diagrams (``bench/chaos_load.py``) and drives ``--instances``
   instances through them with ``--concurrency`` clients: starts, task completions,
   cancellations, messages by every way of addressing one, case-status announcements and
   domain events. Every command and answer goes to a ledger; an answer that does not
   settle a command (5xx, timeout, broken connection) is retried with the same identity.
3. Meanwhile the injector (``bench/chaos_faults.py``) kills each kind of process
   ``--kills-per-kind`` times, some outages of Temporal outlasting the RPC timeout; the
   load is spread over the schedule so every phase runs under faults.
4. With every process back, it accounts (``bench/chaos_audit.py``) for lost completions,
   lost messages, duplicate instances and read-model disagreements, re-checking for
   ``--settle`` seconds so that lag is not counted, only a read model that is wrong.

It prints its figures and one closing line, writes ``bench/results/chaos.json`` (or
``--json``), and exits 1 when anything was lost, duplicated or disagrees.

    .venv/bin/python -m bench.chaos [--instances 2000] [--kills-per-kind 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client as TemporalClient
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.chaos_audit import Auditor, Figures
from bench.chaos_faults import Injector, plan
from bench.chaos_ledger import Client, Ledger, Patience
from bench.chaos_load import Load, Run
from bench.chaos_stack import Stack
from bench.report import RESULTS, percentile

RPC_TIMEOUT = 2.0


def closing_line(f: Figures, kills: dict[str, int]) -> str:
    total = sum(kills.values())
    return (
        f"chaos: {f.instances} instances, {total} kills (worker {kills['worker']}, "
        f"api {kills['api']}, temporal {kills['temporal']}), "
        f"{f.lost_completions} lost completions, {f.lost_messages} lost messages, "
        f"{f.duplicate_instances} duplicate instances, {f.disagreements} disagreements"
    )


def _options(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--instances", type=int, default=2000, help="instances to drive")
    p.add_argument("--kills-per-kind", type=int, default=30, help="kill -9 of each process kind")
    p.add_argument("--seed", type=int, default=1, help="names the scripts and the fault plan")
    p.add_argument("--concurrency", type=int, default=8, help="clients at once")
    p.add_argument("--duration", type=float, default=1800, help="bound (s) on load and faults")
    p.add_argument("--settle", type=float, default=60, help="seconds the accounting waits for lag")
    p.add_argument("--task-wait", type=float, default=30, help="seconds a client waits for a task")
    p.add_argument("--rpc-timeout", type=float, default=RPC_TIMEOUT, help="the API's, in s")
    p.add_argument("--gap", type=float, nargs=2, default=(1.0, 4.0), metavar=("MIN", "MAX"))
    p.add_argument("--json", type=Path, default=RESULTS / "chaos.json", help="result file")
    p.add_argument("--keep", action="store_true", help="keep the data dir (logs, databases)")
    p.add_argument("--data-dir", type=Path, help="use (and keep) this data dir, not a temp one")
    return p.parse_args(argv)


async def _ready(http: httpx.AsyncClient, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if (await http.get("/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError("the API did not become ready")


async def _temporal(address: str) -> TemporalClient:
    for _ in range(60):
        try:
            return await TemporalClient.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            await asyncio.sleep(1)
    raise RuntimeError(f"cannot connect to Temporal at {address}")


async def _run(stack: Stack, o: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    print(f"chaos: stack in {stack.data_dir}; starting Temporal, worker, API", flush=True)
    await stack.start_all()
    limits = httpx.Limits(max_connections=o.concurrency * 2 + 4)
    timeout = httpx.Timeout(15.0, connect=3.0)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=timeout, limits=limits) as http:
        await _ready(http)
        ledger = Ledger()
        client = Client(http, ledger, Patience())
        load = Load(client, o.seed, task_wait=o.task_wait)
        await load.deploy()
        outages = plan(
            random.Random(o.seed), o.kills_per_kind, rpc_timeout=o.rpc_timeout, gap=tuple(o.gap)
        )
        injector = Injector(stack, outages)
        stop = asyncio.Event()
        watchdog = asyncio.create_task(stack.watchdog(stop))
        faults = asyncio.create_task(injector.run(stop))
        load_began = time.monotonic()
        deadline = load_began + o.duration
        print(
            f"chaos: {o.instances} instances, {len(outages)} outages planned "
            f"(seed {o.seed}, {o.concurrency} clients)",
            flush=True,
        )
        await load.run(o.instances, o.concurrency, injector, deadline)
        remaining = max(0.0, deadline - time.monotonic())
        try:
            await asyncio.wait_for(asyncio.shield(faults), remaining)
        except TimeoutError:
            stop.set()
            await faults
        load_seconds = time.monotonic() - load_began
        print(f"chaos: load done in {load_seconds:.0f} s; every process up, settling", flush=True)
        await stack.ensure_all_up()
        await _ready(http)
        temporal = await _temporal(stack.temporal_address)
        audit_began = time.monotonic()
        figures = await Auditor(client, temporal, load.runs, stack.data_dir).settle(o.settle)
        stop.set()
        await watchdog
        return _result(
            o,
            stack,
            load.runs,
            ledger,
            injector,
            figures,
            began,
            load_seconds,
            time.monotonic() - audit_began,
        )


def _result(
    o: argparse.Namespace,
    stack: Stack,
    runs: list[Run],
    ledger: Ledger,
    injector: Injector,
    figures: Figures,
    began: float,
    load_seconds: float,
    audit_seconds: float,
) -> dict[str, Any]:
    kills = injector.kills()
    seen = [r.task_seen_after for r in runs if r.task_seen_after]
    lag = (
        {"p50_s": percentile(seen, 0.5), "p95_s": percentile(seen, 0.95), "max_s": max(seen)}
        if seen
        else {}
    )
    counts = asdict(figures)
    examples = counts.pop("examples")
    kinds = counts.pop("disagreement_kinds")
    return {
        "options": {
            "instances": o.instances,
            "kills_per_kind": o.kills_per_kind,
            "seed": o.seed,
            "concurrency": o.concurrency,
            "rpc_timeout_s": o.rpc_timeout,
            "settle_s": o.settle,
        },
        "seconds": {
            "total": round(time.monotonic() - began, 1),
            "load": round(load_seconds, 1),
            "accounting": round(audit_seconds, 1),
        },
        "kills": kills,
        "long_temporal_outages": injector.long_temporal_outages(o.rpc_timeout),
        "unplanned_exits": {n: c.unplanned_exits for n, c in stack.components.items()},
        "failed_starts": {n: c.failed_starts for n, c in stack.components.items()},
        "outages": [asdict(r) for r in injector.records],
        "scripts": _script_mix(runs),
        "commands": ledger.summary(),
        "answers": ledger.statuses(),
        "task_listed_after_start": lag,
        "client_notes": _notes(runs),
        "figures": counts,
        "disagreement_kinds": kinds,
        "examples": examples,
        "closing": closing_line(figures, kills),
        "failed": figures.failing(),
    }


def _script_mix(runs: list[Run]) -> dict[str, int]:
    mix: dict[str, int] = {}
    for r in runs:
        s = r.script
        name = f"{s.kind}:{s.addressing or s.ending}"
        mix[name] = mix.get(name, 0) + 1
    return dict(sorted(mix.items()))


def _notes(runs: list[Run]) -> dict[str, int]:
    notes: dict[str, int] = {}
    for r in runs:
        for n in r.notes:
            notes[n] = notes.get(n, 0) + 1
    return notes


def _print(result: dict[str, Any]) -> None:
    o, sec, fig = result["options"], result["seconds"], result["figures"]
    print()
    print(
        f"ran {sec['total']} s (load {sec['load']} s, accounting {sec['accounting']} s); "
        f"seed {o['seed']}, {o['concurrency']} clients, RPC timeout {o['rpc_timeout_s']} s"
    )
    print(
        f"faults: {result['kills']}; Temporal down longer than the RPC timeout "
        f"{result['long_temporal_outages']} times; unplanned exits {result['unplanned_exits']}"
    )
    print(f"scripts: {result['scripts']}")
    print("commands (per operation: outcomes, attempts, answers that settled nothing):")
    for op, row in result["commands"].items():
        print(f"    {op:<34} {row}")
    print(f"answers: {result['answers']}")
    if result["task_listed_after_start"]:
        print(f"task listed after start: {result['task_listed_after_start']}")
    if result["client_notes"]:
        print(f"client notes: {result['client_notes']}")
    print(
        "figures: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fig.items() if k != "examples")
    )
    for kind, count in result["disagreement_kinds"].items():
        print(f"    disagreement: {kind}: {count}")
    for kind, found in result["examples"].items():
        print(f"  {kind} (e.g.):")
        for e in found[:3]:
            print(f"    {json.dumps(e, default=str)[:400]}")
    print(result["closing"])


def main(argv: list[str] | None = None) -> int:
    o = _options(argv)

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM and SIGHUP stop the run the way Ctrl-C does: through the finally below.
    # SIGINT is set explicitly: a process started in the background by a script inherits
    # SIGINT ignored, and Python then installs no Ctrl-C handler of its own.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    if o.data_dir is not None:
        o.keep = True
        o.data_dir.mkdir(parents=True, exist_ok=True)
    data_dir = o.data_dir or Path(tempfile.mkdtemp(prefix="baton-chaos-"))
    stack = Stack(data_dir, rpc_timeout=o.rpc_timeout)
    result: dict[str, Any] | None = None
    bound = o.duration + o.settle + 600  # startup, stragglers' patience, accounting
    try:
        result = asyncio.run(asyncio.wait_for(_run(stack, o), bound))
    except KeyboardInterrupt:
        print("chaos: interrupted; stopping the stack", file=sys.stderr)
        return 130
    finally:
        stack.close()
        if o.keep or result is None or result["failed"]:
            print(f"chaos: logs and databases kept in {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    _print(result)
    o.json.parent.mkdir(parents=True, exist_ok=True)
    o.json.write_text(json.dumps({"benchmark": "chaos", **result}, indent=2, default=str) + "\n")
    print(f"wrote {o.json}")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
