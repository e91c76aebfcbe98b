"""``/v1/documents``: the document generator (Eximee platform API).

Register ``.docx`` templates (docxtpl), generate documents from them with given data or
with the data of a process instance (its variables, its business data over them, the
given data over both), download the result. Small requests render while the caller
waits (201); large ones answer 202 at once and render in the background, and
``GET /v1/documents/{id}`` tells pending, done or failed. PDF needs LibreOffice; without
it a PDF request is a 501 problem. Rendering is ``operations.documents.render``, the same
code the built-in service task ``baton.documents.generate`` runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, cast
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import SettingsDep, StoreDep, get_client
from api.problems import ApiProblem, Conflict, Invalid, NotFound
from api.schemas import PageNumber, PageOut, PageSize, Wire
from core.settings import Settings
from operations import calls, commands
from operations.documents import (
    MEDIA_TYPES,
    PDF_UNAVAILABLE,
    ConversionFailed,
    DocumentError,
    PdfUnavailable,
    RenderFailed,
    TemplateInvalid,
    instance_data,
    merge_data,
    pdf_available,
    render,
    template_variables,
)
from store import documents
from store.db import Store
from store.documents import (
    MAX_TEMPLATE_BYTES,
    DocumentFormat,
    DocumentTemplate,
    GeneratedDocument,
)
from store.queries import as_utc

router = APIRouter(prefix="/v1/documents", tags=["documents"])
_log = logging.getLogger("baton.documents")

#: A template at most this large …
SYNC_TEMPLATE_BYTES = 1024 * 1024
#: … with data at most this large (as JSON) renders while the caller waits; else 202.
SYNC_DATA_BYTES = 100 * 1024
#: A document pending this long is no longer being rendered by anyone (renders take
#: seconds; the API that started it must have stopped): it is marked failed when read.
STALE_AFTER = timedelta(minutes=10)

#: Background renders of this process (kept referenced until they finish).
_running: dict[str, asyncio.Task[None]] = {}


class TemplateOut(Wire):
    """A registered template."""

    id: str = Field(description="The template's id: `templateId` when generating.")
    name: str = Field(
        description="The name it was registered under; `templateName` in a service task "
        "finds the latest template of that name."
    )
    filename: str | None = Field(description="The uploaded file's name.")
    size: int = Field(description="Size of the .docx in bytes.")
    sha256: str = Field(description="sha256 of the .docx.")
    variables: list[str] = Field(
        description="Top-level names the template uses (e.g. `client`, `offer`): what "
        "the data should provide."
    )
    created: datetime = Field(description="When it was registered (UTC).")
    created_by: str = Field(description="Who registered it.")

    @classmethod
    def of(cls, row: DocumentTemplate) -> TemplateOut:
        return cls(
            id=row.id,
            name=row.name,
            filename=row.filename,
            size=row.size,
            sha256=row.sha256,
            variables=list(row.variables),
            created=as_utc(row.created) or row.created,
            created_by=row.created_by,
        )


class DocumentOut(Wire):
    """A generated document (or one being generated)."""

    id: str = Field(description="The document's id.")
    template_id: str = Field(description="The template it was rendered from.")
    status: Literal["pending", "done", "failed"] = Field(
        description="pending: rendering in the background; done: the content can be "
        "downloaded; failed: see `error`."
    )
    format: DocumentFormat = Field(description="docx or pdf.")
    media_type: str = Field(description="The content's media type.")
    size: int | None = Field(description="Size of the content in bytes; null until done.")
    error: str | None = Field(description="Why rendering failed; null unless failed.")
    process_instance_id: str | None = Field(
        description="The instance whose data was used (or whose service task made it)."
    )
    created: datetime = Field(description="When it was requested (UTC).")
    completed: datetime | None = Field(
        description="When it was done or failed (UTC); null while pending."
    )
    created_by: str = Field(description="Who requested it (`process:<id>` for a service task).")

    @classmethod
    def of(cls, row: GeneratedDocument) -> DocumentOut:
        return cls(
            id=row.id,
            template_id=row.template_id,
            status=cast(Literal["pending", "done", "failed"], row.status),
            format=cast(DocumentFormat, row.format),
            media_type=MEDIA_TYPES[row.format],
            size=row.size,
            error=row.error,
            process_instance_id=row.process_instance_id,
            created=as_utc(row.created) or row.created,
            completed=as_utc(row.completed),
            created_by=row.created_by,
        )


class GenerateDocumentIn(Wire):
    template_id: str = Field(min_length=1, max_length=64, description="The template to render.")
    format: DocumentFormat = Field(
        default="docx", description="docx, or pdf (needs LibreOffice on the server)."
    )
    data: dict[str, Any] | None = Field(
        default=None,
        description="The template's data; with `processInstanceId`, fields given here "
        "override the instance's (nested objects are merged field by field).",
    )
    process_instance_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Take the data from this instance: its variables, with its business "
        "data over them.",
    )


class NotImplementedProblem(ApiProblem):
    status = 501
    title = "Not implemented"


class ConversionProblem(ApiProblem):
    status = 502
    title = "PDF conversion failed"


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _plain(ch: str) -> str:
    return ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_"


def _attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the exact name (RFC 6266)."""
    fallback = "".join(_plain(ch) for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": _attachment(filename)},
    )


def _binary(what: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": what,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types},
        }
    }


async def _template(store: Store, template_id: str, field: str | None = None) -> DocumentTemplate:
    found = await documents.get_template(store, template_id)
    if found is None:
        if field is None:
            raise NotFound(f"no document template {template_id}")
        raise NotFound(f"no document template {template_id}", field=field)
    return found


# -- templates --------------------------------------------------------------------------


@router.post(
    "/templates",
    status_code=201,
    response_model=TemplateOut,
    summary="Register a .docx template (multipart/form-data: `file` and `name`)",
    description="The file must be a Word document python-docx opens whose docxtpl/Jinja "
    "tags parse; the answer lists the variables it uses. Registering a name again makes a "
    "new template that `templateName` then finds.",
    responses={
        413: {"description": "The file is larger than 10 MB"},
        422: {"description": "Not a usable .docx template, or a form field is missing"},
    },
)
async def upload_template(
    response: Response,
    store: StoreDep,
    principal: Annotated[Principal, Requires("documents:templates")],
    file: Annotated[UploadFile, File(description="The .docx template.")],
    name: Annotated[str, Form(min_length=1, max_length=255, description="The template's name.")],
) -> TemplateOut:
    content = await file.read(MAX_TEMPLATE_BYTES + 1)
    if len(content) > MAX_TEMPLATE_BYTES:
        raise ApiProblem(f"file: larger than {MAX_TEMPLATE_BYTES} bytes", status=413)
    if not content:
        raise _invalid("file", "the file is empty")
    if not name.strip():
        raise _invalid("name", "must not be blank")
    try:
        variables = await asyncio.to_thread(template_variables, content)
    except TemplateInvalid as err:
        raise _invalid("file", str(err)) from err
    row = await documents.add_template(
        store,
        documents.NewTemplate(
            name=name.strip(),
            filename=file.filename[:255] if file.filename else None,
            content=content,
            variables=variables,
            created_by=principal.subject,
        ),
    )
    response.headers["Location"] = f"/v1/documents/templates/{row.id}"
    return TemplateOut.of(row)


@router.get(
    "/templates",
    response_model=PageOut[TemplateOut],
    summary="List document templates, newest first",
    responses={422: {"description": "A bad paging parameter"}},
)
async def list_templates(
    store: StoreDep,
    _: Annotated[Principal, Requires("documents:read")],
    name: Annotated[str | None, Query(max_length=255, description="Only this name.")] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[TemplateOut]:
    found = await documents.page_templates(store, name=name, page=page, size=size)
    return PageOut(
        items=[TemplateOut.of(t) for t in found.items], page=page, size=size, total=found.total
    )


@router.get(
    "/templates/{template_id}",
    response_model=TemplateOut,
    summary="A template's metadata and the variables it uses",
    responses={404: {"description": "No such template"}},
)
async def get_template(
    template_id: str, store: StoreDep, _: Annotated[Principal, Requires("documents:read")]
) -> TemplateOut:
    return TemplateOut.of(await _template(store, template_id))


@router.get(
    "/templates/{template_id}/content",
    response_class=Response,
    summary="Download a template's .docx",
    responses={
        **_binary("The .docx", MEDIA_TYPES["docx"]),
        404: {"description": "No such template"},
    },
)
async def download_template(
    template_id: str, store: StoreDep, _: Annotated[Principal, Requires("documents:read")]
) -> Response:
    row = await _template(store, template_id)
    content = await documents.template_content(store, template_id)
    if content is None:
        raise NotFound(f"no document template {template_id}")
    return _download(content, MEDIA_TYPES["docx"], row.filename or f"{row.name}.docx")


# -- documents --------------------------------------------------------------------------


async def _render_later(
    store: Store, document_id: str, template: bytes, data: dict[str, Any], fmt: str
) -> None:
    try:
        try:
            output = await asyncio.to_thread(render, template, data, fmt)
        except DocumentError as err:
            await documents.fail_document(store, document_id, str(err))
        except Exception as err:
            _log.error("rendering document %s failed", document_id, exc_info=err)
            reason = f"internal error: {type(err).__name__}"
            await documents.fail_document(store, document_id, reason)
        else:
            await documents.finish_document(store, document_id, output)
    except Exception as err:  # the database went away: the document goes stale
        _log.error("could not store document %s", document_id, exc_info=err)
    finally:
        _running.pop(document_id, None)


def _start_rendering(
    store: Store, document_id: str, template: bytes, data: dict[str, Any], fmt: str
) -> None:
    task = asyncio.create_task(
        _render_later(store, document_id, template, data, fmt),
        name=f"baton-document-{document_id}",
    )
    _running[document_id] = task


async def _request_data(
    request: Request, store: Store, body: GenerateDocumentIn, settings: Settings
) -> dict[str, Any]:
    if body.process_instance_id is None:
        return merge_data(body.data)
    view = await calls.query(
        get_client(request), settings, body.process_instance_id, commands.STATE
    )
    return merge_data(
        await instance_data(store, body.process_instance_id, view.variables), body.data
    )


@router.post(
    "",
    status_code=201,
    response_model=DocumentOut,
    summary="Generate a document from a template (201 when done, 202 while rendering)",
    description=f"Data: `data`, or the data of `processInstanceId` (its variables, its "
    f"business data over them) with `data` over it. A template up to "
    f"{SYNC_TEMPLATE_BYTES // 1024} KB with data up to {SYNC_DATA_BYTES // 1024} KB (as "
    f"JSON) renders before the answer (201, status done); anything larger answers 202 "
    f"(status pending, `Location` to poll) and renders in the background.",
    responses={
        202: {"model": DocumentOut, "description": "Accepted: rendering in the background"},
        404: {"description": "No such template or process instance"},
        422: {"description": "A bad body, or the template cannot be rendered with this data"},
        501: {"description": PDF_UNAVAILABLE},
        502: {"description": "LibreOffice failed to convert the document to PDF"},
    },
)
async def generate_document(
    body: GenerateDocumentIn,
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("documents:generate")],
) -> DocumentOut:
    if body.format == "pdf" and not pdf_available():
        raise NotImplementedProblem(PDF_UNAVAILABLE, field="format")
    template = await _template(store, body.template_id, field="templateId")
    content = await documents.template_content(store, template.id)
    if content is None:
        raise NotFound(f"no document template {template.id}", field="templateId")
    data = await _request_data(request, store, body, settings)
    data_size = len(json.dumps(data, default=str).encode())
    spec = documents.NewDocument(
        template_id=template.id,
        format=body.format,
        created_by=principal.subject,
        process_instance_id=body.process_instance_id,
    )
    if template.size > SYNC_TEMPLATE_BYTES or data_size > SYNC_DATA_BYTES:
        row = await documents.add_document(store, spec)
        _start_rendering(store, row.id, content, data, body.format)
        response.status_code = 202
        response.headers["Location"] = f"/v1/documents/{row.id}"
        response.headers["Retry-After"] = "1"
        return DocumentOut.of(row)
    try:
        output = await asyncio.to_thread(render, content, data, body.format)
    except PdfUnavailable as err:  # LibreOffice went away since the check above
        raise NotImplementedProblem(str(err), field="format") from err
    except RenderFailed as err:
        raise _invalid("data", str(err)) from err
    except ConversionFailed as err:
        raise ConversionProblem(str(err)) from err
    row = await documents.add_document(
        store,
        documents.NewDocument(
            template_id=spec.template_id,
            format=spec.format,
            created_by=spec.created_by,
            process_instance_id=spec.process_instance_id,
            content=output,
        ),
    )
    response.headers["Location"] = f"/v1/documents/{row.id}"
    return DocumentOut.of(row)


@router.get(
    "",
    response_model=PageOut[DocumentOut],
    summary="List generated documents, newest first",
    responses={422: {"description": "A bad filter or paging parameter"}},
)
async def list_documents(
    store: StoreDep,
    _: Annotated[Principal, Requires("documents:read")],
    process_instance_id: Annotated[
        str | None,
        Query(alias="processInstanceId", max_length=255, description="Only this instance's."),
    ] = None,
    template_id: Annotated[
        str | None, Query(alias="templateId", max_length=64, description="Only this template's.")
    ] = None,
    status: Annotated[
        Literal["pending", "done", "failed"] | None, Query(description="Only this status.")
    ] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[DocumentOut]:
    found = await documents.page_documents(
        store,
        documents.DocumentFilter(
            process_instance_id=process_instance_id, template_id=template_id, status=status
        ),
        page=page,
        size=size,
    )
    return PageOut(
        items=[DocumentOut.of(d) for d in found.items], page=page, size=size, total=found.total
    )


async def _document(store: Store, document_id: str) -> GeneratedDocument:
    row = await documents.get_document(store, document_id)
    if row is None:
        raise NotFound(f"no document {document_id}")
    if row.status == "pending" and document_id not in _running:
        age = datetime.now(UTC) - (as_utc(row.created) or row.created)
        if age > STALE_AFTER:
            await documents.fail_document(
                store, document_id, "rendering was interrupted (the API stopped); request it again"
            )
            row = await documents.get_document(store, document_id) or row
    return row


@router.get(
    "/{document_id}",
    response_model=DocumentOut,
    summary="A document's status and metadata (poll it after a 202)",
    responses={404: {"description": "No such document"}},
)
async def get_document(
    document_id: str, store: StoreDep, _: Annotated[Principal, Requires("documents:read")]
) -> DocumentOut:
    return DocumentOut.of(await _document(store, document_id))


@router.get(
    "/{document_id}/content",
    response_class=Response,
    summary="Download a generated document",
    responses={
        **_binary("The document", MEDIA_TYPES["docx"], MEDIA_TYPES["pdf"]),
        404: {"description": "No such document"},
        409: {"description": "The document is still pending (see Retry-After), or failed"},
    },
)
async def download_document(
    document_id: str, store: StoreDep, _: Annotated[Principal, Requires("documents:read")]
) -> Response:
    row = await _document(store, document_id)
    if row.status == "pending":
        raise Conflict(
            f"document {document_id} is still being generated",
            headers={"Retry-After": "1"},
            documentStatus=row.status,
        )
    content = await documents.document_content(store, document_id)
    if row.status != "done" or content is None:
        raise Conflict(
            f"document {document_id} failed: {row.error or 'no content'}",
            documentStatus=row.status,
        )
    return _download(content, MEDIA_TYPES[row.format], f"{row.id}.{row.format}")
