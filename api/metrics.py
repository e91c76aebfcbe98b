"""``/metrics``: what an operator watches, in Prometheus' text format.

Three sources, one answer:

* this API process's HTTP traffic: requests by route family, route template, method and
  status, and their latency (a histogram) -- counted by a middleware here;
* process-wide counters that leave no row behind (``core.metrics``: messages);
* the read models, counted at scrape time (``store.metrics``): instances by definition
  and state, instances in incident, user tasks by state, how long completed tasks waited
  and how long the oldest open one has, messages in the buffer. The read models see every
  worker's work and keep it across restarts, so these series agree between API replicas.

The worker's own series (the Temporal SDK's metrics, read-model lag) are served by the
worker process on its own port (``BATON_WORKER_METRICS_PORT``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from api.auth import Principal, Requires
from api.deps import StoreDep
from core import metrics as process_metrics
from store import metrics as read_model

router = APIRouter(tags=["operations"])

#: first path segment -> route family (the API families Baton serves, and its own pages)
_FAMILIES = {
    "BPMREST": "oneweb",
    "engine-rest": "camunda",
    "scenarios": "letsflow",
    "processes": "letsflow",
    "apikey": "letsflow",
    "info": "letsflow",
    "demo-accounts": "letsflow",
    "cockpit": "web",
    "tasklist": "web",
    "web": "web",
    "docs": "docs",
    "redoc": "docs",
    "openapi.json": "docs",
    "health": "ops",
    "ready": "ops",
    "metrics": "ops",
}


def family_of(path: str) -> str:
    parts = path.strip("/").split("/")
    if parts[0] == "v1":
        return "bpms" if len(parts) > 1 and parts[1] == "bpms" else "platform"
    return _FAMILIES.get(parts[0], "other")


class HttpMetrics:
    """Request counter and latency histogram of one app (each app its own registry, so
    apps built side by side, as tests do, count apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "baton_http_requests",
            "HTTP requests answered, by route family, route template, method and status.",
            ["family", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "baton_http_request_duration_seconds",
            "Time from request to answer, by route family, route template and method.",
            ["family", "route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )


def _route_of(request: Request) -> str:
    """The route template (bounded label values), not the path with its ids."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return str(path) if path else "unmatched"


class _Families(Collector):
    """Hands the registry the families read for this scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def read_model_families(snap: read_model.Snapshot) -> list[Metric]:
    instances = GaugeMetricFamily(
        "baton_process_instances",
        "Process instances in the read model by definition and state (ACTIVE, INCIDENT, "
        "COMPLETED, TERMINATED, FAILED): completed and cancelled ones stay counted until "
        "retention removes them.",
        labels=["definition", "state"],
    )
    for (key, state), n in sorted(snap.instances.items()):
        instances.add_metric([key, state], n)
    started = CounterMetricFamily(
        "baton_process_instances_started",
        "Process instances ever started, by definition (read model).",
        labels=["definition"],
    )
    per_key: dict[str, int] = {}
    for (key, _state), n in snap.instances.items():
        per_key[key] = per_key.get(key, 0) + n
    for key, n in sorted(per_key.items()):
        started.add_metric([key], n)
    in_incident = GaugeMetricFamily(
        "baton_process_instances_in_incident",
        "Running instances with at least one open incident, by definition.",
        labels=["definition"],
    )
    incidents = GaugeMetricFamily(
        "baton_incidents_open", "Open incidents by definition.", labels=["definition"]
    )
    for key in sorted(snap.open_incidents):
        in_incident.add_metric([key], snap.in_incident.get(key, 0))
        incidents.add_metric([key], snap.open_incidents[key])
    tasks = GaugeMetricFamily(
        "baton_user_tasks",
        "User tasks by definition and state (CREATED, ASSIGNED, SUSPENDED, COMPLETED, "
        "CANCELED): created ones are all of them, completed ones those in COMPLETED.",
        labels=["definition", "state"],
    )
    for (key, state), n in sorted(snap.tasks.items()):
        tasks.add_metric([key, state], n)
    waits = SummaryMetricFamily(
        "baton_user_task_wait_seconds",
        "Completed user tasks: how many, and the seconds from created to completed in all.",
        labels=["definition"],
    )
    for key, wait in sorted(snap.task_waits.items()):
        waits.add_metric([key], count_value=wait.count, sum_value=wait.seconds)
    oldest = GaugeMetricFamily(
        "baton_user_task_oldest_open_seconds",
        "How long the oldest open user task of a definition has waited.",
        labels=["definition"],
    )
    for key, seconds in sorted(snap.oldest_open_task.items()):
        oldest.add_metric([key], seconds)
    buffered = GaugeMetricFamily(
        "baton_messages_buffered", "Published messages waiting in the buffer for an instance."
    )
    buffered.add_metric([], snap.buffered_messages)
    return [instances, started, in_incident, incidents, tasks, waits, oldest, buffered]


def exposition(registries: Iterable[CollectorRegistry]) -> bytes:
    return b"".join(generate_latest(r) for r in registries)


@router.get(
    "/metrics",
    summary="Metrics in Prometheus' text format (HTTP, instances, tasks, messages)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics"}},
)
async def get_metrics(
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("metrics:read")],
) -> Response:
    snap = await read_model.snapshot(store)
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Families(read_model_families(snap)))
    http: HttpMetrics = request.app.state.http_metrics
    body = exposition((http.registry, process_metrics.REGISTRY, scrape))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    http = HttpMetrics()
    app.state.http_metrics = http

    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            family, route = family_of(request.url.path), _route_of(request)
            http.requests.labels(family, route, request.method, str(status)).inc()
            http.latency.labels(family, route, request.method).observe(time.perf_counter() - began)

    app.include_router(router)
