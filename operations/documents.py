"""Document rendering: a ``.docx`` template and data in, a ``.docx`` or PDF out; shared
by ``/v1/documents`` and the built-in service task ``baton.documents.generate``
(``activities/documents.py``).

A template is a ``.docx`` with docxtpl's Jinja tags (``{{ client.name }}``,
``{%p for … %}``, ``{%tr for … %}``). It is rendered in a *sandboxed* Jinja environment
(templates are uploaded content: no attribute walks to Python internals) with
autoescaping on (a value with ``&`` or ``<`` must not break the document's XML), and a
mapping's keys win over its methods, so ``offer.items`` is the data's ``items`` and not
``dict.items``. A missing top-level name renders empty; reaching into a missing one
(``client.name`` without ``client``) fails the rendering and names it.

PDF is the rendered ``.docx`` converted by LibreOffice (``soffice --headless
--convert-to pdf``) when it is installed; otherwise asking for PDF raises
``PdfUnavailable`` before any work is done.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from operations.errors import OperationError
from store import Store, business_data
from store.documents import DocumentFormat

_log = logging.getLogger("baton.documents")

MEDIA_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
FORMATS: tuple[DocumentFormat, ...] = ("docx", "pdf")
PDF_UNAVAILABLE = "PDF needs LibreOffice, which is not installed"
#: How long one LibreOffice conversion may take.
PDF_TIMEOUT_SECONDS = 120.0


class DocumentError(OperationError):
    """Root of what rendering raises; the message is for the caller (each route and the
    activity say which status or failure type it is)."""


class TemplateInvalid(DocumentError):
    """The upload is not a .docx docxtpl can read, or its Jinja tags do not parse."""


class RenderFailed(DocumentError):
    """The template could not be rendered with this data."""


class PdfUnavailable(DocumentError):
    def __init__(self) -> None:
        super().__init__(PDF_UNAVAILABLE)


class ConversionFailed(DocumentError):
    """LibreOffice ran but produced no PDF."""


class _DataFirst(SandboxedEnvironment):
    """``a.b`` on a mapping is its key ``b`` when it has one (JSON data is all dicts,
    and ``items``, ``keys`` or ``values`` are common field names); anything else is the
    sandbox's attribute lookup."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment() -> SandboxedEnvironment:
    return _DataFirst(autoescape=True)


def _reason(err: Exception) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def template_variables(content: bytes) -> list[str]:
    """The top-level names the template uses (``client``, ``offer`` …). Raises
    ``TemplateInvalid`` when it is no .docx or its tags do not parse."""
    try:
        template = DocxTemplate(io.BytesIO(content))
        names = template.get_undeclared_template_variables(jinja_env=_environment())
    except Exception as err:  # python-docx, zipfile, lxml and Jinja each have their own
        raise TemplateInvalid(f"not a usable .docx template ({_reason(err)})") from err
    return sorted(str(n) for n in names)


def render_docx(content: bytes, data: Mapping[str, Any]) -> bytes:
    try:
        template = DocxTemplate(io.BytesIO(content))
        template.render(dict(data), jinja_env=_environment(), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except Exception as err:  # the template is uploaded content: its failures are its own
        raise RenderFailed(f"the template could not be rendered: {_reason(err)}") from err
    return out.getvalue()


def soffice() -> str | None:
    """LibreOffice's binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return soffice() is not None


def to_pdf(docx: bytes, *, timeout: float = PDF_TIMEOUT_SECONDS) -> bytes:
    """Convert with LibreOffice, in a directory (and user profile) of its own, so
    conversions running side by side do not share LibreOffice's lock files."""
    binary = soffice()
    if binary is None:
        raise PdfUnavailable()
    with tempfile.TemporaryDirectory(prefix="baton-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            ran = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as err:
            raise ConversionFailed(f"LibreOffice took longer than {timeout:.0f}s") from err
        target = folder / "document.pdf"
        if not target.exists():
            said = (ran.stderr or ran.stdout).decode(errors="replace").strip()[-500:]
            raise ConversionFailed(f"LibreOffice made no PDF (exit {ran.returncode}): {said}")
        return target.read_bytes()


def render(content: bytes, data: Mapping[str, Any], fmt: str = "docx") -> bytes:
    """The document ``fmt`` (docx or pdf) from a template and its data. Blocking (CPU,
    and a subprocess for PDF): call it in a thread from async code."""
    if fmt not in FORMATS:
        raise RenderFailed(f"unknown format {fmt!r}; one of {list(FORMATS)}")
    if fmt == "pdf" and not pdf_available():
        raise PdfUnavailable()
    docx = render_docx(content, data)
    return to_pdf(docx) if fmt == "pdf" else docx


def merge_data(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Later layers over earlier ones, nested objects merged field by field: given data
    ``{"client": {"name": …}}`` changes the name and keeps the client's other fields."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            below = merged.get(key)
            if isinstance(below, Mapping) and isinstance(value, Mapping):
                merged[key] = merge_data(below, value)
            else:
                merged[key] = value
    return merged


async def instance_data(
    store: Store, instance_id: str, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """What a template sees of an instance: its variables with its business data (the
    data model) over them."""
    return merge_data(variables, await business_data.get(store, instance_id))
