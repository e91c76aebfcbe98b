"""REST end to end: the human-task reference process through the Eximee API, the way a
front end drives it, at concurrency 1, 8 and 32.

Start → service task → user task → (complete via REST) → end. Each client starts an
instance the way the seed's CRM does (``POST /v1/bpms/process-instances`` with
``waitForWaitState``: the answer comes once the instance waits at the user task), reads
the task list for it (``GET /v1/bpms/tasks?processInstanceId=…``, again every 20 ms
while the read model has not caught up), completes the task
(``POST /v1/bpms/tasks/{id}/complete``), and starts the next. ``--no-wait`` starts
without waiting and polls instead. The stack is
what ``make run`` starts, as separate processes on this machine: the Temporal dev server
(SQLite file, the speed flags), one worker, the API under uvicorn, and Baton's SQLite
read model; the bench talks real HTTP to it.

Reports instances/s (completed round trips), p50/p95/p99 of each call, and how long the
task took to appear in the list after the start answered (the read model's lag). Writes
bench/results/rest_end_to_end.json.

    .venv/bin/python -m bench.rest_end_to_end [--per-client 6] [--levels 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import percentile, write
from core.devserver import dev_server_args, temporal_binary

POLL_SECONDS = 0.02
DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_rest">
  <bpmn:process id="rest_reference" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="prepare"><bpmn:extensionElements>
      <zeebe:taskDefinition type="baton.noop"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="accounting"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""
CALLS = ("start", "task query", "complete", "task listed after start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


async def _client(
    http: httpx.AsyncClient, rounds: int, timings: dict[str, list[float]], wait: bool
) -> None:
    for _ in range(rounds):
        began = time.perf_counter()
        r = await http.post(
            "/v1/bpms/process-instances",
            json={
                "processDefinitionKey": "rest_reference",
                "processData": {"amount": 5},
                "waitForWaitState": wait,
            },
        )
        started = time.perf_counter()
        r.raise_for_status()
        timings["start"].append((started - began) * 1000)
        instance = r.json()["id"]
        task: dict[str, Any] | None = None
        while task is None:
            t0 = time.perf_counter()
            r = await http.get("/v1/bpms/tasks", params={"processInstanceId": instance})
            timings["task query"].append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            items = r.json()["items"]
            if items:
                task = items[0]
            else:
                await asyncio.sleep(POLL_SECONDS)
        timings["task listed after start"].append((time.perf_counter() - started) * 1000)
        t0 = time.perf_counter()
        r = await http.post(
            f"/v1/bpms/tasks/{task['id']}/complete", json={"processData": {"ok": True}}
        )
        timings["complete"].append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()


async def _level(base: str, concurrency: int, per_client: int, wait: bool) -> dict[str, Any]:
    timings: dict[str, list[float]] = {k: [] for k in CALLS}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        began = time.perf_counter()
        await asyncio.gather(
            *(_client(http, per_client, timings, wait) for _ in range(concurrency))
        )
        seconds = time.perf_counter() - began
    count = concurrency * per_client
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "instances": count,
        "instances_per_second": round(count / seconds, 1),
    }
    for call in CALLS:
        values = timings[call]
        row[call] = {
            "p50_ms": round(percentile(values, 0.5), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
        }
    row["task queries per instance"] = round(len(timings["task query"]) / count, 1)
    return row


async def _wait_until_finished(base: str, expected: int) -> None:
    """Every completed task's instance reaches COMPLETED (the run is not cut short)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(300):
            r = await http.get(
                "/v1/bpms/process-instances",
                params={"processDefinitionKey": "rest_reference", "state": "COMPLETED", "size": 1},
            )
            if r.json()["total"] >= expected:
                return
            await asyncio.sleep(0.2)
    raise RuntimeError("instances did not all complete")


async def _run(base: str, levels: list[int], per_client: int, wait: bool) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http.post(
            "/v1/bpms/deployments",
            files=[("file", ("rest.bpmn", DIAGRAM, "application/xml"))],
        )
        r.raise_for_status()
    await _level(base, 2, 3, wait)  # warm-up: imports, sticky caches, connection pools
    rows = []
    done = 6
    for concurrency in levels:
        # at least 96 round trips per level, so p99 means something
        rounds = max(per_client, -(-96 // concurrency))
        rows.append(await _level(base, concurrency, rounds, wait))
        done += concurrency * rounds
    await _wait_until_finished(base, done)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-client", type=int, default=6, help="round trips per client")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--no-wait", action="store_true", help="start without waiting")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        temporal_port, api_port = _free_port(), _free_port()
        env = {
            **os.environ,
            "BATON_ENV": "dev",
            "BATON_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
            "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/baton.db",
            "BATON_DATA_DIR": tmp,
            "BATON_TASK_QUEUE": "bench-rest",
        }
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        try:
            server = subprocess.Popen(
                [
                    temporal_binary(),
                    *dev_server_args(
                        port=temporal_port, ui_port=None, db_file=Path(tmp) / "temporal.db"
                    ),
                ],
                **quiet,  # type: ignore[arg-type]
            )
            procs.append(server)
            _wait_for_port(temporal_port, server)
            procs.append(subprocess.Popen([sys.executable, "-m", "baton.worker"], env=env, **quiet))  # type: ignore[call-overload]
            api = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "api.main:app",
                    "--port",
                    str(api_port),
                    "--log-level",
                    "warning",
                ],
                env=env,
                **quiet,  # type: ignore[arg-type]
            )
            procs.append(api)
            _wait_for_port(api_port, api)
            rows = asyncio.run(
                _run(f"http://127.0.0.1:{api_port}", levels, args.per_client, not args.no_wait)
            )
        finally:
            for proc in reversed(procs):
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    for row in rows:
        print(
            f"concurrency {row['concurrency']}: {row['instances']} instances, "
            f"{row['instances_per_second']} instances/s"
        )
        for call in CALLS:
            t = row[call]
            print(
                f"    {call:<26} p50 {t['p50_ms']:>7}  p95 {t['p95_ms']:>7}  p99 {t['p99_ms']:>7}"
            )
    write(
        "rest_end_to_end",
        {
            "poll_ms": POLL_SECONDS * 1000,
            "wait_for_wait_state": not args.no_wait,
            "levels": rows,
        },
    )


if __name__ == "__main__":
    main()
