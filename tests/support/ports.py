"""Free TCP ports for the servers a test starts, without two pytest-xdist workers racing.

``bind(0)`` hands out a free port, but the test only uses it a moment later (a Temporal
dev server, PostgreSQL, the OIDC provider or ``baton serve`` binds it then). In a serial
run nothing else of ours asks in between; with several xdist workers, two of them can be
handed the same port and one server fails to start. So each worker draws from its own
slice of ports below the kernel's ephemeral range (which ``bind(0)`` and outgoing
connections use), in turn, checking each is free; a serial run keeps ``bind(0)``.
"""

from __future__ import annotations

import itertools
import os
import socket

#: worker ``gwN`` draws from [BASE + N * SLICE, BASE + (N + 1) * SLICE): 22 workers fit
#: below 32768, where Linux's ephemeral range starts
BASE, SLICE = 10_000, 1_000
_next: itertools.count[int] | None = None


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    global _next
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … under xdist
    if not worker.startswith("gw"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
            return port
    low = BASE + int(worker[2:]) * SLICE
    if _next is None:
        _next = itertools.count()
    for _ in range(SLICE):  # round the slice, so a port just given out is not reused soon
        candidate = low + next(_next) % SLICE
        if _bindable(candidate):
            return candidate
    raise RuntimeError(f"no free port in {low}..{low + SLICE - 1} for xdist worker {worker}")
