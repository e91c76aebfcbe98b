"""The audit log: appended to by the API for every mutating call and every refused one,
read by administrators. Nothing here updates or deletes a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from store.db import Store
from store.models import AuditRecord
from store.queries import Page, paged, utc


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    request_id: str
    subject: str | None
    roles: list[str]
    method: str
    route: str
    path: str
    resource_id: str | None
    status: int
    outcome: str


async def append(store: Store, entry: AuditEntry) -> None:
    async with store.session() as session, session.begin():
        await session.execute(insert(AuditRecord).values(**entry.__dict__))


@dataclass(frozen=True)
class AuditFilter:
    subject: str | None = None
    outcome: str | None = None
    after: datetime | None = None
    before: datetime | None = None


async def page(store: Store, f: AuditFilter, *, page: int, size: int) -> Page[AuditRecord]:
    """Newest first."""
    query = select(AuditRecord)
    if f.subject is not None:
        query = query.where(AuditRecord.subject == f.subject)
    if f.outcome is not None:
        query = query.where(AuditRecord.outcome == f.outcome)
    if f.after is not None:
        query = query.where(AuditRecord.at >= utc(f.after))
    if f.before is not None:
        query = query.where(AuditRecord.at < utc(f.before))
    return await paged(store, query, [AuditRecord.id.desc()], page=page, size=size)
