"""Counters of this process that no read model keeps, for ``/metrics``.

Most of what an operator watches is counted from the read models at scrape time
(``store.metrics``): they see every worker's work and survive restarts. What happens
only in one process and leaves no row behind is counted here, in a registry of its own
that ``api.metrics`` serves beside the rest: messages taken at once, started a process,
buffered, or dropped when their time to live ran out.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry(auto_describe=True)

MESSAGES = Counter(
    "baton_messages",
    "Messages by outcome: delivered (an instance took it, at once or from the buffer), "
    "started (it started a process), buffered (kept until an instance waits for it), "
    "expired (dropped from the buffer when its time to live ended).",
    ["outcome"],
    registry=REGISTRY,
)
for _outcome in ("delivered", "started", "buffered", "expired"):
    MESSAGES.labels(_outcome)  # present from the start, at 0
