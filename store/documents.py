"""Document templates and generated documents: the persistence of the document generator.

Rendering lives in ``activities/documents.py`` (one ``render()`` for the API and the
built-in activity); this module only keeps rows.

Both the ``.docx`` templates and the generated documents are kept *in the database*
(``LargeBinary``: ``bytea`` on PostgreSQL, ``BLOB`` on SQLite), for now:

* the API and the worker share nothing but the database, and each may run as several
  replicas; a local directory would not be seen by the others, and an object store is one
  more service to run, configure and back up;
* a document and its metadata are written in one transaction, so there is never a row
  without content (or content without a row), and a backup of the database is complete;
* the sizes are modest: a template is at most ``MAX_TEMPLATE_BYTES``, a generated letter or
  offer a few hundred KB.

The content columns are deferred with ``raiseload``: lists and metadata reads never load
them, and only ``template_content`` / ``document_content`` fetch the bytes. Moving the bytes
to an object store later changes this module only (the rows would keep a key instead).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Store
from store.models import Base
from store.queries import Page

#: The largest template the API accepts.
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024

DocumentStatus = Literal["pending", "done", "failed"]
DocumentFormat = Literal["docx", "pdf"]


class DocumentTemplate(Base):
    """A registered ``.docx`` template (docxtpl: Jinja tags inside a Word document)."""

    __tablename__ = "document_templates"
    __table_args__ = (Index("ix_document_template_name", "name", "created"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    variables: Mapped[list[str]] = mapped_column(JSON)
    created: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)


class GeneratedDocument(Base):
    """A document rendered from a template: pending while a large one renders, then done
    (with its content) or failed (with the reason)."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_document_instance", "process_instance_id", "created"),
        Index("ix_document_template", "template_id", "created"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("document_templates.id"))
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    size: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    process_instance_id: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime]
    completed: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(
        LargeBinary, deferred=True, deferred_raiseload=True
    )


# -- templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTemplate:
    name: str
    filename: str | None
    content: bytes
    variables: list[str]
    created_by: str


async def add_template(store: Store, spec: NewTemplate) -> DocumentTemplate:
    row = DocumentTemplate(
        id=str(uuid.uuid4()),
        name=spec.name,
        filename=spec.filename,
        size=len(spec.content),
        sha256=hashlib.sha256(spec.content).hexdigest(),
        variables=sorted(spec.variables),
        created=datetime.now(UTC),
        created_by=spec.created_by,
        content=spec.content,
    )
    async with store.session() as session, session.begin():
        session.add(row)
    return row


async def get_template(store: Store, template_id: str) -> DocumentTemplate | None:
    """The template's metadata (not its content)."""
    async with store.session() as session:
        return await session.get(DocumentTemplate, template_id)


async def template_by_name(store: Store, name: str) -> DocumentTemplate | None:
    """The latest template registered under ``name``: registering a name again is how a
    template gets a new version, and processes naming it pick the new one up."""
    async with store.session() as session:
        found: DocumentTemplate | None = await session.scalar(
            select(DocumentTemplate)
            .where(DocumentTemplate.name == name)
            .order_by(DocumentTemplate.created.desc(), DocumentTemplate.id.desc())
            .limit(1)
        )
        return found


async def template_content(store: Store, template_id: str) -> bytes | None:
    async with store.session() as session:
        content: bytes | None = await session.scalar(
            select(DocumentTemplate.content).where(DocumentTemplate.id == template_id)
        )
        return content


async def page_templates(
    store: Store, *, name: str | None, page: int, size: int
) -> Page[DocumentTemplate]:
    """Templates, newest first."""
    where = [DocumentTemplate.name == name] if name is not None else []
    async with store.session() as session:
        total = await session.scalar(
            select(func.count()).select_from(DocumentTemplate).where(*where)
        )
        rows = await session.scalars(
            select(DocumentTemplate)
            .where(*where)
            .order_by(DocumentTemplate.created.desc(), DocumentTemplate.id)
            .offset(page * size)
            .limit(size)
        )
        return Page(items=list(rows), total=int(total or 0))


# -- documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDocument:
    template_id: str
    format: DocumentFormat
    created_by: str
    process_instance_id: str | None = None
    content: bytes | None = None  # None: pending, rendered later
    id: str | None = None  # a caller that may repeat itself (an activity) names its id


async def add_document(store: Store, spec: NewDocument) -> GeneratedDocument:
    """Store a document: done when ``content`` is given, pending otherwise. With an ``id``
    that exists already, the stored row is returned unchanged (a retried activity)."""
    now = datetime.now(UTC)
    done = spec.content is not None
    row = GeneratedDocument(
        id=spec.id or str(uuid.uuid4()),
        template_id=spec.template_id,
        format=spec.format,
        status="done" if done else "pending",
        size=len(spec.content) if spec.content is not None else None,
        error=None,
        process_instance_id=spec.process_instance_id,
        created=now,
        completed=now if done else None,
        created_by=spec.created_by,
        content=spec.content,
    )
    if spec.id is not None:
        existing = await get_document(store, spec.id)
        if existing is not None:
            return existing
    try:
        async with store.session() as session, session.begin():
            session.add(row)
    except IntegrityError:
        if spec.id is None:
            raise
        existing = await get_document(store, spec.id)
        if existing is None:
            raise
        return existing
    return row


async def finish_document(store: Store, document_id: str, content: bytes) -> bool:
    """A pending document is done; False when it was no longer pending."""
    return await _settle(
        store,
        document_id,
        status="done",
        content=content,
        size=len(content),
        completed=datetime.now(UTC),
    )


async def fail_document(store: Store, document_id: str, error: str) -> bool:
    """A pending document failed; False when it was no longer pending."""
    return await _settle(
        store, document_id, status="failed", error=error[:10_000], completed=datetime.now(UTC)
    )


async def _settle(store: Store, document_id: str, **values: Any) -> bool:
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(GeneratedDocument)
            .where(GeneratedDocument.id == document_id, GeneratedDocument.status == "pending")
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))


async def get_document(store: Store, document_id: str) -> GeneratedDocument | None:
    """The document's metadata (not its content)."""
    async with store.session() as session:
        return await session.get(GeneratedDocument, document_id)


async def document_content(store: Store, document_id: str) -> bytes | None:
    async with store.session() as session:
        content: bytes | None = await session.scalar(
            select(GeneratedDocument.content).where(GeneratedDocument.id == document_id)
        )
        return content


@dataclass(frozen=True)
class DocumentFilter:
    process_instance_id: str | None = None
    template_id: str | None = None
    status: str | None = None


async def page_documents(
    store: Store, f: DocumentFilter, *, page: int, size: int
) -> Page[GeneratedDocument]:
    """Documents, newest first."""
    where: list[ColumnElement[bool]] = []
    if f.process_instance_id is not None:
        where.append(GeneratedDocument.process_instance_id == f.process_instance_id)
    if f.template_id is not None:
        where.append(GeneratedDocument.template_id == f.template_id)
    if f.status is not None:
        where.append(GeneratedDocument.status == f.status)
    async with store.session() as session:
        total = await session.scalar(
            select(func.count()).select_from(GeneratedDocument).where(*where)
        )
        rows = await session.scalars(
            select(GeneratedDocument)
            .where(*where)
            .order_by(GeneratedDocument.created.desc(), GeneratedDocument.id)
            .offset(page * size)
            .limit(size)
        )
        return Page(items=list(rows), total=int(total or 0))
