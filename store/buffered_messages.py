"""Published messages waiting for a subscriber until their time-to-live ends.

Delivery claims a row for a while (``claimed_until``), so two API processes sweeping at
once never hand one message to two instances, and deletes it once an instance took it;
a sweeper that dies mid-delivery leaves the row to the next pass when its claim runs out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from store.db import Store, StoreError
from store.models import BufferedMessage

#: How long a sweeper holds a message it is delivering.
CLAIM_FOR = timedelta(seconds=30)


class DuplicateMessage(StoreError):
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(f"a message with id {message_id!r} is buffered already")


def _now() -> datetime:
    return datetime.now(UTC)


async def add(
    store: Store,
    *,
    row_id: str,
    name: str,
    correlation_key: str | None,
    variables: dict[str, Any],
    message_id: str | None,
    time_to_live: timedelta,
) -> None:
    now = _now()
    try:
        async with store.session() as session, session.begin():
            session.add(
                BufferedMessage(
                    id=row_id,
                    name=name,
                    correlation_key=correlation_key,
                    variables=variables,
                    message_id=message_id,
                    expires_at=now + time_to_live,
                    created=now,
                )
            )
    except IntegrityError as err:
        raise DuplicateMessage(message_id or row_id) from err


async def drop_expired(store: Store) -> int:
    """Delete the messages whose time to live has ended; answers how many."""
    async with store.session() as session, session.begin():
        gone = await session.execute(
            delete(BufferedMessage)
            .where(BufferedMessage.expires_at <= _now())
            .returning(BufferedMessage.id)
        )
        return len(gone.all())


async def live(store: Store) -> list[BufferedMessage]:
    """Unexpired messages, oldest first; expired ones are deleted on the way."""
    now = _now()
    async with store.session() as session, session.begin():
        await session.execute(delete(BufferedMessage).where(BufferedMessage.expires_at <= now))
        rows = await session.scalars(select(BufferedMessage).order_by(BufferedMessage.created))
        return list(rows)


async def claim(store: Store, row_id: str) -> bool:
    """Take the message for delivery for ``CLAIM_FOR``; False when another sweeper holds
    it. The row stays: a sweeper that dies mid-delivery loses nothing, its claim runs
    out and the next pass tries again (the instance that took it acknowledges the
    message id)."""
    now = _now()
    async with store.session() as session, session.begin():
        taken = await session.execute(
            update(BufferedMessage)
            .where(
                BufferedMessage.id == row_id,
                or_(
                    BufferedMessage.claimed_until.is_(None),
                    BufferedMessage.claimed_until < now,
                ),
            )
            .values(claimed_until=now + CLAIM_FOR)
            .returning(BufferedMessage.id)
        )
        return taken.first() is not None


async def delivered(store: Store, row_id: str) -> None:
    """An instance took the message: it leaves the buffer."""
    async with store.session() as session, session.begin():
        await session.execute(delete(BufferedMessage).where(BufferedMessage.id == row_id))


async def release(store: Store, row_id: str) -> None:
    """No instance took it this time: the next pass may claim it again."""
    async with store.session() as session, session.begin():
        await session.execute(
            update(BufferedMessage).where(BufferedMessage.id == row_id).values(claimed_until=None)
        )
