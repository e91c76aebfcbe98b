"""``/engine-rest/external-task`` driven by Camunda's own, unmodified workers: the PyPI
``camunda-external-task-client-python3`` and the npm ``camunda-external-task-client-js``
(``tests/camunda_js``), over real HTTP (uvicorn on a port) against the real worker and
Temporal dev server. Auth as the clients send it: HTTP Basic (Python ``auth_basic``, JS
``BasicAuthInterceptor``) with an API key holding only ``bpms:service-task:work`` as the
password, so the privilege of ``/v1/bpms/service-tasks`` is the one enforced."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from camunda.client.external_task_client import ExternalTaskClient
from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

from api.main import create_app
from tests.conftest import BPMN_DIR, Stack
from tests.support.driver import Baton
from tests.support.http import deploy, eventually
from tests.support.serving import serve_app

CREDIT = BPMN_DIR / "credit-check.bpmn"
TOPIC = "crm.credit-check"
WORKER = "orders-worker"  # the API key's name: the Basic user
JS_DIR = Path(__file__).parent / "camunda_js"
INSTANCES = "/v1/bpms/process-instances"
EXT = "/engine-rest/external-task"


@dataclass(frozen=True)
class Engine:
    url: str  # the clients' base URL: http://127.0.0.1:<port>/engine-rest
    key: str  # an API key that may only work service tasks: the Basic password

    @property
    def basic(self) -> dict[str, str]:
        return {"username": WORKER, "password": self.key}


@pytest_asyncio.fixture
async def engine(stack: Stack) -> AsyncIterator[Engine]:
    """The stack's API on a real port, and a worker's API key."""
    issued = await stack.http.post(
        "/apikey", json={"name": WORKER, "privileges": ["bpms:service-task:work"]}
    )
    assert issued.status_code == 201, issued.text
    app = create_app(stack.settings, client=stack.client, store=stack.store)
    async with serve_app(app) as origin:
        yield Engine(f"{origin}/engine-rest", issued.json()["token"])


def _worker(engine: Engine, worker_id: str = "py-worker", **config: Any) -> ExternalTaskWorker:
    return ExternalTaskWorker(
        worker_id=worker_id,
        base_url=engine.url,
        config={
            "auth_basic": engine.basic,
            "maxTasks": 1,
            "lockDuration": 60_000,
            "asyncResponseTimeout": 5_000,
            "sleepSeconds": 0,
            **config,
        },
    )


async def _run(
    engine: Engine, handler: Callable[[ExternalTask], TaskResult], **config: Any
) -> float:
    """One fetch-and-lock of the real worker (one HTTP request), its handler and report;
    answers the seconds it took."""
    began = time.monotonic()
    worker = _worker(engine, **config)
    await asyncio.to_thread(worker.fetch_and_execute, TOPIC, handler)
    return time.monotonic() - began


async def _start(stack: Stack, **data: Any) -> str:
    return await Baton(stack).start("credit-check", data, business_key=f"C-{uuid.uuid4().hex[:6]}")


async def _view(stack: Stack, instance_id: str) -> dict[str, Any]:
    view: dict[str, Any] = (await stack.http.get(f"{INSTANCES}/{instance_id}")).json()
    return view


async def _ended_at(stack: Stack, instance_id: str, element: str) -> bool:
    history = (await stack.http.get(f"{INSTANCES}/{instance_id}/history")).json()["items"]
    return any(e["type"] == "ACTIVITY_COMPLETED" and e["activityId"] == element for e in history)


async def test_python_client_fetches_typed_variables_and_completes(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=700, name="Ada", tags=["a"], ratio=0.5)
    seen: dict[str, Any] = {}

    def handler(task: ExternalTask) -> TaskResult:
        seen.update(task._context)
        seen["amount"] = task.get_variable("amount")
        return task.complete({"score": 81, "approved": True, "rating": "A"})

    await _run(engine, handler)
    assert seen["processInstanceId"] == instance_id and seen["topicName"] == TOPIC
    assert (seen["activityId"], seen["workerId"]) == ("check", "py-worker")
    assert seen["processDefinitionKey"] == "credit-check" and seen["businessKey"]
    assert seen["lockExpirationTime"].endswith("+0000")
    assert seen["amount"] == 700
    typed = seen["variables"]
    assert typed["amount"] == {"type": "Integer", "value": 700, "valueInfo": {}}
    assert typed["name"]["type"] == "String" and typed["ratio"]["type"] == "Double"
    assert typed["tags"] == {"type": "Json", "value": '["a"]', "valueInfo": {}}
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")
    view = await _view(stack, instance_id)
    assert view["state"] == "COMPLETED"
    assert (view["processData"]["score"], view["processData"]["rating"]) == (81, "A")
    # the task is over: Camunda's 404, in Camunda's error body
    gone = await stack.http.get(f"{EXT}/{seen['id']}")
    assert gone.status_code == 404 and gone.json()["type"] == "RestException"


async def test_python_client_failure_retries_then_incident_then_retry(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=10)
    left: list[int | None] = []
    ids: list[str] = []

    def failing(task: ExternalTask) -> TaskResult:
        left.append(task._context.get("retries"))
        ids.append(task.get_task_id())
        return task.failure("backend down", "trace…", max_retries=3, retry_timeout=100)

    for _ in range(3):  # retries 3 → 2 → 1 → 0: the third report opens the incident
        await _run(engine, failing)
    assert left == [3, 2, 1] and len(set(ids)) == 1
    task_id = ids[0]

    async def incident() -> dict[str, Any] | None:
        r = await stack.http.get("/engine-rest/incident", params={"processInstanceId": instance_id})
        found: list[dict[str, Any]] = r.json()
        return found[0] if found else None

    # Camunda's failedExternalTask: the incident names the task, which stays with 0 retries
    opened = await eventually(incident, what="the incident")
    assert opened["incidentType"] == "failedExternalTask" and opened["configuration"] == task_id
    assert opened["activityId"] == "check" and "backend down" in opened["incidentMessage"]
    failed = (await stack.http.get(f"{EXT}/{task_id}")).json()
    assert failed["retries"] == 0 and failed["errorMessage"] == "backend down"
    assert failed["workerId"] is None
    details = await stack.http.get(f"{EXT}/{task_id}/errorDetails")
    assert details.text == "trace…"
    with pytest.raises(NoExternalTaskFound):  # a failed task is not fetchable
        await _run(engine, failing, asyncResponseTimeout=500)
    # the worker's key may work tasks, not retry incidents (Cockpit's user may)
    basic = httpx.BasicAuth(WORKER, engine.key)
    async with httpx.AsyncClient(base_url=engine.url, auth=basic) as worker_http:
        denied = await worker_http.put(f"/external-task/{task_id}/retries", json={"retries": 2})
    assert denied.status_code == 403 and denied.json()["type"] == "AuthorizationException"

    # Cockpit's "increment retries": PUT retries on the failed task retries its incident
    retried = await stack.http.put(f"{EXT}/{task_id}/retries", json={"retries": 2})
    assert retried.status_code == 204, retried.text
    seen: list[int | None] = []

    def succeeding(task: ExternalTask) -> TaskResult:
        seen.append(task._context.get("retries"))
        return task.complete({"score": 90})

    await _run(engine, succeeding)
    assert seen == [2]
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")

    async def closed() -> dict[str, Any] | None:
        r = await stack.http.get(
            "/engine-rest/history/incident", params={"processInstanceId": instance_id}
        )
        found: list[dict[str, Any]] = r.json()
        return found[0] if found and found[0]["resolved"] else None

    historic = await eventually(closed, what="the incident resolved in history")
    assert historic["configuration"] == task_id and historic["open"] is False
    assert (await stack.http.get(f"{EXT}/{task_id}")).status_code == 404  # the failed task went


async def test_python_client_bpmn_error_is_caught_by_the_boundary_event(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=5)

    def rejecting(task: ExternalTask) -> TaskResult:
        return task.bpmn_error("REJECTED", "score too low", {"reason": "low score"})

    await _run(engine, rejecting)
    await eventually(lambda: _ended_at(stack, instance_id, "rejected_end"), what="the error path")
    view = await _view(stack, instance_id)
    assert view["state"] == "COMPLETED" and view["processData"]["reason"] == "low score"


async def test_python_client_long_polling_delivers_a_task_created_while_waiting(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    got: list[str] = []

    def handler(task: ExternalTask) -> TaskResult:
        got.append(task.get_process_instance_id())
        return task.complete({})

    # the worker's single request is already waiting when the instance starts
    polling = asyncio.create_task(_run(engine, handler, asyncResponseTimeout=20_000))
    await asyncio.sleep(1.0)
    assert not polling.done()
    instance_id = await _start(stack, amount=1)
    took = await polling
    assert got == [instance_id] and 1.0 <= took < 20
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")


async def test_lock_rules_and_the_task_queries(stack: Stack, engine: Engine) -> None:
    """Camunda's answers where a worker is wrong: another worker's lock is a 400
    (InvalidRequestException), an unknown task a 404; unlock, retries, list/count/get."""
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=3)
    config = {"auth_basic": engine.basic, "asyncResponseTimeout": 5000}
    client = ExternalTaskClient("py-a", engine.url, config)
    (task,) = await asyncio.to_thread(client.fetch_and_lock, TOPIC)
    url = f"{EXT}/{task['id']}"
    for action, body in (
        ("complete", {"workerId": "thief", "variables": {}}),
        ("failure", {"workerId": "thief", "errorMessage": "x", "retries": 0}),
        ("bpmnError", {"workerId": "thief", "errorCode": "REJECTED"}),
        ("extendLock", {"workerId": "thief", "newDuration": 1000}),
    ):
        refused = await stack.http.post(f"{url}/{action}", json=body)
        assert refused.status_code == 400, (action, refused.text)
        assert refused.json()["type"] == "InvalidRequestException"
        assert refused.json()["workerId"] == "py-a"
    missing = await stack.http.post(f"{EXT}/nope/complete", json={"workerId": "py-a"})
    assert missing.status_code == 404 and missing.json()["type"] == "RestException"
    bad = await stack.http.post(
        f"{url}/complete",
        json={"workerId": "py-a", "variables": {"n": {"value": "x", "type": "Integer"}}},
    )
    assert bad.status_code == 400 and "'n'" in bad.json()["message"]
    one = (await stack.http.get(url)).json()
    assert (one["workerId"], one["processInstanceId"], one["retries"]) == ("py-a", instance_id, 3)
    locked = (await stack.http.get(EXT, params={"locked": "true", "topicName": TOPIC})).json()
    assert [t["id"] for t in locked] == [task["id"]]
    count = await stack.http.get(f"{EXT}/count", params={"workerId": "py-a"})
    assert count.json() == {"count": 1}
    assert (await stack.http.post(f"{url}/unlock", json={})).status_code == 204
    assert (await stack.http.put(f"{url}/retries", json={"retries": 5})).status_code == 204
    after = (await stack.http.get(url)).json()
    assert (after["workerId"], after["lockExpirationTime"], after["retries"]) == (None, None, 5)
    # unlocked: another worker takes it at once; unknown request fields are ignored
    taken = await stack.http.post(
        f"{EXT}/fetchAndLock",
        json={
            "workerId": "py-b",
            "maxTasks": 2,
            "usePriority": True,
            "sorting": [{"sortBy": "createTime", "sortOrder": "desc"}],
            "somethingNew": 1,
            "topics": [
                {
                    "topicName": TOPIC,
                    "lockDuration": 1000,
                    "processDefinitionKey": "credit-check",
                    "variables": ["amount"],
                    "localVariables": False,
                    "deserializeValues": True,
                    "includeExtensionProperties": True,
                }
            ],
        },
    )
    assert taken.status_code == 200, taken.text
    (again,) = taken.json()
    assert again["id"] == task["id"] and again["workerId"] == "py-b"
    assert set(again["variables"]) == {"amount"} and again["priority"] == 0
    # Camunda's lock: refused while another worker holds the task, taken once it is free
    stolen = await stack.http.post(f"{url}/lock", json={"workerId": "py-c", "lockDuration": 9})
    assert stolen.status_code == 400 and stolen.json()["workerId"] == "py-b"
    assert (await stack.http.post(f"{url}/unlock", json={})).status_code == 204
    relocked = await stack.http.post(
        f"{url}/lock", json={"workerId": "py-c", "lockDuration": 60_000}
    )
    assert relocked.status_code == 204, relocked.text
    assert (await stack.http.get(url)).json()["workerId"] == "py-c"
    failed = await stack.http.post(
        f"{url}/failure",
        json={"workerId": "py-c", "errorMessage": "x", "errorDetails": "trace", "retries": 4},
    )
    assert failed.status_code == 204
    details = await stack.http.get(f"{url}/errorDetails")
    assert (details.status_code, details.text) == (200, "trace")
    assert (
        await stack.http.post(f"{EXT}/nope/lock", json={"workerId": "w", "lockDuration": 9})
    ).status_code == 404
    elsewhere = await stack.http.post(
        f"{EXT}/fetchAndLock",
        json={
            "workerId": "py-c",
            "topics": [{"topicName": TOPIC, "lockDuration": 1000, "businessKey": "no-such"}],
        },
    )
    assert elsewhere.json() == []
    # the workers' key holds the service-task privilege only, enforced as on /v1/bpms
    async with httpx.AsyncClient(auth=(WORKER, engine.key)) as as_worker:
        counted = await as_worker.get(f"{engine.url}/external-task/count")
        assert counted.status_code == 200, counted.text
        refused = await as_worker.get(f"{engine.url}/engine")
        assert refused.status_code == 403 and refused.json()["type"] == "AuthorizationException"


@pytest.mark.skipif(
    shutil.which("node") is None or not (JS_DIR / "node_modules").exists(),
    reason="node or tests/camunda_js/node_modules missing (make test runs npm ci)",
)
async def _js(engine: Engine, mode: str = "complete") -> dict[str, Any]:
    """Run ``tests/camunda_js/worker.mjs`` until it handled one task; its report."""
    worker = await asyncio.create_subprocess_exec(
        "node",
        str(JS_DIR / "worker.mjs"),
        engine.url,
        TOPIC,
        WORKER,
        engine.key,
        mode,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(worker.communicate(), timeout=60)
    finally:
        if worker.returncode is None:
            worker.kill()
    assert worker.returncode == 0, err.decode()
    assert "error" not in err.decode(), err.decode()  # every call of the client succeeded
    report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return report


async def test_js_client_subscribes_extends_the_lock_and_completes(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=640)
    report = await _js(engine)
    assert (report["amount"], report["typed"], report["workerId"]) == (640, "integer", "js-worker")
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")
    view = await _view(stack, instance_id)
    assert view["processData"]["score"] == 64
    assert (view["processData"]["checkedBy"], view["processData"]["approved"]) == ("js", True)


async def test_js_client_long_polls_then_fails_into_an_incident_that_retries_fix(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    # long polling: the worker's first request is waiting when the instance starts
    worker = asyncio.create_task(_js(engine, "fail"))
    await asyncio.sleep(1.5)
    assert not worker.done()
    instance_id = await _start(stack, amount=20)
    report = await worker
    assert report["polls"] == 1 and report["amount"] == 20

    async def incident() -> dict[str, Any] | None:
        r = await stack.http.get("/engine-rest/incident", params={"processInstanceId": instance_id})
        found: list[dict[str, Any]] = r.json()
        return found[0] if found else None

    opened = await eventually(incident, what="the incident")
    assert opened["incidentType"] == "failedExternalTask"
    assert opened["configuration"] == report["task"]
    assert "js backend down" in opened["incidentMessage"]
    failed = (await stack.http.get(f"{EXT}/{report['task']}")).json()
    assert (failed["retries"], failed["errorMessage"]) == (0, "js backend down")

    retried = await stack.http.put(f"{EXT}/{report['task']}/retries", json={"retries": 1})
    assert retried.status_code == 204, retried.text
    again = await _js(engine)
    assert again["amount"] == 20 and again["task"] != report["task"]  # a new task was parked
    await eventually(lambda: _ended_at(stack, instance_id, "approved_end"), what="the end")


async def test_js_client_bpmn_error_is_caught_by_the_boundary_event(
    stack: Stack, engine: Engine
) -> None:
    await deploy(stack.http, CREDIT)
    instance_id = await _start(stack, amount=3)
    await _js(engine, "bpmn-error")
    await eventually(lambda: _ended_at(stack, instance_id, "rejected_end"), what="the error path")
    view = await _view(stack, instance_id)
    assert view["state"] == "COMPLETED" and view["processData"]["reason"] == "js says no"


async def test_bulk_retries_by_id_and_instance(stack: Stack, engine: Engine) -> None:
    await deploy(stack.http, CREDIT)
    first, second = await _start(stack, amount=1), await _start(stack, amount=2)

    async def tasks_of(instance_id: str) -> list[dict[str, Any]] | None:
        r = await stack.http.get(EXT, params={"processInstanceId": instance_id})
        found: list[dict[str, Any]] = r.json()
        return found or None

    one = (await eventually(lambda: tasks_of(first), what="the first task"))[0]
    two = (await eventually(lambda: tasks_of(second), what="the second task"))[0]
    unknown = await stack.http.put(
        f"{EXT}/retries", json={"retries": 7, "externalTaskIds": [one["id"], "nope"]}
    )
    assert unknown.status_code == 404 and unknown.json()["type"] in (
        "RestException",
        "InvalidRequestException",
    )
    assert (await stack.http.get(f"{EXT}/{one['id']}")).json()["retries"] == one["retries"]
    empty = await stack.http.put(f"{EXT}/retries", json={"retries": 7})
    assert empty.status_code == 400 and empty.json()["type"] == "InvalidRequestException"
    done = await stack.http.put(
        f"{EXT}/retries",
        json={"retries": 7, "externalTaskIds": [one["id"]], "processInstanceIds": [second]},
    )
    assert done.status_code == 204, done.text
    for task in (one, two):
        assert (await stack.http.get(f"{EXT}/{task['id']}")).json()["retries"] == 7
