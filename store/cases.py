"""Cases and their status history (the Eximee Case Repository's data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from store.db import Store
from store.models import CaseRecord, CaseStatusChange
from store.queries import Page, paged


@dataclass(frozen=True)
class NewCase:
    case_type: str
    client_id: str | None
    client_type: str
    status: str
    status_description: str | None
    business_key: str | None
    source: str | None


async def create(store: Store, new: NewCase, *, by: str | None) -> CaseRecord:
    now = datetime.now(UTC)
    row = CaseRecord(case_id=str(uuid.uuid4()), creation_date=now, update_date=now, **new.__dict__)
    async with store.session() as session, session.begin():
        session.add(row)
        await session.flush()
        session.add(
            CaseStatusChange(
                case_id=row.case_id,
                status=new.status,
                status_description=new.status_description,
                source=new.source,
                changed_by=by,
                at=now,
            )
        )
    return row


async def get(store: Store, case_id: str) -> CaseRecord | None:
    async with store.session() as session:
        return await session.get(CaseRecord, case_id)


async def by_business_key(store: Store, business_key: str) -> CaseRecord | None:
    """The newest case with this business key."""
    async with store.session() as session:
        return await session.scalar(
            select(CaseRecord)
            .where(CaseRecord.business_key == business_key)
            .order_by(CaseRecord.creation_date.desc())
            .limit(1)
        )


async def change_status(
    store: Store,
    case_id: str,
    status: str,
    description: str | None,
    source: str | None,
    *,
    by: str | None,
) -> CaseRecord | None:
    now = datetime.now(UTC)
    async with store.session() as session, session.begin():
        row = await session.get(CaseRecord, case_id, with_for_update=True)
        if row is None:
            return None
        row.status = status
        row.status_description = description
        if source is not None:
            row.source = source
        row.update_date = now
        session.add(
            CaseStatusChange(
                case_id=case_id,
                status=status,
                status_description=description,
                source=source,
                changed_by=by,
                at=now,
            )
        )
    return row


@dataclass(frozen=True)
class CaseFilter:
    client_id: str | None = None
    client_type: str | None = None
    business_key: str | None = None
    case_type: str | None = None
    status: str | None = None


async def page(store: Store, f: CaseFilter, *, page: int, size: int) -> Page[CaseRecord]:
    query = select(CaseRecord)
    for column, value in (
        (CaseRecord.client_id, f.client_id),
        (CaseRecord.client_type, f.client_type),
        (CaseRecord.business_key, f.business_key),
        (CaseRecord.case_type, f.case_type),
        (CaseRecord.status, f.status),
    ):
        if value is not None:
            query = query.where(column == value)
    order = [CaseRecord.creation_date.desc(), CaseRecord.case_id]
    return await paged(store, query, order, page=page, size=size)


async def history(store: Store, case_id: str) -> list[CaseStatusChange]:
    async with store.session() as session:
        rows = await session.scalars(
            select(CaseStatusChange)
            .where(CaseStatusChange.case_id == case_id)
            .order_by(CaseStatusChange.id)
        )
        return list(rows)
