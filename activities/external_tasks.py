"""Service tasks for HTTP workers: the catch-all activity that parks them.

A Temporal worker in any language serves a service task by registering an activity of
its type. Every type no registered activity serves lands here instead: the task is
written to the ``external_tasks`` table with the activity's task token, and the activity
completes asynchronously. HTTP workers then fetch-and-lock it through
``/v1/bpms/service-tasks`` and report completion, failure or a BPMN error, which the API
passes back through the async activity handle (see ``api/routes/bpms/service_tasks.py``).

While tasks wait, the worker heartbeats them (the interpreter bounds every service-task
attempt by a five-minute heartbeat timeout); a heartbeat that finds the activity cancelled
(a boundary event interrupted it, or the instance was cancelled) or gone removes the task.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections.abc import Sequence

from baton_client.contracts import bpmn as c
from temporalio import activity
from temporalio.client import AsyncActivityCancelledError, Client
from temporalio.common import RawValue
from temporalio.service import RPCError, RPCStatusCode

from store import Store, external_tasks
from store.models import ExternalTaskRecord

_log = logging.getLogger("baton.worker.external_tasks")
HEARTBEAT_EVERY = 60.0  # seconds; well inside the interpreter's 5-minute heartbeat timeout
_PAGE = 1000
_FAN_OUT = 16  # heartbeats in flight at once


class ExternalTaskActivities:
    def __init__(self, store: Store, client: Client) -> None:
        self._store = store
        self._client = client
        self._keeper: asyncio.Task[None] | None = None
        self._kicked = False

    @activity.defn(dynamic=True)
    async def park(self, args: Sequence[RawValue]) -> c.ServiceTaskResult:
        info = activity.info()
        task = activity.payload_converter().from_payload(args[0].payload, c.ServiceTaskInput)
        policy = info.retry_policy
        retries = policy.maximum_attempts if policy and policy.maximum_attempts else 3
        await external_tasks.park(
            self._store,
            external_tasks.Parked(
                topic=info.activity_type,
                task_token=base64.b64encode(info.task_token).decode(),
                workflow_id=info.workflow_id or task.process_instance_id,
                activity_id=info.activity_id,
                attempt=info.attempt,
                element_id=task.element_id,
                business_key=task.business_key,
                definition_key=task.definition_key,
                variables=task.variables,
                headers=dict(task.headers),
                retries=max(retries - info.attempt + 1, 1),
            ),
            str(uuid.uuid4()),
        )
        activity.logger.info("service task %s waits for an HTTP worker", info.activity_type)
        self.keep_alive()
        activity.raise_complete_async()

    def keep_alive(self) -> None:
        """Make sure waiting tasks are heartbeaten (the worker also calls this at start,
        for tasks parked before it restarted)."""
        self._kicked = True  # a beat that just found nothing looks again
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep_alive(), name="baton-task-keeper")

    async def _keep_alive(self) -> None:
        """Heartbeat the waiting tasks until none is left."""
        while True:
            self._kicked = False
            try:
                if not await self.beat() and not self._kicked:
                    return
            except Exception:  # the database or Temporal may be back next time
                _log.exception("heartbeating waiting service tasks failed")
            await asyncio.sleep(HEARTBEAT_EVERY)

    async def beat(self) -> int:
        """Heartbeat every waiting task once; answer how many still wait."""
        gate = asyncio.Semaphore(_FAN_OUT)
        alive = 0
        offset = 0
        while True:
            # a task that failed for good has no activity left to keep alive
            rows, _ = await external_tasks.page(
                self._store,
                topic=None,
                process_instance_id=None,
                offset=offset,
                limit=_PAGE,
                failed=False,
            )
            beats = await asyncio.gather(*(self._beat_one(row, gate) for row in rows))
            alive += sum(beats)
            # removed rows shift the next page forward: step by the rows kept
            offset += sum(beats)
            if len(rows) < _PAGE:
                return alive

    async def _beat_one(self, row: ExternalTaskRecord, gate: asyncio.Semaphore) -> bool:
        handle = self._client.get_async_activity_handle(task_token=base64.b64decode(row.task_token))
        async with gate:
            try:
                await handle.heartbeat()
                return True
            except AsyncActivityCancelledError as err:
                details = err.details
                if details is not None and not details.cancel_requested:
                    return True  # paused or reset, not cancelled: it still waits
                with contextlib.suppress(RPCError):
                    await handle.report_cancellation()
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
            await external_tasks.remove(self._store, row.id)  # cancelled, timed out or ended
            return False
