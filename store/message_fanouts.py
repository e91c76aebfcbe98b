"""Messages to a business key's running instances, kept while visibility settles.

Rows are written by whoever publishes (the API, a worker's activity) and swept by the
API's message sweeper; an expired row is deleted on the way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from store.db import Store
from store.models import MessageFanOut


async def add(
    store: Store,
    *,
    row_id: str,
    business_key: str,
    name: str,
    correlation_key: str | None,
    variables: dict[str, Any],
    message_id: str,
    published: datetime,
    settle: timedelta,
    delivered_to: list[str],
) -> None:
    async with store.session() as session, session.begin():
        session.add(
            MessageFanOut(
                id=row_id,
                business_key=business_key,
                name=name,
                correlation_key=correlation_key,
                variables=variables,
                message_id=message_id,
                published=published,
                deliver_until=published + settle,
                delivered_to=sorted(set(delivered_to)),
            )
        )


async def live(store: Store) -> list[MessageFanOut]:
    """Rows still in their window, oldest first; the others are deleted."""
    now = datetime.now(UTC)
    async with store.session() as session, session.begin():
        await session.execute(delete(MessageFanOut).where(MessageFanOut.deliver_until <= now))
        rows = await session.scalars(select(MessageFanOut).order_by(MessageFanOut.published))
        return list(rows)


async def delivered(store: Store, row_id: str, instance_ids: list[str]) -> None:
    """Remember instances the message reached (an instance deduplicates anyway)."""
    async with store.session() as session, session.begin():
        row = await session.get(MessageFanOut, row_id)
        if row is None:
            return
        merged = sorted({*row.delivered_to, *instance_ids})
        await session.execute(
            update(MessageFanOut).where(MessageFanOut.id == row_id).values(delivered_to=merged)
        )
