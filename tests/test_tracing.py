"""One trace from a REST call, through the workflow update it makes, to the activity the
workflow runs next: FastAPI's instrumentation and Temporal's TracingInterceptor on a real
stack (Temporal dev server, worker, SQLite), spans caught by an in-memory exporter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from baton_client.contracts import bpmn as c
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from baton.worker import build_worker
from core import tracing
from store import Store
from tests.conftest import make_settings
from tests.support.activities import TEST_ACTIVITIES
from tests.support.bpmn import diagram, end, flows, service, start, user
from tests.support.http import deploy, eventually

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


@dataclass
class Traced:
    http: httpx.AsyncClient
    client: Client
    spans: InMemorySpanExporter


#: OpenTelemetry takes one global provider per process: this module's, made once
EXPORTER = InMemorySpanExporter()
PROVIDER = tracing.install("baton-test", SimpleSpanProcessor(EXPORTER))


@pytest_asyncio.fixture
async def traced(temporal_env: WorkflowEnvironment, store: Store) -> AsyncIterator[Traced]:
    exporter, provider = EXPORTER, PROVIDER
    task_queue = f"traced-{uuid.uuid4().hex[:8]}"
    settings = make_settings(temporal_env, str(store.engine.url), task_queue)
    base = temporal_env.client
    client = Client(
        base.service_client,
        namespace=base.namespace,
        data_converter=base.data_converter,
        plugins=tracing.temporal_plugins(provider),
    )
    worker = build_worker(client, store, task_queue, TEST_ACTIVITIES)
    app = create_app(settings, client=client, store=store, tracer_provider=provider)
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield Traced(http, client, exporter)


def _trace_of(spans: tuple[ReadableSpan, ...], trace_id: int) -> list[str]:
    return [s.name for s in spans if s.context is not None and s.context.trace_id == trace_id]


async def test_a_rest_call_traces_through_the_update_to_the_activity(traced: Traced) -> None:
    body = start() + user("review") + service("count", "test.increment") + end()
    body += flows("s>review", "review>count", "count>e")
    assert (await deploy(traced.http, diagram("traced", body))).status_code == 201
    started = await traced.http.post(
        "/v1/bpms/process-instances", json={"processDefinitionKey": "traced"}
    )
    instance = started.json()["id"]

    async def task_id() -> str | None:
        page = await traced.http.get("/v1/bpms/tasks", params={"processInstanceId": instance})
        items = page.json()["items"]
        return str(items[0]["id"]) if items else None

    task = await eventually(task_id, what="the review task")
    traced.spans.clear()
    done = await traced.http.post(f"/v1/bpms/tasks/{task}/complete", json={})
    assert done.status_code == 200, done.text
    handle = traced.client.get_workflow_handle(instance, result_type=c.ProcessResult)
    assert (await handle.result()).variables["count"] == 1

    spans = traced.spans.get_finished_spans()
    [request] = [
        s
        for s in spans
        if s.name == "POST /v1/bpms/tasks/{task_id}/complete" and s.kind.name == "SERVER"
    ]
    assert request.context is not None
    names = _trace_of(spans, request.context.trace_id)
    print(
        "NAMES",
        [
            (
                s.name,
                hex(s.context.trace_id)[-6:],
                s.parent and hex(s.parent.span_id)[-6:],
                hex(s.context.span_id)[-6:],
            )
            for s in spans
        ],
    )
    assert any(n.startswith("StartWorkflowUpdate:") for n in names), names  # the client call
    assert any(n.startswith("HandleUpdate:") for n in names), names  # the workflow's handler
    assert "RunActivity:test.increment" in names, names  # the service task it led to
