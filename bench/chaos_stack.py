"""The stack the chaos run attacks: the Temporal dev server, one worker and the API, each a
separate OS process on 127.0.0.1, with their state in one private data directory.

Why separate processes in their own process groups: ``kill -9`` must hit exactly the
component the fault injector chose (and every child it may have), never the harness,
and the cleanup must be able to reach every process it started even after Ctrl-C. On
Linux each child also asks the kernel to kill it when the harness dies
(``PR_SET_PDEATHSIG``), so not even a ``kill -9`` of the harness leaves one behind.

The dev server persists to a SQLite file (``baton dev``'s flags, from
``core.devserver``), so a killed server comes back with every workflow it had
committed: that is the property the run relies on, Temporal's history being the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from core.devserver import dev_server_args, temporal_binary

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice, on loopback only)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((HOST, port)) == 0


def _libc_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


#: looked up here, in the parent: the child between fork and exec makes one C call only
_PRCTL = _libc_prctl()


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when the harness goes away."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Component:
    """One process of the stack: how to start it, where it listens, and its history of
    starts and deaths (so the report can tell planned kills from crashes)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    unplanned_exits: list[int] = field(default_factory=list)
    failed_starts: int = 0  # starts that exited before listening (Temporal was down)
    held_down: bool = False  # killed or stopped on purpose; the watchdog leaves it down
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one kill or start at a time
    _log: IO[bytes] | None = None

    def start(self) -> None:
        if self._log is None:
            self._log = self.log_path.open("ab")
        self._log.write(f"\n--- chaos: start #{self.starts + 1} at {time.time():.3f}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.log_path.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches only it
            preexec_fn=_die_with_parent,
        )
        self.starts += 1
        self.held_down = False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """``kill -9`` of the whole process group, then reap it."""
        self.held_down = True
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.kills += 1

    def stop(self) -> None:
        """Graceful stop at the end (SIGTERM, then SIGKILL after 5 s)."""
        self.held_down = True
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


class Stack:
    """Temporal, worker and API with a private data dir; ``close()`` always ends them.

    ``rpc_timeout`` is ``BATON_TEMPORAL_RPC_TIMEOUT_SECONDS`` for the API: set low so that
    a Temporal outage of a few seconds outlasts it (the interesting case).
    """

    def __init__(self, data_dir: Path, *, rpc_timeout: float, task_queue: str = "chaos") -> None:
        self.data_dir = data_dir
        self.temporal_port = free_port()
        self.api_port = free_port()
        self.task_queue = task_queue
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        pythonpath = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.update(
            {
                "PYTHONPATH": pythonpath,
                "PYTHONUNBUFFERED": "1",
                "BATON_ENV": "dev",
                "BATON_TEMPORAL_ADDRESS": f"{HOST}:{self.temporal_port}",
                "BATON_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'baton.db'}",
                "BATON_DATA_DIR": str(data_dir),
                "BATON_TASK_QUEUE": task_queue,
                "BATON_TEMPORAL_RPC_TIMEOUT_SECONDS": str(rpc_timeout),
                "BATON_API_HOST": HOST,
                "BATON_API_PORT": str(self.api_port),
                # the load is one anonymous caller: keep the limiter out of the picture
                "BATON_RATE_LIMITS": '{"default": "1000000/minute"}',
            }
        )
        self.env = env
        temporal = [
            temporal_binary(),
            *dev_server_args(
                port=self.temporal_port, ui_port=None, db_file=data_dir / "temporal.db"
            ),
        ]
        api = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:app",
            "--host",
            HOST,
            "--port",
            str(self.api_port),
            "--log-level",
            "warning",
        ]
        self.temporal = Component(
            "temporal", temporal, env, self.temporal_port, data_dir / "temporal.log"
        )
        self.worker = Component(
            "worker", [sys.executable, "-m", "baton.worker"], env, 0, data_dir / "worker.log"
        )
        self.api = Component("api", api, env, self.api_port, data_dir / "api.log")
        self.components = {c.name: c for c in (self.temporal, self.worker, self.api)}

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def temporal_address(self) -> str:
        return f"{HOST}:{self.temporal_port}"

    async def bring_up(self, component: Component, timeout: float = 90.0) -> None:
        """Start the component and wait until it listens (one start at a time)."""
        async with component.lock:
            await self._bring_up(component, timeout)

    async def _bring_up(self, component: Component, timeout: float = 90.0) -> None:
        """A start that dies (the API and the worker exit when Temporal is not up yet) is
        retried until ``timeout``; the caller holds the component's lock."""
        deadline = time.monotonic() + timeout
        component.start()
        while time.monotonic() < deadline:
            if not component.alive():
                component.failed_starts += 1
                await asyncio.sleep(0.5)
                component.start()
                continue
            if component.port == 0 or listening(component.port):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(
            f"{component.name} did not come up in {timeout:.0f} s (see {component.log_path})"
        )

    async def outage(self, names: list[str], down_seconds: float) -> None:
        """``kill -9`` the named components together, keep them down, then restart them:
        Temporal first (the others cannot start without it), the rest in parallel."""
        chosen = [self.components[n] for n in ("temporal", "worker", "api") if n in names]
        async with contextlib.AsyncExitStack() as held:
            for component in chosen:
                await held.enter_async_context(component.lock)
            for component in chosen:
                component.kill9()
            await asyncio.sleep(down_seconds)
            if self.temporal in chosen:
                await self._bring_up(self.temporal)
            await asyncio.gather(*(self._bring_up(c) for c in chosen if c is not self.temporal))

    async def start_all(self) -> None:
        await self.bring_up(self.temporal)
        await asyncio.gather(self.bring_up(self.worker), self.bring_up(self.api))

    async def watchdog(self, stop: asyncio.Event) -> None:
        """Restart a component that died without being killed on purpose (e.g. the worker
        giving up on an unreachable server); each such death is recorded."""
        while not stop.is_set():
            for component in self.components.values():
                proc = component.proc
                if component.lock.locked() or component.held_down:
                    continue
                if proc is None or proc.poll() is None:
                    continue
                component.unplanned_exits.append(proc.returncode)
                await self.bring_up(component)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def ensure_all_up(self) -> None:
        for component in self.components.values():
            if not component.alive():
                await self.bring_up(component)
        if not listening(self.api_port):
            await self.bring_up(self.api)

    def close(self) -> None:
        """API first (no new commands), then the worker, then Temporal."""
        for name in ("api", "worker", "temporal"):
            self.components[name].stop()
