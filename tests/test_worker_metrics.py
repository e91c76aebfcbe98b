"""The worker's metrics endpoint: the Temporal SDK's own series and Baton's read-model lag,
served by the SDK's Prometheus exporter on ``BATON_WORKER_METRICS_PORT`` after a
process ran on that worker (real Temporal dev server, SQLite)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from baton_client.contracts import bpmn as c
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from baton.worker import build_worker, metrics_runtime
from core.temporal_client import connect
from store import Store
from tests.conftest import make_settings
from tests.support.activities import TEST_ACTIVITIES
from tests.support.bpmn import diagram, end, flows, service, start
from tests.support.http import deploy, eventually
from tests.support.ports import free_port

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])


async def test_the_worker_serves_sdk_metrics_and_read_model_lag(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    port = free_port()
    settings = make_settings(temporal_env, str(store.engine.url), f"wm-{uuid.uuid4().hex[:8]}")
    settings = settings.model_copy(update={"worker_metrics_port": port})
    assert metrics_runtime(settings.model_copy(update={"worker_metrics_port": 0})) is None
    client = await connect(settings, runtime=metrics_runtime(settings))
    worker = build_worker(client, store, settings.task_queue, TEST_ACTIVITIES)
    app = create_app(settings, client=temporal_env.client, store=store)
    body = start() + service("count", "test.increment") + end() + flows("s>count", "count>e")
    async with (
        worker,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await deploy(http, diagram("metered", body))).status_code == 201
        started = await http.post(
            "/v1/bpms/process-instances", json={"processDefinitionKey": "metered"}
        )
        instance = started.json()["id"]
        handle = temporal_env.client.get_workflow_handle(instance, result_type=c.ProcessResult)
        assert (await handle.result()).variables["count"] == 1

        async def scraped() -> dict[str, float] | None:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            samples = {
                s.name: s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
                if not s.labels.get("le")
            }
            return samples if samples.get("baton_read_model_lag_count", 0) >= 1 else None

        samples = await eventually(scraped, what="the worker's metrics", timeout=20)
        assert any(name.startswith("temporal_workflow_completed") for name in samples), samples
        assert any(name.startswith("temporal_activity_execution") for name in samples), samples
        assert 0 <= samples["baton_read_model_lag_sum"] < 60
