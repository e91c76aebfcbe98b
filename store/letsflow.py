"""LetsFlow scenarios (content-addressed) and the read model of LetsFlow processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from baton_client.contracts import letsflow as lc
from sqlalchemy import delete, or_, select, update

from store.db import Store
from store.models import LetsflowParticipant, LetsflowProcessRecord, ScenarioRecord
from store.projections import upsert_by_revision
from store.queries import utc


async def put_scenario(store: Store, scenario_id: str, normalized: dict[str, Any]) -> bool:
    """Store a normalized scenario under its id. Storing the same content again
    re-enables it. Returns True when the row is new."""
    async with store.session() as session, session.begin():
        found = await session.get(ScenarioRecord, scenario_id)
        if found is not None:
            found.disabled = False
            return False
        session.add(
            ScenarioRecord(
                id=scenario_id,
                name=normalized.get("name"),
                version=normalized.get("version"),
                title=str(normalized.get("title", "")),
                description=str(normalized.get("description", "")),
                tags=list(normalized.get("tags", [])),
                normalized={k: v for k, v in normalized.items() if k != "id"},
                disabled=False,
                created=datetime.now(UTC),
            )
        )
        return True


async def get_scenario(store: Store, scenario_id: str) -> ScenarioRecord | None:
    async with store.session() as session:
        return await session.get(ScenarioRecord, scenario_id)


async def find_scenario(store: Store, id_or_name: str) -> ScenarioRecord | None:
    """By id, else the newest enabled scenario with that name (LetsFlow starts by either)."""
    async with store.session() as session:
        found = await session.get(ScenarioRecord, id_or_name)
        if found is not None:
            return found
        return await session.scalar(
            select(ScenarioRecord)
            .where(ScenarioRecord.name == id_or_name, ScenarioRecord.disabled.is_(False))
            .order_by(ScenarioRecord.created.desc())
            .limit(1)
        )


async def list_scenarios(store: Store) -> list[ScenarioRecord]:
    """Enabled scenarios by title, as LetsFlow lists them."""
    async with store.session() as session:
        rows = await session.scalars(
            select(ScenarioRecord)
            .where(ScenarioRecord.disabled.is_(False))
            .order_by(ScenarioRecord.title, ScenarioRecord.id)
        )
        return list(rows)


async def disable_scenario(store: Store, scenario_id: str) -> bool:
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(ScenarioRecord).where(ScenarioRecord.id == scenario_id).values(disabled=True)
        )
        return bool(getattr(result, "rowcount", 0))


async def project_process(store: Store, row: lc.ProcessProjection) -> None:
    """Upsert the row the scenario workflow projects after an event (its contract, not a
    copy of it), unless a newer revision is already in place."""
    values = row.model_dump(exclude={"participants"})
    values["created"] = utc(row.created)
    values["last_updated"] = utc(row.last_updated)
    async with store.session() as session, session.begin():
        result = await session.execute(upsert_by_revision(store, LetsflowProcessRecord, [values]))
        if not getattr(result, "rowcount", 1):
            return  # an older write: a newer one is already in place
        await session.execute(
            delete(LetsflowParticipant).where(LetsflowParticipant.process_id == row.id)
        )
        if row.participants:
            session.add_all(
                LetsflowParticipant(process_id=row.id, kind=kind, value=value)
                for kind, value in sorted(set(row.participants))
            )


async def get_process(store: Store, process_id: str) -> LetsflowProcessRecord | None:
    async with store.session() as session:
        return await session.get(LetsflowProcessRecord, process_id)


@dataclass(frozen=True)
class ProcessFilter:
    """None for a field means "no restriction on it"."""

    user_id: str | None = None
    roles: tuple[str, ...] = ()
    every: bool = False  # process:super with all=true
    scenarios: tuple[str, ...] | None = None  # an API key's scenarios (ids or names)
    service: str | None = None


async def list_processes(
    store: Store, f: ProcessFilter, *, page: int, size: int, order: list[Any]
) -> list[LetsflowProcessRecord]:
    query = select(LetsflowProcessRecord)
    if not f.every:
        who = select(LetsflowParticipant.process_id)
        conditions = []
        if f.user_id is not None:
            conditions.append(
                (LetsflowParticipant.kind == "user") & (LetsflowParticipant.value == f.user_id)
            )
        if f.roles:
            conditions.append(
                (LetsflowParticipant.kind == "role") & LetsflowParticipant.value.in_(f.roles)
            )
        if f.service is not None:
            conditions.append(
                (LetsflowParticipant.kind == "service") & (LetsflowParticipant.value == f.service)
            )
        if f.scenarios is None and not conditions:
            return []
        if conditions:
            query = query.where(LetsflowProcessRecord.id.in_(who.where(or_(*conditions))))
    if f.scenarios is not None:
        query = query.where(
            or_(
                LetsflowProcessRecord.scenario_id.in_(f.scenarios),
                LetsflowProcessRecord.scenario_name.in_(f.scenarios),
            )
        )
    async with store.session() as session:
        rows = await session.scalars(query.order_by(*order).offset(page * size).limit(size))
        return list(rows)
