"""Find and end the processes a test started, by a marker in their environment.

Children of ``baton dev`` run in their own sessions, so a process group does not reach
them; every descendant inherits the environment, though, so a unique variable names
exactly the processes one test started (no psutil: a scan of ``/proc``)."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from pathlib import Path

MARKER = "BATON_TEST_STACK"


def new_marker() -> dict[str, str]:
    """An environment entry to give the processes of one test."""
    return {MARKER: uuid.uuid4().hex}


def marked(env: dict[str, str]) -> list[int]:
    """Live processes whose environment carries this test's marker."""
    needle = f"{MARKER}={env[MARKER]}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def kill_marked(env: dict[str, str]) -> list[int]:
    """SIGKILL every process of this test that is still there; the pids it found."""
    pids = marked(env)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids
