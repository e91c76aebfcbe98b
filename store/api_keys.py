"""API keys: issued once (the token is shown then and never again), looked up by the
sha256 of the presented token, revoked by marking. LetsFlow's token format:
``lfl_`` + 30 base62 characters + 6 base62 characters of the CRC32 of those 30, so a
typo is caught without a database round trip."""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from store.db import Store
from store.models import ApiKeyRecord
from store.queries import utc

PREFIX = "lfl_"
_BASE62 = string.digits + string.ascii_letters
_BODY = 30
_CHECK = 6
#: ``last_used`` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))


def new_token() -> str:
    body = "".join(secrets.choice(_BASE62) for _ in range(_BODY))
    return PREFIX + body + _base62(zlib.crc32(body.encode()), _CHECK)


def well_formed(token: str) -> bool:
    """Shape and checksum only; says nothing about whether the key exists."""
    body, check = token[len(PREFIX) : len(PREFIX) + _BODY], token[len(PREFIX) + _BODY :]
    return (
        token.startswith(PREFIX)
        and len(token) == len(PREFIX) + _BODY + _CHECK
        and all(c in _BASE62 for c in body + check)
        and _base62(zlib.crc32(body.encode()), _CHECK) == check
    )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    name: str
    description: str | None
    privileges: list[str]
    processes: list[dict[str, Any]] | None
    service: str | None
    expiration: datetime | None
    issued_by: str
    issued: datetime | None = None  # default: now


async def issue(store: Store, spec: NewApiKey) -> tuple[ApiKeyRecord, str]:
    """Store a new key; returns the row and the token, which is not kept."""
    token = new_token()
    row = ApiKeyRecord(
        id=str(uuid.uuid4()),
        token_sha256=digest(token),
        name=spec.name,
        description=spec.description,
        privileges=spec.privileges,
        processes=spec.processes,
        service=spec.service,
        issued=spec.issued or datetime.now(UTC),
        issued_by=spec.issued_by,
        expiration=utc(spec.expiration) if spec.expiration else None,
        last_used=None,
        revoked=None,
    )
    async with store.session() as session, session.begin():
        session.add(row)
    return row, token


async def active(store: Store, token: str, now: datetime) -> ApiKeyRecord | None:
    """The key this token belongs to, if it is neither revoked nor expired. Notes the use."""
    if not well_formed(token):
        return None
    async with store.session() as session, session.begin():
        row = await session.scalar(
            select(ApiKeyRecord).where(ApiKeyRecord.token_sha256 == digest(token))
        )
        if row is None or row.revoked is not None:
            return None
        if row.expiration is not None and utc(row.expiration) <= now:
            return None
        if row.last_used is None or now - utc(row.last_used) >= LAST_USED_RESOLUTION:
            row.last_used = now
        return row


async def get(store: Store, key_id: str) -> ApiKeyRecord | None:
    async with store.session() as session:
        return await session.get(ApiKeyRecord, key_id)


async def revoke(store: Store, key_id: str, now: datetime) -> bool:
    """Mark revoked (idempotent: revoking again keeps the first time). False if unknown."""
    async with store.session() as session, session.begin():
        found = await session.get(ApiKeyRecord, key_id)
        if found is None:
            return False
        await session.execute(
            update(ApiKeyRecord)
            .where(ApiKeyRecord.id == key_id, ApiKeyRecord.revoked.is_(None))
            .values(revoked=now)
        )
        return True


async def listed(store: Store) -> list[ApiKeyRecord]:
    """Every key, newest first (revoked and expired ones too: they explain old audit rows)."""
    async with store.session() as session:
        rows = await session.scalars(
            select(ApiKeyRecord).order_by(ApiKeyRecord.issued.desc(), ApiKeyRecord.id)
        )
        return list(rows)
