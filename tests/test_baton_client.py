"""The client package, ``baton-client`` (clients/python): the contracts and typed helpers
an SDK user installs without the server.

* installed alone into a fresh virtual environment (temporalio and pydantic only: no
  FastAPI, SQLAlchemy or Baton server package there), it drives a process on the running
  stack from a separate Python process;
* its helpers wait for the wait state rather than finding an empty instance, and a
  refused command is ``Rejected`` with the workflow's reason, carried by a non-retryable
  application error.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from baton_client import BatonClient, Rejected
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from tests.conftest import ROOT, Stack
from tests.support.bpmn import diagram, end, flows, message_catch, start, user
from tests.support.http import deploy

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

CLIENT = ROOT / "clients" / "python"
BODY = (
    start()
    + user("approve", assignee=None, name="Approve")
    + message_catch("paid", "m_paid")
    + end()
    + flows("s>approve", "approve>paid", "paid>e")
)
TOP = '<bpmn:message id="m_paid" name="payment-received"/>'

#: what the fresh environment runs: only the client package's imports
SCRIPT = """
import asyncio, json, sys
from baton_client import BatonClient, Rejected
from baton_client.contracts import bpmn as c

async def main() -> None:
    address, queue, ref = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    baton = await BatonClient.connect(address, task_queue=queue)
    instance = await baton.start(c.DefinitionRef(**ref), {"amount": 5}, business_key="B-1")
    [task] = await baton.open_tasks(instance)
    await baton.complete_task(instance, task.id, {"approved": True})
    try:
        await baton.complete_task(instance, task.id)
    except Rejected as err:
        again = err.reason
    view = await baton.wait_for_wait_state(instance)
    await baton.correlate(instance, "payment-received", variables={"paid": 5})
    result = await baton.result(instance)
    print(json.dumps({"task": task.element_id, "again": again,
                      "waiting": view.waiting_messages, "state": result.state,
                      "variables": result.variables}))

asyncio.run(main())
"""


async def _definition(stack: Stack) -> dict[str, Any]:
    deployed = await deploy(stack.http, diagram("client-demo", BODY, top=TOP))
    assert deployed.status_code == 201, deployed.text
    d = deployed.json()["definitions"][0]
    return {"key": d["key"], "version": d["version"], "sha256": d["sha256"]}


def _fresh_env(where: Path) -> Path:
    """A new virtual environment with the client package installed, nothing else."""
    source = where / "client-src"
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    return python


async def test_the_package_alone_drives_a_process(stack: Stack, tmp_path: Path) -> None:
    ref = await _definition(stack)
    python = await asyncio.to_thread(_fresh_env, tmp_path)
    for server_module in ("fastapi", "sqlalchemy", "api", "workflows", "baton"):
        probe = subprocess.run(
            [str(python), "-c", f"import {server_module}"], capture_output=True, cwd=tmp_path
        )
        assert probe.returncode != 0, f"{server_module} is importable beside the client"
    address = stack.client.service_client.config.target_host
    ran = await asyncio.to_thread(
        subprocess.run,
        [str(python), "-c", SCRIPT, address, stack.settings.task_queue, json.dumps(ref)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout.strip().splitlines()[-1])
    assert out["task"] == "approve"
    assert out["again"] in ("TaskNotFound", "TaskNotActive")
    assert out["waiting"] == ["payment-received"]
    assert out["state"] == "COMPLETED"
    assert out["variables"] == {"amount": 5, "approved": True, "paid": 5}


async def test_helpers_wait_and_refusals_are_typed_and_final(stack: Stack) -> None:
    ref = await _definition(stack)
    baton = BatonClient(stack.client, task_queue=stack.settings.task_queue)
    instance = await baton.start(c.DefinitionRef(**ref), instance_id=f"c-{uuid.uuid4()}")
    first = await baton.state(instance)
    # right after the start the instance may still load its definition: it says so
    assert first.ready or (first.active == [] and first.tasks == [])
    view = await baton.wait_for_wait_state(instance)
    assert view.ready and [t.element_id for t in view.tasks] == ["approve"]
    with pytest.raises(Rejected) as refused:
        await baton.correlate(instance, "payment-received")
    assert refused.value.reason == c.Rejection.MESSAGE_NOT_CORRELATED
    failure = refused.value.__cause__
    assert isinstance(failure, WorkflowUpdateFailedError)
    assert isinstance(failure.cause, ApplicationError) and failure.cause.non_retryable
    with pytest.raises(Rejected) as unknown:
        await baton.complete_task(instance, "no-such-task")
    assert unknown.value.reason == c.Rejection.TASK_NOT_FOUND
    assert (await baton.state(instance)).tasks[0].state == c.TaskState.CREATED  # unchanged
