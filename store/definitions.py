"""Deployments: versions per process key, content-addressed by the IR's sha256."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from bpmn_compiler import migrations
from bpmn_compiler.ir import ProcessDefinition
from store import decisions
from store.db import DefinitionNotFound, Store
from store.models import Definition, Deployment


@dataclass(frozen=True)
class Resource:
    """One uploaded file and what it holds: the process definitions a ``.bpmn`` file
    compiled to, or the decisions of a ``.dmn`` file (with its ``<definitions>`` id)."""

    name: str
    xml: bytes
    definitions: list[ProcessDefinition]
    decisions: list[decisions.DecisionDef] = field(default_factory=list)
    requirements_key: str | None = None


@dataclass(frozen=True)
class Deployed:
    """What one deployment stored: its id, and every process and decision of the upload
    at the version it resolved to (new or unchanged)."""

    id: str
    definitions: list[DeployedDefinition]
    decisions: list[decisions.DeployedDecision]


@dataclass(frozen=True)
class DeployedDefinition:
    key: str
    version: int
    sha256: str
    name: str | None
    resource_name: str
    deployment_id: str
    created_at: datetime
    new: bool


def _view(row: Definition, *, new: bool) -> DeployedDefinition:
    return DeployedDefinition(
        key=row.key,
        version=row.version,
        sha256=row.sha256,
        name=row.name,
        resource_name=row.resource_name,
        deployment_id=row.deployment_id,
        created_at=row.created_at,
        new=new,
    )


async def deploy(
    store: Store, resources: list[Resource], *, name: str | None = None, source: str | None = None
) -> tuple[str, list[DeployedDefinition]]:
    """Store every definition; unchanged content keeps the latest version of its key.
    (``deploy_all`` answers the decisions too.)"""
    done = await deploy_all(store, resources, name=name, source=source)
    return done.id, done.definitions


async def deploy_all(
    store: Store, resources: list[Resource], *, name: str | None = None, source: str | None = None
) -> Deployed:
    """Store every process definition and decision in one transaction; unchanged content
    keeps the latest version of its key.

    Two concurrent deployments of one key race on the (key, version) constraint; the
    loser retries, so versions stay dense and unique.
    """
    for attempt in range(5):
        try:
            return await _deploy_once(store, resources, name=name, source=source)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def _deploy_once(
    store: Store, resources: list[Resource], *, name: str | None, source: str | None
) -> Deployed:
    now = datetime.now(UTC)
    deployment_id = str(uuid.uuid4())
    deployed: list[DeployedDefinition] = []
    decided: list[decisions.DeployedDecision] = []
    async with store.session() as session, session.begin():
        session.add(Deployment(id=deployment_id, name=name, source=source, created_at=now))
        await session.flush()
        for resource in resources:
            xml = resource.xml.decode("utf-8", errors="replace")
            if resource.decisions:
                decided += await decisions.store_file(
                    session,
                    deployment_id=deployment_id,
                    resource_name=resource.name,
                    xml=xml,
                    requirements_key=resource.requirements_key,
                    decisions=resource.decisions,
                    now=now,
                )
            for definition in resource.definitions:
                sha = definition.sha256()
                latest = await session.scalar(
                    select(Definition)
                    .where(Definition.key == definition.key)
                    .order_by(Definition.version.desc())
                    .limit(1)
                )
                if latest is not None and latest.sha256 == sha:
                    deployed.append(_view(latest, new=False))
                    continue
                row = Definition(
                    key=definition.key,
                    version=(latest.version + 1) if latest else 1,
                    sha256=sha,
                    name=definition.name,
                    resource_name=resource.name,
                    deployment_id=deployment_id,
                    ir_version=definition.ir_version,
                    xml=xml,
                    ir=definition.canonical_json().decode(),
                    created_at=now,
                )
                session.add(row)
                await session.flush()
                deployed.append(_view(row, new=True))
    return Deployed(deployment_id, deployed, decided)


async def find(store: Store, key: str, version: int | None = None) -> DeployedDefinition:
    """The given version of ``key``, or its latest version."""
    query = select(Definition).where(Definition.key == key)
    if version is None:
        query = query.order_by(Definition.version.desc()).limit(1)
    else:
        query = query.where(Definition.version == version)
    async with store.session() as session:
        row = await session.scalar(query)
    if row is None:
        raise DefinitionNotFound(key, version)
    return _view(row, new=False)


async def named(store: Store, name: str, version: int | None = None) -> list[DeployedDefinition]:
    """The definitions a process name (the diagram's ``name``, as people write it)
    stands for: at ``version``, or each key's latest version, those whose name is
    ``name`` exactly; when none is, those whose name matches it case-insensitively
    (Unicode casefolding, the same on SQLite and PostgreSQL). One entry per key, by key;
    more than one means the name is ambiguous, which the caller decides about."""
    query = select(Definition).options(load_only(*_SUMMARY_COLUMNS))
    if version is None:
        latest = (
            select(Definition.key, func.max(Definition.version).label("version"))
            .group_by(Definition.key)
            .subquery()
        )
        query = query.join(
            latest, (Definition.key == latest.c.key) & (Definition.version == latest.c.version)
        )
    else:
        query = query.where(Definition.version == version)
    query = query.where(Definition.name.is_not(None)).order_by(Definition.key)
    async with store.session() as session:
        rows = [_view(row, new=False) for row in await session.scalars(query)]
    exact = [d for d in rows if d.name == name]
    if exact:
        return exact
    folded = name.casefold()
    return [d for d in rows if d.name is not None and d.name.casefold() == folded]


async def list_latest(store: Store) -> list[DeployedDefinition]:
    latest = (
        select(Definition.key, func.max(Definition.version).label("version"))
        .group_by(Definition.key)
        .subquery()
    )
    query = (
        select(Definition)
        .join(latest, (Definition.key == latest.c.key) & (Definition.version == latest.c.version))
        .order_by(Definition.key)
    )
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


async def load_ir(store: Store, key: str, version: int, sha256: str) -> ProcessDefinition:
    """The IR an instance was started with; the sha256 check makes a mix-up impossible."""
    async with store.session() as session:
        row = await session.scalar(
            select(Definition).where(
                Definition.key == key, Definition.version == version, Definition.sha256 == sha256
            )
        )
    if row is None:
        raise DefinitionNotFound(key, version)
    return migrations.load(json.loads(row.ir))


async def load_xml(store: Store, key: str, version: int) -> str:
    async with store.session() as session:
        row = await session.scalar(
            select(Definition).where(Definition.key == key, Definition.version == version)
        )
    if row is None:
        raise DefinitionNotFound(key, version)
    return row.xml


async def list_versions(store: Store, key: str) -> list[DeployedDefinition]:
    """Every version of ``key``, newest first."""
    query = select(Definition).where(Definition.key == key).order_by(Definition.version.desc())
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


async def load_ir_json(store: Store, key: str, version: int) -> str:
    """The stored canonical IR JSON of one version (what its sha256 was computed over)."""
    async with store.session() as session:
        row = await session.scalar(
            select(Definition).where(Definition.key == key, Definition.version == version)
        )
    if row is None:
        raise DefinitionNotFound(key, version)
    return row.ir


async def listeners(
    store: Store, kind: Literal["message", "signal"], name: str
) -> list[tuple[DeployedDefinition, str]]:
    """(latest definition, start event) pairs a message or signal of ``name`` starts."""
    found = []
    for deployed in await list_latest(store):
        ir = await load_ir(store, deployed.key, deployed.version, deployed.sha256)
        found += [(deployed, start_id) for start_id in ir.event_starts(kind, name)]
    return found


@dataclass(frozen=True)
class DeploymentView:
    """One deployment as stored: what Camunda's deployment resource lists."""

    id: str
    name: str | None
    source: str | None
    created_at: datetime


def _deployment(row: Deployment) -> DeploymentView:
    return DeploymentView(id=row.id, name=row.name, source=row.source, created_at=row.created_at)


async def list_deployments(store: Store) -> list[DeploymentView]:
    """Every deployment, oldest first (Camunda's REST API filters and sorts them)."""
    async with store.session() as session:
        rows = await session.scalars(select(Deployment).order_by(Deployment.created_at))
        return [_deployment(row) for row in rows]


async def get_deployment(store: Store, deployment_id: str) -> DeploymentView | None:
    async with store.session() as session:
        row = await session.get(Deployment, deployment_id)
    return _deployment(row) if row is not None else None


async def list_all(store: Store) -> list[DeployedDefinition]:
    """Every version of every key, by key then version, without the XML and IR texts
    (Camunda's process-definition query filters these in memory)."""
    query = (
        select(Definition)
        .options(load_only(*_SUMMARY_COLUMNS))
        .order_by(Definition.key, Definition.version)
    )
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


async def of_deployment(store: Store, deployment_id: str) -> list[DeployedDefinition]:
    """The definition versions a deployment created (unchanged ones keep their first)."""
    query = (
        select(Definition)
        .options(load_only(*_SUMMARY_COLUMNS))
        .where(Definition.deployment_id == deployment_id)
        .order_by(Definition.key)
    )
    async with store.session() as session:
        return [_view(row, new=False) for row in await session.scalars(query)]


_SUMMARY_COLUMNS = (
    Definition.key,
    Definition.version,
    Definition.sha256,
    Definition.name,
    Definition.resource_name,
    Definition.deployment_id,
    Definition.created_at,
)


@dataclass(frozen=True)
class DeploymentResource:
    """One file a deployment stored (Camunda's deployment resource): the text of a
    ``.bpmn`` upload whose processes this deployment versioned. Its id is stable, derived
    from the deployment and the file name (Baton keeps no separate resource table)."""

    id: str
    name: str
    deployment_id: str
    xml: str


def resource_id(deployment_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"baton:deployment:{deployment_id}/{name}"))


async def resources_of(store: Store, deployment_id: str) -> list[DeploymentResource]:
    """The files a deployment stored, by name. A file whose processes were all unchanged
    created no version, so the deployment did not store it (Camunda's deploy-changed-only
    leaves it out the same way)."""
    query = (
        select(Definition.resource_name, Definition.xml)
        .where(Definition.deployment_id == deployment_id)
        .order_by(Definition.resource_name, Definition.key)
    )
    found: dict[str, DeploymentResource] = {}
    async with store.session() as session:
        for name, xml in await session.execute(query):
            if name not in found:
                found[name] = DeploymentResource(
                    resource_id(deployment_id, name), name, deployment_id, xml
                )
    return list(found.values())
