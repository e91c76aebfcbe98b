"""LetsFlow ``after`` transitions are Temporal timers: under time skipping, a quote nobody
answers for ten days ends rejected, with nobody waiting ten days. Runs the real
``LetsflowProcess`` workflow on a time-skipping (v2) dev server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from baton_client.contracts import letsflow as lc
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

import letsflow as engine
from baton.worker import build_worker
from core.devserver import SPEED_FLAGS, temporal_binary
from store import Store, letsflow
from tests.letsflow.corpus import LETSFLOW, needs_corpus

pytestmark = needs_corpus

TIME_SKIPPING = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]


@pytest_asyncio.fixture(scope="module")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[*SPEED_FLAGS, *TIME_SKIPPING],
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'baton.db'}")
    await store.init_schema()
    yield store
    await store.dispose()


async def _step(handle: Any, action: str, actor: str, response: Any) -> lc.StepResult:
    result: lc.StepResult = await handle.execute_update(
        lc.STEP,
        lc.StepCommand(action=action, actor={"key": actor}, response=response, has_response=True),
        result_type=lc.StepResult,
    )
    assert not result.skipped, result.errors
    return result


async def test_an_unanswered_quote_is_rejected_after_ten_days(
    skipping_env: WorkflowEnvironment, sqlite_store: Store
) -> None:
    normalized = engine.normalize(engine.load_yaml((LETSFLOW / "quote.yaml").read_text()))
    scenario_id = engine.scenario_id(normalized)
    await letsflow.put_scenario(sqlite_store, scenario_id, normalized)
    queue = f"lf-timeouts-{uuid.uuid4().hex[:6]}"
    process_id = str(uuid.uuid4())
    client = skipping_env.client
    async with build_worker(client, sqlite_store, queue, external_tasks=False):
        handle = await client.start_workflow(
            lc.WORKFLOW_NAME,
            lc.ProcessStart(process_id=process_id, scenario_id=scenario_id),
            id=process_id,
            task_queue=queue,
        )
        await _step(
            handle,
            "request",
            "customer",
            {
                "company": "Acme",
                "contact": "Alice",
                "address": "1 Main St",
                "email": "a@example.com",
                "requirements": "X",
            },
        )
        quoted = await _step(handle, "create_quote", "sales", "https://example.com/quote.pdf")
        assert quoted.process["current"]["key"] == "quoted"
        assert engine.next_timeout(quoted.process) == 10 * 24 * 3600

        await skipping_env.fast_forward(handle, timedelta(days=10, minutes=1))
        final: dict[str, Any] = await handle.result()
    assert final["current"]["key"] == "(rejected)" and final["isRunning"] is False
    assert final["current"]["description"] == "The customer has not responded to the quote."
    timeout_event = final["events"][-1]
    assert "action" not in timeout_event and "scenario" not in timeout_event  # a timeout
    started = engine.parse_timestamp(final["events"][0]["timestamp"])
    fired = engine.parse_timestamp(timeout_event["timestamp"])
    assert fired - started >= timedelta(days=10)  # virtual time, skipped
    row = await letsflow.get_process(sqlite_store, process_id)
    assert row is not None and row.state == "(rejected)" and row.is_running is False


@pytest.mark.parametrize("stay", [True])
async def test_a_step_that_stays_keeps_the_timer(
    skipping_env: WorkflowEnvironment, sqlite_store: Store, stay: bool
) -> None:
    scenario = {
        "title": "Reminder",
        "actions": {"poke": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "poke", "goto": None},
                    {"after": "2 days", "goto": "(expired)"},
                ]
            }
        },
    }
    normalized = engine.normalize(scenario)
    scenario_id = engine.scenario_id(normalized)
    await letsflow.put_scenario(sqlite_store, scenario_id, normalized)
    queue = f"lf-stay-{uuid.uuid4().hex[:6]}"
    process_id = str(uuid.uuid4())
    client = skipping_env.client
    async with build_worker(client, sqlite_store, queue, external_tasks=False):
        handle = await client.start_workflow(
            lc.WORKFLOW_NAME,
            lc.ProcessStart(process_id=process_id, scenario_id=scenario_id),
            id=process_id,
            task_queue=queue,
        )
        await skipping_env.fast_forward(handle, timedelta(days=1, hours=12))
        if stay:
            await _step(handle, "poke", "actor", None)
        await skipping_env.fast_forward(handle, timedelta(hours=13))
        final: dict[str, Any] = await handle.result()
    assert final["current"]["key"] == "(expired)"
    started = engine.parse_timestamp(final["events"][0]["timestamp"])
    expired = engine.parse_timestamp(final["events"][-1]["timestamp"])
    # the poke after 1.5 days did not restart the 2-day timer
    assert timedelta(days=2) <= expired - started < timedelta(days=2, hours=1)
