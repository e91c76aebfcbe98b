"""The data-model store: business data kept apart from the process variables.

A CRM's business data (the customer, the application form …) is not what drives the
engine, and often is large; the instance only carries a reference (its own id), so the
workflow history stays small and the data can change without touching the instance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from store.db import Store
from store.models import BusinessData


def _insert(store: Store, ref: str, data: dict[str, Any], by: str | None) -> Any:
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    table = BusinessData.__table__
    assert isinstance(table, Table)
    return insert(table).values(ref=ref, data=data, updated_at=datetime.now(UTC), updated_by=by)


async def put(
    store: Store, ref: str, data: dict[str, Any], *, by: str | None, replace: bool = True
) -> None:
    """Store the business data under ``ref``. ``replace=False`` keeps what is there: a
    repeated or racing start must not overwrite the data of the instance that won."""
    stmt = _insert(store, ref, data, by)
    if replace:
        stmt = stmt.on_conflict_do_update(
            index_elements=["ref"],
            set_={
                "data": stmt.excluded.data,
                "updated_at": stmt.excluded.updated_at,
                "updated_by": stmt.excluded.updated_by,
            },
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["ref"])
    async with store.session() as session, session.begin():
        await session.execute(stmt)


async def get(store: Store, ref: str) -> dict[str, Any] | None:
    async with store.session() as session:
        row = await session.get(BusinessData, ref)
        return dict(row.data) if row is not None else None


async def merge(
    store: Store, ref: str, changes: dict[str, Any], *, by: str | None
) -> dict[str, Any]:
    """Change some top-level fields; a field set to null is removed."""
    async with store.session() as session, session.begin():
        # the row exists before it is locked, so two first merges cannot both insert
        await session.execute(_insert(store, ref, {}, by).on_conflict_do_nothing())
        row = await session.get(BusinessData, ref, with_for_update=True)
        data = dict(row.data) if row is not None else {}
        for name, value in changes.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        if row is None:
            session.add(
                BusinessData(ref=ref, data=data, updated_at=datetime.now(UTC), updated_by=by)
            )
        else:
            row.data = data
            row.updated_at = datetime.now(UTC)
            row.updated_by = by
        return data
