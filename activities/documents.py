"""The built-in service task ``baton.documents.generate``: render a template with the
instance's data (``operations.documents``) and store the document.

Task headers (``zeebe:taskHeaders`` or ``camunda:properties``): ``templateId`` or
``templateName`` (the latest template registered under that name), ``format`` (``docx``,
the default, or ``pdf``) and ``resultVariable`` (default ``documentId``). The data is the
task's variables with the instance's business data over them. The document's id is
derived from the activity's run and id, so a retried attempt finds the document it
stored before instead of storing a second one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from baton_client.contracts.bpmn import ServiceTaskInput, ServiceTaskResult
from temporalio import activity
from temporalio.exceptions import ApplicationError

from operations.documents import FORMATS, PdfUnavailable, RenderFailed, instance_data, render
from store import Store, documents
from store.documents import DocumentTemplate

_log = logging.getLogger("baton.documents")

GENERATE = "baton.documents.generate"
DEFAULT_RESULT_VARIABLE = "documentId"

_DOCUMENT_IDS = uuid.UUID("7b0c6c52-5e0e-4d7e-9a51-3f4a0f1d2c11")


def _refuse(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def _document_id() -> str | None:
    """Stable across the attempts of one activity execution; None outside one."""
    try:
        info = activity.info()
    except RuntimeError:
        return None
    return str(uuid.uuid5(_DOCUMENT_IDS, f"{info.workflow_run_id}/{info.activity_id}"))


class DocumentActivities:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def _template(self, task: ServiceTaskInput) -> DocumentTemplate:
        template_id = task.headers.get("templateId")
        template_name = task.headers.get("templateName")
        if template_id:
            found = await documents.get_template(self._store, template_id)
            what = f"id {template_id!r}"
        elif template_name:
            found = await documents.template_by_name(self._store, template_name)
            what = f"name {template_name!r}"
        else:
            raise _refuse(
                f"{task.element_id}: {GENERATE} needs a 'templateId' or 'templateName' header",
                "BadTaskHeaders",
            )
        if found is None:
            raise _refuse(
                f"{task.element_id}: no document template with {what}", "TemplateNotFound"
            )
        return found

    @activity.defn(name=GENERATE)
    async def generate(self, task: ServiceTaskInput) -> ServiceTaskResult:
        """Render a template with the instance's data and store the document; its id goes
        to the variable the ``resultVariable`` header names."""
        fmt = (task.headers.get("format") or "docx").strip().lower()
        if fmt not in FORMATS:
            raise _refuse(
                f"{task.element_id}: format {fmt!r} is not one of {list(FORMATS)}",
                "BadTaskHeaders",
            )
        result_variable = task.headers.get("resultVariable") or DEFAULT_RESULT_VARIABLE
        template = await self._template(task)
        document_id = _document_id()
        if document_id is not None:
            stored = await documents.get_document(self._store, document_id)
            if stored is not None:  # an earlier attempt got this far
                return ServiceTaskResult(variables={result_variable: stored.id})
        content = await documents.template_content(self._store, template.id)
        if content is None:
            raise _refuse(f"{task.element_id}: template {template.id} vanished", "TemplateNotFound")
        data = await instance_data(self._store, task.process_instance_id, task.variables)
        try:
            output = await asyncio.to_thread(render, content, data, fmt)
        except PdfUnavailable as err:
            raise _refuse(f"{task.element_id}: {err}", "PdfUnavailable") from err
        except RenderFailed as err:
            raise _refuse(f"{task.element_id}: {err}", "DocumentRenderFailed") from err
        # ConversionFailed stays retryable: LibreOffice may have been short of something
        row = await documents.add_document(
            self._store,
            documents.NewDocument(
                id=document_id,
                template_id=template.id,
                format=fmt,
                created_by=f"process:{task.process_instance_id}",
                process_instance_id=task.process_instance_id,
                content=output,
            ),
        )
        _log.info(
            "document %s from template %s for %s", row.id, template.id, task.process_instance_id
        )
        return ServiceTaskResult(variables={result_variable: row.id})
