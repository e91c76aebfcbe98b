"""Drive a Baton stack in tests: deploy, start, find the task, complete, wait until.

Nearly every server-backed test walks that path, and each file had grown its own copy of
it (``_start``, ``open_task``, ``_task``, ``_start_with_task`` …) with its own status
check, or none. :class:`Baton` is the one copy, over the REST API as users reach it; the
module-level functions are the SDK-client side of the same walk (a workflow handle, the
``state`` query, the ``complete`` update), which interpreter tests use to look inside an
instance without waiting for the read models.

Every step asserts what a user would see succeed (201 on deploy and start, 200 on
complete), so a test reads as its scenario and still fails at the step that broke.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
from baton_client.contracts import bpmn as c
from temporalio.client import Client, WorkflowHandle

from tests.support.http import deploy, eventually

T = TypeVar("T")
INSTANCES = "/v1/bpms/process-instances"
TASKS = "/v1/bpms/tasks"
File = Path | tuple[str, bytes]


class Stack(Protocol):
    """What the driver needs of ``tests.conftest.Stack`` (the API over HTTP and the
    Temporal client); a protocol, so the driver does not import the app through conftest."""

    http: httpx.AsyncClient
    client: Client


class Baton:
    """One test's view of a stack: its HTTP client (dev mode: no credentials act as the
    demo administrator; pass ``headers`` to act as someone else) and Temporal client."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http: httpx.AsyncClient = stack.http
        self.client: Client = stack.client

    async def deploy(self, *files: File) -> list[str]:
        """Deploy diagrams (paths or ``(name, bytes)``, e.g. ``tests.support.bpmn.diagram``);
        the process keys deployed."""
        deployed = await deploy(self.http, *files)
        assert deployed.status_code == 201, deployed.text
        return [d["key"] for d in deployed.json()["definitions"]]

    async def started(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        business_key: str | None = None,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        """Start ``key`` through ``POST /v1/bpms/process-instances``: the answer's body.
        ``body`` adds other fields of the request (``businessData``, ``version``,
        ``waitForWaitState`` …)."""
        request: dict[str, Any] = {"processDefinitionKey": key, **body}
        if data is not None:
            request["processData"] = data
        if business_key is not None:
            request["businessKey"] = business_key
        answer = await self.http.post(INSTANCES, json=request, headers=headers)
        assert answer.status_code == 201, answer.text
        started: dict[str, Any] = answer.json()
        return started

    async def start(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        business_key: str | None = None,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> str:
        """Like :meth:`started`; the new instance's id."""
        started = await self.started(key, data, business_key=business_key, headers=headers, **body)
        return str(started["id"])

    async def run(
        self, file: File, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> WorkflowHandle[Any, c.ProcessResult]:
        """Deploy one diagram, start process ``key`` (default: the first it defines) and
        hand back the workflow."""
        keys = await self.deploy(file)
        instance_id = await self.start(key or keys[0], variables or {})
        return self.handle(instance_id)

    def handle(self, instance_id: str) -> WorkflowHandle[Any, c.ProcessResult]:
        return self.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)

    async def open_task(
        self, instance_id: str, *, timeout: float = 15.0, what: str | None = None
    ) -> dict[str, Any]:
        """The first open task of the instance in the task list, once the read model has it."""

        async def probe() -> dict[str, Any] | None:
            page = await self.http.get(TASKS, params={"processInstanceId": instance_id})
            assert page.status_code == 200, page.text
            items: list[dict[str, Any]] = page.json()["items"]
            return items[0] if items else None

        return await eventually(probe, timeout=timeout, what=what or f"a task of {instance_id}")

    async def complete(
        self,
        task_id: str,
        data: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        """Complete a task over REST (``processData`` = ``data``): the answer's body."""
        request: dict[str, Any] = dict(body)
        if data is not None:
            request["processData"] = data
        answer = await self.http.post(f"{TASKS}/{task_id}/complete", json=request, headers=headers)
        assert answer.status_code == 200, answer.text
        completed: dict[str, Any] = answer.json()
        return completed

    async def instance(self, instance_id: str) -> dict[str, Any]:
        """``GET /v1/bpms/process-instances/{id}``: what REST says about the instance."""
        answer = await self.http.get(f"{INSTANCES}/{instance_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def variables(self, instance_id: str) -> dict[str, Any]:
        """The instance's ``processData`` as REST serves it."""
        answer = await self.http.get(f"{INSTANCES}/{instance_id}/variables")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["processData"]
        return data

    async def until(
        self,
        probe: Callable[[], Awaitable[T | None]],
        what: str = "condition",
        *,
        timeout: float = 15.0,
    ) -> T:
        """Poll ``probe`` until it answers something truthy (read models and search
        attributes are eventually consistent): ``tests.support.http.eventually``."""
        return await eventually(probe, timeout=timeout, what=what)


# -- the SDK-client side: a workflow handle, its state query and task updates ------------


async def start(
    stack: Stack, file: File, variables: dict[str, Any] | None = None, *, key: str | None = None
) -> WorkflowHandle[Any, c.ProcessResult]:
    """Deploy and start through the API; the workflow handle (``Baton.run``)."""
    return await Baton(stack).run(file, variables, key=key)


async def state(handle: WorkflowHandle[Any, Any]) -> c.ProcessStateView:
    """The instance's ``state`` query: what the workflow holds right now."""
    view: c.ProcessStateView = await handle.query(c.STATE_QUERY, result_type=c.ProcessStateView)
    return view


async def until(
    handle: WorkflowHandle[Any, Any],
    predicate: Callable[[c.ProcessStateView], bool],
    what: str,
    timeout: float = 15.0,
) -> c.ProcessStateView:
    """Query the instance until ``predicate`` holds for its state; that state."""

    async def probe() -> c.ProcessStateView | None:
        view = await state(handle)
        return view if predicate(view) else None

    return await eventually(probe, what=what, timeout=timeout)


def open_tasks(view: c.ProcessStateView) -> dict[str, c.UserTaskView]:
    """The instance's open user tasks by element id."""
    return {
        t.element_id: t
        for t in view.tasks
        if t.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED)
    }


async def complete(
    handle: WorkflowHandle[Any, Any], element_id: str, variables: dict[str, Any] | None = None
) -> None:
    """Wait for the user task at ``element_id`` and complete it by update, as an SDK
    client does."""
    view = await until(handle, lambda v: element_id in open_tasks(v), f"task {element_id}")
    task = open_tasks(view)[element_id]
    await handle.execute_update(
        c.COMPLETE_USER_TASK,
        c.CompleteUserTask(task_id=task.id, variables=variables or {}),
        result_type=c.UserTaskCompleted,
    )


def waiting_at(view: c.ProcessStateView) -> set[str]:
    """Elements where tokens wait (catch events, tasks, joins)."""
    return set(view.counts.waiting)
