"""The document generator (/v1/documents and ``baton.documents.generate``): templates
registered and read back, documents rendered from given data and from an instance's data
(given data overriding it), PDF refused cleanly without LibreOffice, large requests
rendered in the background, and a process that generates a document -- over real HTTP,
a real worker and Temporal, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from baton_client.contracts.bpmn import ServiceTaskInput
from docx import Document
from sqlalchemy import update
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import build_activities
from activities.documents import GENERATE, DocumentActivities
from api.main import create_app
from api.openapi import PRIVILEGE_KEY
from baton.worker import build_worker
from core.settings import Settings
from operations.documents import (
    MEDIA_TYPES,
    PDF_UNAVAILABLE,
    merge_data,
    pdf_available,
    template_variables,
)
from store import Store, business_data
from store import documents as document_store
from store.documents import GeneratedDocument
from tests.conftest import EXAMPLES, Stack, make_settings
from tests.support.activities import TEST_ACTIVITIES
from tests.support.http import deploy, eventually, problem

OFFER = EXAMPLES / "templates" / "offer.docx"
DOCX = MEDIA_TYPES["docx"]
JOHN = {"Authorization": "Bearer demo-john"}
TEMPLATES = "/v1/documents/templates"

OFFER_DATA: dict[str, Any] = {
    "client": {"name": "Jan Kowalski & Syn", "address": "ul. Prosta 1, Warszawa"},
    "offer": {
        "number": "OF/2026/0042",
        "product": "Cash loan",
        "amount": "25 000.00",
        "currency": "PLN",
        "validUntil": "2026-12-31",
        "items": [
            {"name": "Loan <principal>", "quantity": 1, "price": "25 000.00"},
            {"name": "Insurance", "quantity": 2, "price": "150.00"},
        ],
    },
    "advisor": "Anna Nowak",
}

OFFER_PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="d" targetNamespace="t">
  <bpmn:process id="offer-review" name="Offer review" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="review" name="Review offer" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

OFFER_LETTER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="offer-letter" name="Offer letter" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="makeOffer" name="Generate the offer">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="baton.documents.generate" />
        <zeebe:taskHeaders>
          <zeebe:header key="templateName" value="offer" />
          <zeebe:header key="resultVariable" value="offerDocument" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:userTask id="send" name="Send the offer" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="makeOffer" />
    <bpmn:sequenceFlow id="f2" sourceRef="makeOffer" targetRef="send" />
    <bpmn:sequenceFlow id="f3" sourceRef="send" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


# -- the stack, with the document generator's router and activity -------------------------


def _generator_registered(store: Store, client: Client) -> bool:
    built = build_activities(store, client, external_tasks=False)
    return any(
        getattr(getattr(a, "__temporal_activity_definition", None), "name", None) == GENERATE
        for a in built
    )


@pytest_asyncio.fixture
async def docs(temporal_env: WorkflowEnvironment, store: Store) -> AsyncIterator[Stack]:
    """conftest's ``stack``, plus /v1/documents and ``baton.documents.generate``."""
    task_queue = f"baton-docs-{uuid.uuid4().hex[:8]}"
    settings = make_settings(temporal_env, str(store.engine.url), task_queue)
    client = temporal_env.client
    extra = [] if _generator_registered(store, client) else [DocumentActivities(store).generate]
    worker = build_worker(client, store, task_queue, [*TEST_ACTIVITIES, *extra])
    app = create_app(settings, client=client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        yield Stack(http=http, client=client, store=store, settings=settings, worker=worker)
    for task in asyncio.all_tasks():
        name = task.get_name()
        if name in ("baton-task-keeper", "baton-message-sweeper") or name.startswith(
            "baton-document-"
        ):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def upload(
    http: httpx.AsyncClient,
    content: bytes,
    name: str = "offer",
    filename: str = "offer.docx",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.post(
        TEMPLATES,
        data={"name": name},
        files={"file": (filename, content, DOCX)},
        headers=headers,
    )


async def offer_template(http: httpx.AsyncClient, name: str = "offer") -> dict[str, Any]:
    answer = await upload(http, OFFER.read_bytes(), name=name)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def text_of(content: bytes) -> str:
    """Everything a reader sees: paragraphs, table cells, footers."""
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [p.text for section in doc.sections for p in section.footer.paragraphs]
    return "\n".join(parts)


def docx_with(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


async def generate(http: httpx.AsyncClient, status: int = 201, **body: Any) -> dict[str, Any]:
    answer = await http.post("/v1/documents", json=body)
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def content_of(http: httpx.AsyncClient, document_id: str) -> bytes:
    answer = await http.get(f"/v1/documents/{document_id}/content")
    assert answer.status_code == 200, answer.text
    return answer.content


# -- templates ---------------------------------------------------------------------------


async def test_a_template_is_registered_listed_and_read_back(docs: Stack) -> None:
    answer = await upload(docs.http, OFFER.read_bytes())
    assert answer.status_code == 201, answer.text
    template = answer.json()
    assert answer.headers["location"] == f"{TEMPLATES}/{template['id']}"
    assert template["name"] == "offer" and template["filename"] == "offer.docx"
    assert template["variables"] == ["advisor", "client", "offer"]
    assert template["size"] == len(OFFER.read_bytes()) and len(template["sha256"]) == 64
    assert template["createdBy"] == "demo"

    other = await upload(
        docs.http, docx_with("Hello {{ person }}"), name="hello", filename="h.docx"
    )
    assert other.json()["variables"] == ["person"]

    listed = (await docs.http.get(TEMPLATES)).json()
    assert [t["name"] for t in listed["items"]] == ["hello", "offer"]  # newest first
    assert (listed["page"], listed["size"], listed["total"]) == (0, 50, 2)
    paged = (await docs.http.get(TEMPLATES, params={"size": 1, "page": 1})).json()
    assert [t["id"] for t in paged["items"]] == [template["id"]] and paged["total"] == 2
    named = (await docs.http.get(TEMPLATES, params={"name": "offer"})).json()
    assert [t["id"] for t in named["items"]] == [template["id"]]

    read = (await docs.http.get(f"{TEMPLATES}/{template['id']}")).json()
    assert read == template
    download = await docs.http.get(f"{TEMPLATES}/{template['id']}/content")
    assert download.status_code == 200
    assert download.headers["content-type"] == DOCX
    assert 'filename="offer.docx"' in download.headers["content-disposition"]
    assert download.content == OFFER.read_bytes()

    # john (a plain user) reads templates but may not register one
    assert (await docs.http.get(TEMPLATES, headers=JOHN)).status_code == 200
    got = await docs.http.get(f"{TEMPLATES}/{template['id']}/content", headers=JOHN)
    assert got.status_code == 200
    refused = problem(await upload(docs.http, OFFER.read_bytes(), headers=JOHN), 403)
    assert refused["privilege"] == "documents:templates"
    refused = problem(
        await docs.http.post(
            "/v1/documents", json={"templateId": template["id"], "data": {}}, headers=JOHN
        ),
        403,
    )
    assert refused["privilege"] == "documents:generate"
    assert (await docs.http.get(TEMPLATES)).json()["total"] == 2  # nothing was added


async def test_uploads_that_are_no_template_are_refused_naming_the_field(docs: Stack) -> None:
    for content in (
        b"hello, I am not a Word document",
        _zip_of({"readme.txt": b"a zip, but no docx"}),
        docx_with("Dear {{ client.name }", "{% for item in %}"),
        docx_with("{%p if offer %}", "no endif"),
    ):
        body = problem(await upload(docs.http, content), 422)
        assert body["errors"][0]["field"] == "file", body
        assert body["detail"].startswith("file: not a usable .docx template"), body
    body = problem(await upload(docs.http, b""), 422)
    assert body["errors"][0]["field"] == "file"
    blank = await upload(docs.http, OFFER.read_bytes(), name="   ")
    assert problem(blank, 422)["errors"][0]["field"] == "name"
    missing_name = await docs.http.post(TEMPLATES, files={"file": ("o.docx", b"x", DOCX)})
    assert problem(missing_name, 422)["errors"][0]["field"] == "name"
    missing_file = await docs.http.post(TEMPLATES, data={"name": "offer"})
    assert problem(missing_file, 422)["errors"][0]["field"] == "file"
    assert (await docs.http.get(TEMPLATES)).json()["total"] == 0


def _zip_of(entries: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


# -- documents ---------------------------------------------------------------------------


async def test_a_document_is_generated_from_given_data(docs: Stack) -> None:
    template = await offer_template(docs.http)
    answer = await docs.http.post(
        "/v1/documents", json={"templateId": template["id"], "data": OFFER_DATA}
    )
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert answer.headers["location"] == f"/v1/documents/{document['id']}"
    assert document["status"] == "done" and document["format"] == "docx"
    assert document["templateId"] == template["id"] and document["mediaType"] == DOCX
    assert document["error"] is None and document["completed"] is not None
    assert document["processInstanceId"] is None and document["createdBy"] == "demo"

    download = await docs.http.get(f"/v1/documents/{document['id']}/content")
    assert download.status_code == 200
    assert download.headers["content-type"] == DOCX
    assert f'filename="{document["id"]}.docx"' in download.headers["content-disposition"]
    assert document["size"] == len(download.content)
    text = text_of(download.content)
    for expected in (
        "Offer OF/2026/0042",
        "Dear Jan Kowalski & Syn,",  # autoescaped into the XML, read back as written
        "Cash loan for a total of 25 000.00 PLN",
        "Loan <principal>",
        "Insurance",
        "150.00 PLN",
        "valid until 2026-12-31",
        "Anna Nowak",
        "Offer OF/2026/0042 for Jan Kowalski & Syn",  # the footer
    ):
        assert expected in text, (expected, text)
    assert "{{" not in text and "{%" not in text

    # read back, by id and in the lists; john may read it
    read = (await docs.http.get(f"/v1/documents/{document['id']}", headers=JOHN)).json()
    assert read == document
    listed = (await docs.http.get("/v1/documents", params={"templateId": template["id"]})).json()
    assert [d["id"] for d in listed["items"]] == [document["id"]] and listed["total"] == 1
    none = (await docs.http.get("/v1/documents", params={"status": "pending"})).json()
    assert none["total"] == 0

    # data a template cannot be rendered with is the caller's mistake, named
    body = problem(
        await docs.http.post(
            "/v1/documents",
            json={"templateId": template["id"], "data": {"client": {"name": "x"}}},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "data" and "'offer' is undefined" in body["detail"]
    assert (await docs.http.get("/v1/documents")).json()["total"] == 1


async def test_unknown_templates_documents_and_instances_are_404(docs: Stack) -> None:
    body = problem(
        await docs.http.post("/v1/documents", json={"templateId": "no-such", "data": {}}), 404
    )
    assert body["field"] == "templateId"
    problem(await docs.http.get(f"{TEMPLATES}/no-such"), 404)
    problem(await docs.http.get(f"{TEMPLATES}/no-such/content"), 404)
    problem(await docs.http.get("/v1/documents/no-such"), 404)
    problem(await docs.http.get("/v1/documents/no-such/content"), 404)
    template = await offer_template(docs.http)
    problem(
        await docs.http.post(
            "/v1/documents",
            json={"templateId": template["id"], "processInstanceId": "no-such-instance"},
        ),
        404,
    )
    body = problem(
        await docs.http.post("/v1/documents", json={"templateId": template["id"], "x": 1}), 422
    )
    assert body["errors"][0]["field"] == "x"
    body = problem(
        await docs.http.post("/v1/documents", json={"templateId": template["id"], "format": "odt"}),
        422,
    )
    assert body["errors"][0]["field"] == "format"


async def test_instance_data_is_used_and_given_data_overrides_it(docs: Stack) -> None:
    deployed = await deploy(docs.http, ("offer-review.bpmn", OFFER_PROCESS))
    assert deployed.status_code == 201, deployed.text
    started = await docs.http.post(
        "/v1/bpms/process-instances",
        json={
            "processDefinitionKey": "offer-review",
            "processData": {
                "client": {"name": "Variable Name", "address": "Variable Street 7"},
                "offer": {"number": "OF/VAR/1", "amount": "100.00", "currency": "PLN"},
                "advisor": "Variable Advisor",
            },
            "businessData": {
                "client": {"name": "Business Name"},
                "offer": {
                    "product": "Mortgage",
                    "items": [{"name": "House loan", "quantity": 1, "price": "100.00"}],
                },
            },
            "waitForWaitState": True,
        },
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["id"]
    template = await offer_template(docs.http)
    document = await generate(
        docs.http,
        templateId=template["id"],
        processInstanceId=instance_id,
        data={"offer": {"amount": "999.00"}, "advisor": "Given Advisor"},
    )
    assert document["processInstanceId"] == instance_id and document["status"] == "done"
    text = text_of(await content_of(docs.http, document["id"]))
    assert "Dear Business Name," in text  # business data over the variables
    assert "Variable Street 7" in text  # … field by field: the address stays
    assert "Mortgage for a total of 999.00 PLN" in text  # given data over both
    assert "House loan" in text and "OF/VAR/1" in text
    assert "Given Advisor" in text and "Variable Advisor" not in text and "100.00 PLN." not in text
    assert "valid until" not in text  # {%p if offer.validUntil %}: the paragraph is left out

    mine = (await docs.http.get("/v1/documents", params={"processInstanceId": instance_id})).json()
    assert [d["id"] for d in mine["items"]] == [document["id"]]


async def test_pdf_needs_libreoffice(docs: Stack) -> None:
    template = await offer_template(docs.http)
    answer = await docs.http.post(
        "/v1/documents", json={"templateId": template["id"], "format": "pdf", "data": OFFER_DATA}
    )
    if pdf_available():
        assert answer.status_code == 201, answer.text
        assert answer.json()["mediaType"] == "application/pdf"
        download = await docs.http.get(f"/v1/documents/{answer.json()['id']}/content")
        assert download.headers["content-type"] == "application/pdf"
        assert download.content.startswith(b"%PDF")
        return
    body = problem(answer, 501)
    assert body["detail"] == PDF_UNAVAILABLE and body["field"] == "format"
    assert (await docs.http.get("/v1/documents")).json()["total"] == 0  # nothing stored


async def test_a_large_request_renders_in_the_background(docs: Stack) -> None:
    template = await offer_template(docs.http)
    items = [
        {"name": f"Position {n}: " + "installment " * 8, "quantity": n, "price": f"{n}.00"}
        for n in range(1, 1201)
    ]
    data = merge_data(OFFER_DATA, {"offer": {"items": items}})
    answer = await docs.http.post(
        "/v1/documents", json={"templateId": template["id"], "data": data}
    )
    assert answer.status_code == 202, answer.text
    pending = answer.json()
    assert pending["status"] == "pending" and pending["size"] is None
    assert answer.headers["location"] == f"/v1/documents/{pending['id']}"

    async def done() -> dict[str, Any] | None:
        body: dict[str, Any] = (await docs.http.get(answer.headers["location"])).json()
        return body if body["status"] != "pending" else None

    document = await eventually(done, timeout=60, what="the document rendered")
    assert document["status"] == "done", document
    content = await content_of(docs.http, document["id"])
    assert document["size"] == len(content)
    table = Document(io.BytesIO(content)).tables[0]
    assert len(table.rows) == 1 + len(items)
    assert table.rows[-1].cells[0].text.startswith("Position 1200: installment")

    # a large request whose rendering fails ends failed, with the reason
    broken = {"offer": {"items": items}}  # no client
    answer = await docs.http.post(
        "/v1/documents", json={"templateId": template["id"], "data": broken}
    )
    assert answer.status_code == 202, answer.text
    failed = await eventually(
        lambda: _settled(docs.http, answer.json()["id"]), timeout=60, what="the failure"
    )
    assert failed["status"] == "failed" and "'client' is undefined" in failed["error"]
    body = problem(await docs.http.get(f"/v1/documents/{failed['id']}/content"), 409)
    assert body["documentStatus"] == "failed"


async def _settled(http: httpx.AsyncClient, document_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] = (await http.get(f"/v1/documents/{document_id}")).json()
    return body if body["status"] != "pending" else None


async def test_a_pending_document_cannot_be_downloaded_and_a_stale_one_fails(
    docs: Stack,
) -> None:
    template = await offer_template(docs.http)
    row = await document_store.add_document(
        docs.store,
        document_store.NewDocument(template_id=template["id"], format="docx", created_by="demo"),
    )
    answer = await docs.http.get(f"/v1/documents/{row.id}/content")
    body = problem(answer, 409)
    assert body["documentStatus"] == "pending" and answer.headers["retry-after"] == "1"
    assert (await docs.http.get(f"/v1/documents/{row.id}")).json()["status"] == "pending"

    # nobody renders it (the API that accepted it stopped): after a while it is failed
    async with docs.store.session() as session, session.begin():
        await session.execute(
            update(GeneratedDocument)
            .where(GeneratedDocument.id == row.id)
            .values(created=datetime.now(UTC) - timedelta(hours=1))
        )
    stale = (await docs.http.get(f"/v1/documents/{row.id}")).json()
    assert stale["status"] == "failed" and "interrupted" in stale["error"]


# -- the built-in activity ---------------------------------------------------------------


async def _stored_offer(store: Store, name: str = "offer") -> document_store.DocumentTemplate:
    content = OFFER.read_bytes()
    return await document_store.add_template(
        store,
        document_store.NewTemplate(
            name=name,
            filename="offer.docx",
            content=content,
            variables=template_variables(content),
            created_by="test",
        ),
    )


def _task(instance_id: str, headers: dict[str, str], **variables: Any) -> ServiceTaskInput:
    return ServiceTaskInput(
        process_instance_id=instance_id,
        element_id="makeOffer",
        business_key=None,
        variables=variables,
        headers=headers,
    )


async def test_the_activity_generates_from_variables_and_business_data(store: Store) -> None:
    await _stored_offer(store, "offer")
    newer = await _stored_offer(store, "offer")  # the same name again: the latest is used
    instance_id = f"instance-{uuid.uuid4().hex[:6]}"
    await business_data.put(
        store, instance_id, {"client": {"name": "Business Name"}}, by="test", replace=True
    )
    generator = DocumentActivities(store)
    task = _task(
        instance_id,
        {"templateName": "offer", "resultVariable": "offerDocument"},
        **merge_data(OFFER_DATA, {"client": {"name": "Variable Name"}}),
    )
    result = await generator.generate(task)
    document_id = result.variables["offerDocument"]
    row = await document_store.get_document(store, document_id)
    assert row is not None and row.status == "done" and row.template_id == newer.id
    assert row.process_instance_id == instance_id and row.created_by == f"process:{instance_id}"
    content = await document_store.document_content(store, document_id)
    assert content is not None
    text = text_of(content)
    assert "Dear Business Name," in text and "ul. Prosta 1, Warszawa" in text
    assert "Variable Name" not in text

    # by id, default result variable; a retried attempt finds what the first one stored
    env = ActivityEnvironment()
    by_id = _task(instance_id, {"templateId": newer.id}, **OFFER_DATA)
    first = await env.run(generator.generate, by_id)
    again = await env.run(generator.generate, by_id)
    assert list(first.variables) == ["documentId"] and first.variables == again.variables
    page = await document_store.page_documents(
        store, document_store.DocumentFilter(process_instance_id=instance_id), page=0, size=10
    )
    assert page.total == 2

    # what cannot succeed on a retry is not retried
    for headers, kind in (
        ({"templateName": "no-such"}, "TemplateNotFound"),
        ({"templateId": "no-such"}, "TemplateNotFound"),
        ({}, "BadTaskHeaders"),
        ({"templateId": newer.id, "format": "odt"}, "BadTaskHeaders"),
    ):
        with pytest.raises(ApplicationError) as refused:
            await generator.generate(_task(instance_id, headers, **OFFER_DATA))
        assert refused.value.type == kind and refused.value.non_retryable, headers
    with pytest.raises(ApplicationError) as refused:
        await generator.generate(_task("elsewhere", {"templateId": newer.id}))
    assert refused.value.type == "DocumentRenderFailed" and refused.value.non_retryable
    assert "'offer' is undefined" in refused.value.message
    if not pdf_available():
        with pytest.raises(ApplicationError) as refused:
            await generator.generate(_task(instance_id, {"templateId": newer.id, "format": "pdf"}))
        assert refused.value.type == "PdfUnavailable" and refused.value.non_retryable


async def test_a_process_generates_a_document(docs: Stack) -> None:
    template = await offer_template(docs.http, name="offer")
    assert (await deploy(docs.http, ("offer-letter.bpmn", OFFER_LETTER))).status_code == 201
    started = await docs.http.post(
        "/v1/bpms/process-instances",
        json={
            "processDefinitionKey": "offer-letter",
            "processData": OFFER_DATA,
            "businessData": {"offer": {"amount": "31 000.00"}},
            "waitForWaitState": True,
        },
    )
    assert started.status_code == 201, started.text
    instance = started.json()
    assert [a["activityId"] for a in instance["currentActivities"]] == ["send"], instance
    variables = (
        await docs.http.get(f"/v1/bpms/process-instances/{instance['id']}/variables")
    ).json()
    document_id = variables["processData"]["offerDocument"]
    document = (await docs.http.get(f"/v1/documents/{document_id}")).json()
    assert document["status"] == "done" and document["templateId"] == template["id"]
    assert document["processInstanceId"] == instance["id"]
    text = text_of(await content_of(docs.http, document_id))
    assert "31 000.00 PLN" in text and "Dear Jan Kowalski & Syn," in text


# -- the contract ------------------------------------------------------------------------


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def test_the_documents_api_is_described() -> None:
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    schema = app.openapi()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/v1/documents")}
    assert len([op for ops in paths.values() for op in ops]) == 8
    schemas = schema["components"]["schemas"]
    names = _refs(paths) - {"Problem"}
    while True:  # schemas the documents' schemas refer to
        more = _refs([schemas[n] for n in names]) - {"Problem"} - names
        if not more:
            break
        names |= more
    assert {"TemplateOut", "DocumentOut", "GenerateDocumentIn"} <= names
    undescribed = [
        f"{name}.{prop}"
        for name in sorted(names)
        for prop, spec in schemas[name].get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undescribed == []
    privileges = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            errors = {k for k in operation["responses"] if k[0] in "45"}
            assert {"401", "403", "429"} <= errors and errors - {"401", "403", "429", "503"}
            privileges[(method, path)] = operation[PRIVILEGE_KEY]
    assert privileges[("post", TEMPLATES)] == "documents:templates"
    assert privileges[("post", "/v1/documents")] == "documents:generate"
    assert {p for (m, _), p in privileges.items() if m == "get"} == {"documents:read"}


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_documents_route_needs_credentials_and_its_privilege(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"walk-{uuid.uuid4().hex[:6]}")
    prod = settings.model_copy(update={"env": "prod"})
    bare = settings.model_copy(update={"role_privileges": {"admin": ["*"]}})
    for variant, headers, status in ((prod, {}, 401), (bare, JOHN, 403)):
        app = create_app(variant, client=temporal_env.client, store=store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
            for template, operations in app.openapi()["paths"].items():
                if not template.startswith("/v1/documents"):
                    continue
                path = re.sub(r"\{[^}]+\}", "x-1", template)
                for method, operation in operations.items():
                    answer = await http.request(method.upper(), path, json={}, headers=headers)
                    assert answer.status_code == status, (method, template, answer.text)
                    if status == 403:
                        assert answer.json()["privilege"] == operation[PRIVILEGE_KEY]
