"""Cache epochs: how an API call makes every worker drop its in-memory definition caches.

Definition and scenario caches are content-addressed, so they are never wrong; dropping
them only frees memory and makes the next use read the store again, which is what
ONEWEB's ``refreshCache`` promises its users.
"""

from __future__ import annotations

import time

from sqlalchemy import select, update

from store.db import Store
from store.models import CacheEpoch

DEFINITIONS = "definitions"


async def current(store: Store, name: str = DEFINITIONS) -> int:
    async with store.session() as session:
        return await session.scalar(select(CacheEpoch.epoch).where(CacheEpoch.name == name)) or 0


async def bump(store: Store, name: str = DEFINITIONS) -> int:
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(CacheEpoch).where(CacheEpoch.name == name).values(epoch=CacheEpoch.epoch + 1)
        )
        if not getattr(result, "rowcount", 0):
            session.add(CacheEpoch(name=name, epoch=1))
    return await current(store, name)


class EpochWatch:
    """Tells a cache owner when to drop its entries: reads the epoch at most once per
    ``interval`` seconds, so a busy worker adds at most one tiny query per interval."""

    def __init__(self, store: Store, name: str = DEFINITIONS, interval: float = 1.0) -> None:
        self._store = store
        self._name = name
        self._interval = interval
        self._seen: int | None = None
        self._checked = float("-inf")

    async def moved(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        epoch = await current(self._store, self._name)
        moved = self._seen is not None and epoch != self._seen
        self._seen = epoch
        return moved
