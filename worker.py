"""Start a Baton worker: the ``BpmnProcess`` interpreter plus Baton's activities.

Run ``python worker.py`` (or ``baton worker``). Any other Temporal worker, in any language,
may serve service-task activities on the same task queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities import build_activities
from baton.settings import Settings, get_settings
from baton.temporal_client import connect
from store import Store
from workflows.bpmn_process import BpmnProcess
from workflows.runner import workflow_runner


def build_worker(
    client: Client,
    store: Store,
    task_queue: str,
    extra_activities: Sequence[Callable[..., Any]] = (),
) -> Worker:
    """The worker every Baton deployment runs; tests build the same one (plus stand-ins)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BpmnProcess],
        activities=[*build_activities(store, client), *extra_activities],
        workflow_runner=workflow_runner(),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    store = Store(settings.database_url)
    await store.init_schema()
    client = await connect(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(client, store, settings.task_queue)
    logging.getLogger("baton.worker").info(
        "worker on %s, task queue %r", settings.temporal_address, settings.task_queue
    )
    async with worker:
        await stop.wait()
    await store.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run_worker(get_settings()))
    # sdk-python#300: a process that ran a worker may abort in PyGILState_Release at exit.
    os._exit(0)


if __name__ == "__main__":
    main()
