"""The reconciler: instances that ended without their workflow saying so.

A workflow writes its own read-model rows, so every end it takes part in (completion,
cancellation) reaches them. Some ends happen to a run from outside, with no workflow code
running: terminate (Web UI, CLI, an SDK), an execution or run timeout, a failure, and a
reset (which terminates the run it replaces). The reconciler watches Temporal's
visibility for such closed runs and makes the read model follow:

* the run was the instance's last: its row becomes TERMINATED with the close time, its
  open tasks CANCELED and its open incidents resolved (``projections.close_ended``, with
  a revision of the close time, so a later reset run still overwrites it);
* a newer run is running (a reset): that run is asked to write all its rows again
  (``resync_projection``), which also closes the rows only the replaced run had.

It polls (visibility has no change stream), re-reads an overlap window each time because
visibility is eventually consistent, and remembers what it handled. Running it in every
worker is safe: each step is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from baton_client.contracts import bpmn as c
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from operations import commands
from operations.background import BackgroundLoop
from store import Store, projections

_log = logging.getLogger("baton.reconciler")

#: Run states that end an instance without its workflow code having run.
_ENDED_FROM_OUTSIDE = ("Terminated", "TimedOut", "Failed")


@dataclass(frozen=True)
class Ended:
    instance_id: str
    run_id: str
    closed: datetime


class Reconciler(BackgroundLoop):
    """One loop per worker process (and per test stack)."""

    name = "baton-reconciler"

    def __init__(
        self,
        client: Client,
        store: Store,
        task_queue: str,
        *,
        interval: float = 1.0,
        lookback: timedelta = timedelta(days=1),
        overlap: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__()
        self._client = client
        self._store = store
        self._task_queue = task_queue
        self.busy_interval = self.idle_interval = interval
        self._overlap = overlap
        self._since = datetime.now(UTC) - lookback
        # (instance, run) → (closed, whether that run was the instance's last)
        self._handled: dict[tuple[str, str], tuple[datetime, bool]] = {}

    async def pass_once(self) -> bool:
        await self.reconcile()
        return False  # one look per interval

    def _query(self) -> str:
        statuses = " OR ".join(f'ExecutionStatus = "{s}"' for s in _ENDED_FROM_OUTSIDE)
        since = self._since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return (
            f'WorkflowType = "{c.WORKFLOW_NAME}" AND TaskQueue = "{self._task_queue}" '
            f'AND ({statuses}) AND CloseTime >= "{since}"'
        )

    async def ended(self) -> list[Ended]:
        """Runs closed from outside since the watermark (less the overlap)."""
        found: list[Ended] = []
        async for execution in self._client.list_workflows(self._query()):
            if execution.close_time is not None:
                found.append(Ended(execution.id, execution.run_id, execution.close_time))
        return found

    async def reconcile(self) -> int:
        """One pass; how many instances it changed or asked to resync. A run closed as
        the instance's last is closed again on every pass of the overlap window: a
        read-model batch the workflow scheduled before the end may insert its rows
        late (an insert has no revision to lose against)."""
        acted = 0
        newest = self._since
        for ended in sorted(await self.ended(), key=lambda e: e.closed):
            newest = max(newest, ended.closed)
            key = (ended.instance_id, ended.run_id)
            if key in self._handled:
                if self._handled[key][1] and await self._close(ended):
                    acted += 1
                continue
            changed, last = await self._settle(ended)
            acted += changed
            self._handled[key] = (ended.closed, last)
        # the next pass looks back over the overlap: visibility may show a run late
        self._since = max(self._since, newest - self._overlap)
        for key, (closed, _) in list(self._handled.items()):
            if closed < self._since:
                del self._handled[key]
        return acted

    async def _close(self, ended: Ended) -> bool:
        changed = await projections.close_ended(
            self._store, ended.instance_id, c.InstanceState.TERMINATED.value, ended.closed
        )
        if changed:
            _log.info("instance %s ended outside Baton; read model closed", ended.instance_id)
        return changed

    async def _settle(self, ended: Ended) -> tuple[bool, bool]:
        """(whether it acted, whether the run was the instance's last)."""
        handle = self._client.get_workflow_handle(ended.instance_id)
        try:
            current = await handle.describe(rpc_timeout=timedelta(seconds=5))
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False, False  # gone from Temporal (retention): nothing to compare
            raise
        if current.run_id == ended.run_id:
            return await self._close(ended), True
        if current.status == WorkflowExecutionStatus.RUNNING:
            # a reset: the running run's rows replace those of the run it replaced
            await commands.RESYNC_PROJECTION.send(handle, None, rpc_timeout=timedelta(seconds=5))
            _log.info("instance %s was reset; asked it to write its rows again", ended.instance_id)
            return True, False
        return False, False  # a newer run has ended too: its own entry settles the instance
