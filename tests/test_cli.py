"""``baton`` as a pipeline runs it: a real process, exit codes, one-line errors; and the
README's five steps driven from the shell against a real API on a real port."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser import serve_api
from tests.conftest import EXAMPLES, ROOT, Stack
from tests.support.bpmn import document
from tests.support.ports import free_port

BATON = str(Path(sys.executable).parent / "baton")
BROKEN = document('<bpmn:startEvent id="s"/>\n<bpmn:serviceTask id="Task_broken"/>')
#: no isExecutable: compiles, with the warning is-executable-missing
WARNED = document('<bpmn:startEvent id="s"/>').replace(' isExecutable="true"', "")


def baton(*args: str, api: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BATON_API")}
    if api is not None:
        environment["BATON_API_URL"] = api
    environment.update(env)
    return subprocess.run(
        [BATON, *args], capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exactly one line on stderr, ``baton: …``, and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("baton: "), result.stderr
    return lines[0]


# ------------------------------------------------------------------ compile


def test_compile_fails_on_a_folder_with_a_broken_diagram(tmp_path: Path) -> None:
    (tmp_path / "good.bpmn").write_bytes((EXAMPLES / "invoice-approval.bpmn").read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.bpmn").write_text(BROKEN)
    result = baton("compile", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "compile: 1 ok, 1 with errors, 0 crashed"
    [error] = [line for line in lines if line.startswith("error ")]
    assert "broken.bpmn:6: missing-implementation [serviceTask Task_broken]" in error
    # the same folder without the broken file passes
    (tmp_path / "sub" / "broken.bpmn").unlink()
    assert baton("compile", str(tmp_path)).returncode == 0


def test_warnings_fail_the_run_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "warned.bpmn").write_text(WARNED)
    plain = baton("compile", str(tmp_path))
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "(1 warnings)" in plain.stdout
    strict = baton("compile", "--warnings-as-errors", str(tmp_path))
    assert strict.returncode == 1
    assert strict.stdout.strip().splitlines()[-1] == "compile: 1 ok, 0 with errors, 0 crashed"


def test_compile_json_has_every_diagnostic_and_the_counts(tmp_path: Path) -> None:
    (tmp_path / "broken.bpmn").write_text(BROKEN)
    (tmp_path / "warned.bpmn").write_text(WARNED)
    result = baton("compile", "--json", str(tmp_path))
    assert result.returncode == 1
    body = json.loads(result.stdout)  # stdout is one JSON document; the summary is on stderr
    assert result.stderr.strip() == "compile: 1 ok, 1 with errors, 0 crashed"
    assert body["summary"] == {
        "files": 2,
        "ok": 1,
        "with_errors": 1,
        "crashed": 0,
        "with_warnings": 1,
        "errors": 1,
        "warnings": 1,
        "failed": True,
    }
    by_file = {Path(r["file"]).name: r for r in body["results"]}
    [error] = by_file["broken.bpmn"]["diagnostics"]
    assert (error["code"], error["element_id"], error["line"], error["severity"]) == (
        "missing-implementation",
        "Task_broken",
        6,
        "error",
    )
    assert error["message"]
    [warning] = by_file["warned.bpmn"]["diagnostics"]
    assert warning["code"] == "is-executable-missing" and warning["severity"] == "warning"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = baton("compile", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert one_line_error(missing) == f"baton: no such file or folder: {tmp_path / 'nowhere'}"
    assert baton("compile").returncode == 2  # no path at all: click's usage error
    bad_var = baton("start", "invoice-approval", "--var", "no-equals-sign")
    assert bad_var.returncode == 2
    assert "expected NAME=VALUE" in one_line_error(bad_var)


# ------------------------------------------------------------ one-line errors


def test_a_bad_feel_tck_line_is_one_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "expression": "1 + 1", "expected": 2}\n{"id": "b", oops\n')
    result = baton("feel-tck", str(cases))
    assert result.returncode == 1
    assert one_line_error(result).startswith(f"baton: {cases}:2: not JSON")
    cases.write_text('{"id": "a", "expression": "1 + 1"}\n')
    assert "the case has no expected" in one_line_error(baton("feel-tck", str(cases)))
    cases.write_text('{"id": "a", "expression": "1 + 1", "expected": 2}\n')
    good = baton("feel-tck", "--json", str(cases))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["passed"] == 1


def test_conformance_and_dmn_tck_on_an_empty_folder_fail(tmp_path: Path) -> None:
    conformance = baton("conformance", str(tmp_path))
    assert conformance.returncode == 1
    assert "no conformance cases" in one_line_error(conformance)
    assert "0 passed" not in conformance.stdout
    dmn = baton("dmn-tck", str(tmp_path))
    assert dmn.returncode == 1
    assert "no DMN TCK test files" in one_line_error(dmn)


def test_an_unreachable_api_is_one_line_and_exit_3() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for args in (["tasks"], ["instances", "--json"], ["deploy", "examples/invoice-approval.bpmn"]):
        result = baton(*args, api=closed)
        assert result.returncode == 3, (args, result.stderr)
        assert one_line_error(result) == (
            f"baton: cannot reach the API at {closed}: connection refused"
        )


# ------------------------------------------------------- against a running API


async def run(api: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``baton`` in a thread: the API and the worker share this test's event loop."""
    return await asyncio.to_thread(baton, *args, api=api)


async def eventually(api: str, *args: str, until: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await run(api, *args, "--json")
        assert result.returncode == 0, result.stderr
        body = json.loads(result.stdout)
        if until(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_the_readme_example_from_the_shell(stack: Stack) -> None:
    async with serve_api(stack) as api:
        # 1. deploy
        deployed = await run(api, "deploy", "examples/invoice-approval.bpmn")
        assert deployed.returncode == 0, deployed.stderr
        assert "deployed invoice-approval v1  (invoice-approval.bpmn)" in deployed.stdout
        # 2. start with variables (JSON values where they parse) and a business key
        started = await run(
            api,
            "start",
            "invoice-approval",
            "--business-key",
            "INV-1",
            "--var",
            "approver=john",
            "--var",
            "amount=120",
            "--var",
            'meta={"channel": "email"}',
        )
        assert started.returncode == 0, started.stderr
        first = started.stdout.splitlines()[0]
        assert first.startswith("started ") and "invoice-approval v1 business key INV-1" in first
        instance_id = first.split()[1].rstrip(":")
        # 3. john's task appears once the service task ran
        page = await eventually(api, "tasks", "--assignee", "john", until=lambda b: b["items"])
        [task] = page["items"]
        assert task["processInstanceId"] == instance_id and task["name"] == "Approve invoice"
        table = await run(api, "tasks", "--assignee", "john")
        assert table.returncode == 0
        header, row = table.stdout.strip().splitlines()
        assert header.split()[:3] == ["ID", "TASK", "INSTANCE"]
        assert row.startswith(task["id"]) and instance_id in row and "INV-1" in row
        # 4. complete it with a variable
        completed = await run(api, "complete", task["id"], "--var", "approved=true")
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.strip() == f"completed {task['id']} (instance {instance_id})"
        # 5. the instance ended with its variables, typed
        detail = (await stack.http.get(f"/v1/bpms/process-instances/{instance_id}")).json()
        assert detail["state"] == "COMPLETED"
        data = detail["processData"]
        assert (data["approver"], data["amount"], data["approved"]) == ("john", 120, True)
        assert data["meta"] == {"channel": "email"}
        ended = await eventually(
            api,
            "instances",
            "--key",
            "invoice-approval",
            "--state",
            "completed",
            until=lambda b: b["items"],
        )
        assert [i["id"] for i in ended["items"]] == [instance_id]
        listed = await run(api, "instances", "--business-key", "INV-1")
        assert instance_id in listed.stdout and "COMPLETED" in listed.stdout
        assert (await run(api, "tasks", "--assignee", "john")).stdout.strip() == "no open tasks"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_refusals_print_the_problem(stack: Stack, tmp_path: Path) -> None:
    async with serve_api(stack) as api:
        unknown = await run(api, "start", "no-such-process")
        assert unknown.returncode == 1
        line = one_line_error(unknown)
        assert line.startswith("baton: POST /v1/bpms/process-instances: 404 Not Found: ")
        assert "no-such-process" in line
        broken = tmp_path / "broken.bpmn"
        broken.write_text(BROKEN)
        refused = await run(api, "deploy", str(broken), str(EXAMPLES / "invoice-approval.bpmn"))
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        first, *diagnostics = refused.stderr.strip().splitlines()
        assert first.startswith("baton: POST /v1/bpms/deployments: 400 Bad Request")
        assert any(
            "broken.bpmn:6: error missing-implementation [serviceTask Task_broken]" in d
            for d in diagnostics
        ), refused.stderr
        # all or nothing: the good file was not deployed either
        assert (await stack.http.get("/v1/bpms/process-definitions")).json()["items"] == []
        as_json = await run(api, "deploy", "--json", str(EXAMPLES / "order-review-zeebe.bpmn"))
        assert as_json.returncode == 0
        assert [d["key"] for d in json.loads(as_json.stdout)["definitions"]] == ["order-review"]
        # outside dev mode a missing token is named with what to do about it
        forbidden = await asyncio.to_thread(
            baton, "tasks", api=api, BATON_API_TOKEN="not-a-real-token"
        )
        assert forbidden.returncode == 1
        assert "401" in one_line_error(forbidden) and "BATON_API_TOKEN" in forbidden.stderr
