"""Deployed DMN decisions: versions per decision key, stored with the file they came from.

A deployment's ``.dmn`` files are stored in the same transaction as its ``.bpmn`` files
(``store.definitions.deploy``), so a diagram and the decisions its business-rule tasks
call arrive together or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from store.db import Store, StoreError
from store.models import DecisionDefinition


class DecisionNotFound(StoreError):
    def __init__(self, key: str, version: int | None = None) -> None:
        self.key = key
        self.version = version
        what = f"{key!r}" if version is None else f"{key!r} version {version}"
        super().__init__(f"no deployed decision {what}")


@dataclass(frozen=True)
class DecisionDef:
    """One decision of an uploaded ``.dmn`` file, as the DMN parser found it."""

    key: str
    name: str | None = None
    version_tag: str | None = None


@dataclass(frozen=True)
class DeployedDecision:
    key: str
    version: int
    name: str | None
    version_tag: str | None
    requirements_key: str | None
    resource_name: str
    deployment_id: str
    created_at: datetime
    new: bool


def _view(row: DecisionDefinition, *, new: bool) -> DeployedDecision:
    return DeployedDecision(
        key=row.key,
        version=row.version,
        name=row.name,
        version_tag=row.version_tag,
        requirements_key=row.requirements_key,
        resource_name=row.resource_name,
        deployment_id=row.deployment_id,
        created_at=row.created_at,
        new=new,
    )


async def store_file(
    session: AsyncSession,
    *,
    deployment_id: str,
    resource_name: str,
    xml: str,
    requirements_key: str | None,
    decisions: list[DecisionDef],
    now: datetime,
) -> list[DeployedDecision]:
    """Version every decision of one file inside the deployment's transaction: a decision
    whose latest version came from the same file content keeps it."""
    sha = hashlib.sha256(xml.encode()).hexdigest()
    out: list[DeployedDecision] = []
    for decision in decisions:
        latest = await session.scalar(
            select(DecisionDefinition)
            .where(DecisionDefinition.key == decision.key)
            .order_by(DecisionDefinition.version.desc())
            .limit(1)
        )
        if latest is not None and latest.sha256 == sha:
            out.append(_view(latest, new=False))
            continue
        row = DecisionDefinition(
            key=decision.key,
            version=(latest.version + 1) if latest else 1,
            sha256=sha,
            name=decision.name,
            version_tag=decision.version_tag,
            requirements_key=requirements_key,
            resource_name=resource_name,
            deployment_id=deployment_id,
            xml=xml,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        out.append(_view(row, new=True))
    return out


_SUMMARY = (
    DecisionDefinition.key,
    DecisionDefinition.version,
    DecisionDefinition.name,
    DecisionDefinition.version_tag,
    DecisionDefinition.requirements_key,
    DecisionDefinition.resource_name,
    DecisionDefinition.deployment_id,
    DecisionDefinition.created_at,
)


async def find(
    store: Store,
    key: str,
    *,
    version: int | None = None,
    version_tag: str | None = None,
    deployment_id: str | None = None,
) -> DeployedDecision:
    """A version of ``key``: the given one, the latest with ``version_tag``, the one of
    ``deployment_id`` (Camunda's ``decisionRefBinding``), or the latest."""
    query = select(DecisionDefinition).options(load_only(*_SUMMARY))
    query = query.where(DecisionDefinition.key == key)
    if version is not None:
        query = query.where(DecisionDefinition.version == version)
    if version_tag is not None:
        query = query.where(DecisionDefinition.version_tag == version_tag)
    if deployment_id is not None:
        query = query.where(DecisionDefinition.deployment_id == deployment_id)
    query = query.order_by(DecisionDefinition.version.desc()).limit(1)
    async with store.session() as session:
        row = await session.scalar(query)
    if row is None:
        raise DecisionNotFound(key, version)
    return _view(row, new=False)


async def load_xml(store: Store, key: str, version: int) -> str:
    """The file a decision version came from."""
    async with store.session() as session:
        xml = await session.scalar(
            select(DecisionDefinition.xml).where(
                DecisionDefinition.key == key, DecisionDefinition.version == version
            )
        )
    if xml is None:
        raise DecisionNotFound(key, version)
    return xml


async def list_all(store: Store) -> list[DeployedDecision]:
    """Every version of every decision, by key then version."""
    query = (
        select(DecisionDefinition)
        .options(load_only(*_SUMMARY))
        .order_by(DecisionDefinition.key, DecisionDefinition.version)
    )
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


async def of_deployment(store: Store, deployment_id: str) -> list[DeployedDecision]:
    query = (
        select(DecisionDefinition)
        .options(load_only(*_SUMMARY))
        .where(DecisionDefinition.deployment_id == deployment_id)
        .order_by(DecisionDefinition.key)
    )
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


async def known_keys(store: Store, keys: set[str]) -> set[str]:
    """Which of ``keys`` have a deployed version."""
    if not keys:
        return set()
    async with store.session() as session:
        found = await session.scalars(
            select(DecisionDefinition.key).where(DecisionDefinition.key.in_(keys)).distinct()
        )
        return set(found)
