"""``baton semantics audit`` and ``rules`` against a real dev server.

The audit runs on a dev server of its own: the session's server holds whatever other
tests left running, and the counts here must be exact. Instances are started by a plain
Temporal client on a queue no worker polls, so they stay running with exactly the
search attributes given (the interpreter does not write its epoch yet).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from baton.cli import app
from baton.semantics_audit import Audit, audit
from core.devserver import SPEED_FLAGS, temporal_binary
from core.settings import get_settings
from tests.support.http import eventually
from workflows import semantics


@pytest_asyncio.fixture(scope="module")
async def own_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=sa.ALL,
        dev_server_extra_args=SPEED_FLAGS,
    )
    yield env
    await env.shutdown()


async def _start(client: Client, workflow: str, epoch: int | None) -> str:
    pairs: list[SearchAttributePair[Any]] = [SearchAttributePair(sa.PROCESS_KEY, "audit")]
    if epoch is not None:
        pairs.append(SearchAttributePair(sa.SEMANTICS_EPOCH, epoch))
    handle = await client.start_workflow(
        workflow,
        id=f"audit-{uuid.uuid4().hex[:8]}",
        task_queue="no-worker-polls-this",
        search_attributes=TypedSearchAttributes(pairs),
    )
    return handle.id


def _cli(address: str, *args: str) -> tuple[int, list[str]]:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["semantics", *args], env={"BATON_TEMPORAL_ADDRESS": address}
        )
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output.strip().splitlines()


async def test_audit_counts_running_instances_by_epoch(own_server: WorkflowEnvironment) -> None:
    client = own_server.client
    address = client.service_client.config.target_host
    current = semantics.CURRENT_EPOCH
    _, lines = await asyncio.to_thread(_cli, address, "audit")
    assert lines[-1] == (
        f"semantics: 0 running below epoch {current}: the old branches of "
        f"{len(semantics.RULES)} rules (epoch <= {current}) may be deleted"
    )

    # two from before epoch 3 (no attribute), one at epoch 3, one from a newer worker;
    # one at epoch 3 that is closed; a LetsFlow run that does not count
    old = [await _start(client, "BpmnProcess", None) for _ in range(2)]
    await _start(client, "BpmnProcess", 3)
    await _start(client, "BpmnProcess", current + 1)
    closed = await _start(client, "BpmnProcess", 3)
    await client.get_workflow_handle(closed).terminate("done")
    await _start(client, "LetsflowProcess", None)

    async def settled() -> Audit | None:
        found = await audit(client)
        counts = [(row.running, row.closed) for row in found.rows]
        between = [(0, 0)] * (current - 3)  # epochs 4 .. current: none here
        return found if counts == [(2, 0), (1, 1), *between, (1, 0)] else None

    found = await eventually(settled, what="visibility to count the new runs")
    assert [row.label for row in found.rows] == [
        "below 3 (not recorded)",
        "3",
        *(str(n) for n in range(4, current + 1)),
        f"above {current} (newer workers)",
    ]
    code, lines = await asyncio.to_thread(_cli, address, "audit", "--below", "3")
    assert code == 0, lines
    assert lines[1].split() == ["epoch", "running", "closed"]
    assert lines[2].split() == ["below", "3", "(not", "recorded)", "2", "0"]
    assert lines[3].split() == ["3", "1", "1"]
    assert lines[-1] == "semantics: 2 running below epoch 3: keep every rule's old branch"
    # below 4 counts epoch 3 too; not-recorded runs count below any epoch
    code, lines = await asyncio.to_thread(_cli, address, "audit", "--below", "4")
    assert lines[-1] == "semantics: 3 running below epoch 4: keep every rule's old branch"

    # the old runs end (terminated here; in production, they finish or continue as new
    # at the current epoch): epoch 3's rules and all older ones may lose their old branch
    for workflow_id in old:
        await client.get_workflow_handle(workflow_id).terminate("done")

    async def drained() -> Audit | None:
        found = await audit(client, below=3)
        return found if found.running_below() == 0 else None

    await eventually(drained, what="the old runs to close")
    code, lines = await asyncio.to_thread(_cli, address, "audit", "--below", "3")
    assert code == 0, lines
    assert lines[-2] == (
        "note: 2 closed executions below epoch 3 are still in retention; "
        "queries and resets replay them until it removes them"
    )
    assert lines[-1].endswith(
        f"the old branches of {len(semantics.retirable(3))} rules (epoch <= 3) may be deleted"
    )
    code, lines = await asyncio.to_thread(_cli, address, "audit", "--below", "4")
    assert lines[-1] == "semantics: 1 running below epoch 4: keep every rule's old branch"
    code, lines = await asyncio.to_thread(_cli, address, "audit", "--below", "4", "--json")
    document = json.loads("\n".join(lines))
    assert code == 0 and document["below"] == 4 and document["runningBelow"] == 1
    assert {row["label"]: row["closed"] for row in document["rows"]}["below 3 (not recorded)"] == 2


async def test_audit_without_a_server_says_so() -> None:
    code, lines = await asyncio.to_thread(_cli, "127.0.0.1:9", "audit")
    assert code == 3  # unreachable (README, "The CLI")
    assert lines[-1].startswith("baton: cannot reach Temporal")


def test_rules_lists_every_rule() -> None:
    result = CliRunner().invoke(app, ["semantics", "rules"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == (
        f"rules: {len(semantics.RULES)} in {semantics.CURRENT_EPOCH} epochs; "
        f"new runs record {semantics.EPOCHS[-1]}"
    )
    for rule in semantics.RULES:
        assert any(
            line.split()[:3] == [str(rule.epoch), rule.marker, rule.fixture] for line in lines
        ), rule


def test_rules_as_json() -> None:
    result = CliRunner().invoke(app, ["semantics", "rules", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["currentEpoch"] == semantics.CURRENT_EPOCH
    assert [r["marker"] for r in document["rules"]] == [r.marker for r in semantics.RULES]
