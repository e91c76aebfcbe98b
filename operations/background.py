"""A background loop: one named asyncio task that makes a pass, sleeps, and goes on.

The message sweeper and the reconciler are both such loops; a pass that fails (Temporal
or the database away for a moment) is logged and tried again, never ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging


class BackgroundLoop:
    """Subclasses name the task and make one pass; ``pass_once`` answers whether there
    is more to do soon (then the next pass comes after ``busy_interval``)."""

    name = "baton-loop"
    busy_interval = 0.5
    idle_interval = 1.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._log = logging.getLogger(f"baton.{self.name.removeprefix('baton-')}")

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def pass_once(self) -> bool:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.pass_once()
            except Exception:
                self._log.warning("%s: a pass failed; trying again", self.name, exc_info=True)
                busy = True
            await asyncio.sleep(self.busy_interval if busy else self.idle_interval)
