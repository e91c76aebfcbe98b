"""Start a Baton worker: the ``BpmnProcess`` interpreter, the ``LetsflowProcess`` state
machine, and Baton's activities.

Run ``python worker.py`` (or ``baton worker``). Service-task types no registered activity
serves are parked for HTTP workers (fetch-and-lock). Temporal workers in other languages
serve service tasks on the same task queue only with ``BATON_EXTERNAL_TASKS=false`` (a
worker that parks every unknown type would take their tasks too).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, Literal

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Interceptor, Worker

from activities import ExternalTaskActivities, build_activities
from core import logs
from core import tracing as tracing_setup
from core.settings import Settings, get_settings
from core.temporal_client import connect
from operations.reconcile import Reconciler
from store import Store
from workflows.bpmn.behaviors.causes import CauseInterceptor
from workflows.bpmn_process import BpmnProcess
from workflows.letsflow_process import LetsflowProcess
from workflows.runner import workflow_runner


def _is_dynamic(fn: Callable[..., Any]) -> bool:
    definition = getattr(fn, "__temporal_activity_definition", None)
    return definition is not None and getattr(definition, "name", "") is None


def build_worker(
    client: Client,
    store: Store,
    task_queue: str,
    extra_activities: Sequence[Callable[..., Any]] = (),
    *,
    external_tasks: bool | ExternalTaskActivities = True,
    letsflow_services: dict[str, str] | None = None,
    letsflow_webhook_body: Literal["message", "envelope"] = "message",
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """The worker every Baton deployment runs; tests build the same one (plus stand-ins;
    a dynamic stand-in replaces the one that parks tasks for HTTP workers)."""
    own_dynamic = external_tasks if not any(_is_dynamic(a) for a in extra_activities) else False
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BpmnProcess, LetsflowProcess],
        activities=[
            *build_activities(
                store,
                client,
                external_tasks=own_dynamic,
                letsflow_services=letsflow_services,
                letsflow_webhook_body=letsflow_webhook_body,
            ),
            *extra_activities,
        ],
        workflow_runner=workflow_runner(),
        interceptors=[CauseInterceptor(), *interceptors],
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """The SDK's telemetry with its Prometheus endpoint on ``worker_metrics_port``: the
    Temporal SDK's own series (task slots, poll and schedule-to-start latencies, workflow
    and activity outcomes) and what Baton's activities record through the SDK's meter
    (``baton_read_model_lag``). None when the port is 0."""
    if not settings.worker_metrics_port:
        return None
    address = f"{settings.worker_metrics_host}:{settings.worker_metrics_port}"
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    store = Store(settings.database_url)
    await store.init_schema()
    tracing = tracing_setup.provider(settings, "baton-worker")
    client = await connect(
        settings,
        plugins=tracing_setup.temporal_plugins(tracing),
        runtime=metrics_runtime(settings),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    parking = ExternalTaskActivities(store, client) if settings.external_tasks else None
    worker = build_worker(
        client,
        store,
        settings.task_queue,
        external_tasks=parking or False,
        letsflow_services=settings.letsflow_services,
        letsflow_webhook_body=settings.letsflow_webhook_body,
    )
    if parking is not None:
        parking.keep_alive()  # tasks parked before a restart are heartbeaten again
    # instances ended from outside (terminate, timeout, reset) reach the read model
    reconciler = Reconciler(client, store, settings.task_queue)
    reconciler.start()
    logging.getLogger("baton.worker").info(
        "worker on %s, task queue %r", settings.temporal_address, settings.task_queue
    )
    async with worker:
        await stop.wait()
    await reconciler.stop()
    await store.dispose()


def main() -> None:
    settings = get_settings()
    logs.configure(settings)
    asyncio.run(run_worker(settings))
    # sdk-python#300: a process that ran a worker may abort in PyGILState_Release at exit.
    os._exit(0)


if __name__ == "__main__":
    main()
