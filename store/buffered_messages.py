"""Published messages waiting for a subscriber until their time-to-live ends.

Delivery claims a row by deleting it (DELETE … RETURNING), so two API processes sweeping
at once can never hand one message to two instances; a failed delivery puts it back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from store.db import Store, StoreError
from store.models import BufferedMessage


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


async def live(store: Store) -> list[BufferedMessage]:
    """Unexpired messages, oldest first; expired ones are deleted on the way."""
    now = _now()
    async with store.session() as session, session.begin():
        await session.execute(delete(BufferedMessage).where(BufferedMessage.expires_at <= now))
        rows = await session.scalars(select(BufferedMessage).order_by(BufferedMessage.created))
        return list(rows)


async def claim(store: Store, row_id: str) -> bool:
    """Take the message for delivery; False when another sweeper took it first."""
    async with store.session() as session, session.begin():
        taken = await session.execute(
            delete(BufferedMessage)
            .where(BufferedMessage.id == row_id)
            .returning(BufferedMessage.id)
        )
        return taken.first() is not None


async def put_back(store: Store, row: BufferedMessage) -> None:
    """A delivery failed: the message waits again (unless its id was buffered anew)."""
    try:
        async with store.session() as session, session.begin():
            session.add(
                BufferedMessage(
                    id=row.id,
                    name=row.name,
                    correlation_key=row.correlation_key,
                    variables=row.variables,
                    message_id=row.message_id,
                    expires_at=row.expires_at,
                    created=row.created,
                )
            )
    except IntegrityError:
        pass
