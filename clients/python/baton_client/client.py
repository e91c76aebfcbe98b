"""Typed helpers for driving Baton's ``BpmnProcess`` workflows from a Temporal client.

A plain ``temporalio`` client can do everything these do (docs/python-sdk.md lists the
updates, signals and queries). The helpers only spare an SDK user the details that are
easy to get wrong:

* the data converter (the contracts are pydantic models);
* waiting for the wait state after a start or a command, instead of querying at once
  and finding nothing yet (the instance loads its definition first: ``ready`` is false);
* ids for updates, so that sending one again is answered with the first outcome;
* a refusal is a ``Rejected`` naming the workflow's reason (``Rejection``). It is never a
  bare update failure to be retried.

Baton's own operations use the same contracts, so the helpers and the server cannot
drift apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from baton_client.contracts import bpmn as c

T = TypeVar("T", bound=BaseModel)

#: the task queue ``make run`` and the compose file use
DEFAULT_TASK_QUEUE = "baton"


class Rejected(Exception):
    """The instance refused a command: nothing changed. ``reason`` is one of
    ``Rejection``'s values (``TaskNotFound``, ``TaskAlreadyClaimed``, ``InstanceEnded`` …)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class BatonClient:
    """Start, follow and drive Baton process instances through Temporal."""

    def __init__(self, client: Client, *, task_queue: str = DEFAULT_TASK_QUEUE) -> None:
        self.client = client
        self.task_queue = task_queue

    @classmethod
    async def connect(
        cls,
        address: str = "127.0.0.1:7233",
        *,
        namespace: str = "default",
        task_queue: str = DEFAULT_TASK_QUEUE,
        **options: Any,
    ) -> BatonClient:
        """Connect with the converter the contracts need (``options`` go to
        ``Client.connect``: TLS, API key, interceptors …)."""
        client = await Client.connect(
            address, namespace=namespace, data_converter=pydantic_data_converter, **options
        )
        return cls(client, task_queue=task_queue)

    def handle(self, instance_id: str) -> WorkflowHandle[Any, c.ProcessResult]:
        return self.client.get_workflow_handle(instance_id, result_type=c.ProcessResult)

    async def start(
        self,
        definition: c.DefinitionRef,
        variables: dict[str, Any] | None = None,
        *,
        business_key: str | None = None,
        instance_id: str | None = None,
    ) -> str:
        """Start an instance of a deployed definition (key, version and sha256 as a
        deployment answers them); its id. Nothing has run yet: use
        :meth:`wait_for_wait_state` for the first tasks."""
        workflow_id = instance_id or str(uuid.uuid4())
        await self.client.start_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(
                definition=definition, business_key=business_key, variables=variables or {}
            ),
            id=workflow_id,
            task_queue=self.task_queue,
            result_type=c.ProcessResult,
        )
        return workflow_id

    async def state(self, instance_id: str) -> c.ProcessStateView:
        """The instance as it stands now (``ready`` is false while it still loads its
        definition: nothing is active yet)."""
        view: c.ProcessStateView = await self.handle(instance_id).query(
            c.STATE_QUERY, result_type=c.ProcessStateView
        )
        return view

    async def wait_for_wait_state(
        self, instance_id: str, *, timeout: timedelta = timedelta(seconds=30)
    ) -> c.ProcessStateView:
        """The instance once every token waits (a user task, a message, a timer, an
        incident) or it has ended, and the read models show it."""
        return await self._update(
            instance_id, c.AWAIT_WAIT_STATE, None, c.ProcessStateView, timeout=timeout
        )

    async def open_tasks(self, instance_id: str) -> list[c.UserTaskView]:
        """The open user tasks, once the instance waits."""
        view = await self.wait_for_wait_state(instance_id)
        return [t for t in view.tasks if t.state in c.OPEN_TASK_STATES]

    async def complete_task(
        self,
        instance_id: str,
        task_id: str,
        variables: dict[str, Any] | None = None,
        *,
        user_id: str | None = None,
        groups: Sequence[str] = (),
    ) -> c.UserTaskCompleted:
        """Complete a user task, as ``user_id`` (None: a trusted caller the assignment
        rules do not restrict)."""
        command = c.CompleteUserTask(
            task_id=task_id, variables=variables or {}, user_id=user_id, groups=list(groups)
        )
        return await self._update(instance_id, c.COMPLETE_USER_TASK, command, c.UserTaskCompleted)

    async def correlate(
        self,
        instance_id: str,
        name: str,
        *,
        correlation_key: str | None = None,
        variables: dict[str, Any] | None = None,
        message_id: str | None = None,
    ) -> c.MessageCorrelated:
        """Hand a message to the instance; ``Rejected`` (``MessageNotCorrelated``) when
        nothing there waits for it."""
        message = c.DeliverMessage(
            name=name,
            correlation_key=correlation_key,
            variables=variables or {},
            message_id=message_id,
        )
        return await self._update(instance_id, c.CORRELATE_MESSAGE, message, c.MessageCorrelated)

    async def result(self, instance_id: str) -> c.ProcessResult:
        """The ended instance's state and variables (waits for the end)."""
        return await self.handle(instance_id).result()

    async def _update(
        self,
        instance_id: str,
        name: str,
        payload: BaseModel | None,
        result_type: type[T],
        *,
        timeout: timedelta | None = None,
    ) -> T:
        args = [] if payload is None else [payload]
        try:
            answer: T = await self.handle(instance_id).execute_update(
                name,
                args=args,
                id=f"{name}-{uuid.uuid4()}",
                result_type=result_type,
                rpc_timeout=timeout,
            )
            return answer
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type:
                raise Rejected(cause.type, cause.message) from err
            raise
