"""Service tasks for HTTP workers (external tasks): fetch-and-lock with long polling,
complete, failure, BPMN error, lock changes. Shared by ``/v1/bpms/service-tasks`` and
Camunda's ``/engine-rest/external-task``; each family words the errors its own way.

Each task is a Temporal activity that completes asynchronously (``activities/
external_tasks.py``); the outcome goes back through its async activity handle, so the
workflow sees exactly what an activity in any SDK would report. Locks are leases in the
store; an expired lock makes the task fetchable again.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from baton_client.contracts import bpmn as c
from temporalio.client import AsyncActivityHandle, Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from operations import calls, commands, errors, instances
from store import Store, external_tasks
from store.models import ExternalTaskRecord

POLL_INTERVAL = 0.2  # seconds between looks while long polling
MAX_WAIT = timedelta(seconds=60)  # the longest a fetch waits for a task
INCIDENT_WAIT = timedelta(seconds=5)  # how long a failed task's incident may take to open


class LockLost(errors.Conflict):
    """The worker does not hold the task's lock (``code`` LockLost, ``workerId`` the
    holder, if any)."""

    def __init__(self, err: external_tasks.LockLost) -> None:
        super().__init__(str(err), code="LockLost", workerId=err.owner)
        self.owner = err.owner


class TaskGone(errors.NotFound):
    """No such service task (never was, already reported, or its element was cancelled)."""


async def fetch_and_lock(
    store: Store,
    worker_id: str,
    topics: dict[str, timedelta],
    max_tasks: int,
    wait: timedelta = timedelta(0),
    filters: dict[str, external_tasks.TopicFilter] | None = None,
    *,
    newest_first: bool = False,
    by_priority: bool = False,
) -> list[ExternalTaskRecord]:
    """Lock up to ``max_tasks`` tasks of ``topics``; with none ready, look again every
    ``POLL_INTERVAL`` for up to ``wait`` (long polling, capped at ``MAX_WAIT``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait, MAX_WAIT).total_seconds()
    while True:
        locked = await external_tasks.fetch_and_lock(
            store,
            worker_id,
            topics,
            max_tasks,
            filters,
            newest_first=newest_first,
            by_priority=by_priority,
        )
        if locked or loop.time() >= deadline:
            return locked
        await asyncio.sleep(POLL_INTERVAL)


async def get(store: Store, task_id: str) -> ExternalTaskRecord:
    try:
        return await external_tasks.get(store, task_id)
    except external_tasks.ExternalTaskNotFound as err:
        raise TaskGone(str(err)) from err


async def held(store: Store, task_id: str, worker_id: str) -> ExternalTaskRecord:
    """The task, if ``worker_id`` holds its lock; else TaskGone or LockLost."""
    try:
        return await external_tasks.holding(store, task_id, worker_id)
    except external_tasks.ExternalTaskNotFound as err:
        raise TaskGone(str(err)) from err
    except external_tasks.LockLost as err:
        raise LockLost(err) from err


async def _guarded(change: Awaitable[None]) -> None:
    try:
        await change
    except external_tasks.ExternalTaskNotFound as err:
        raise TaskGone(str(err)) from err
    except external_tasks.LockLost as err:
        raise LockLost(err) from err


def _handle(client: Client, row: ExternalTaskRecord) -> AsyncActivityHandle:
    return client.get_async_activity_handle(task_token=base64.b64decode(row.task_token))


async def _report(
    store: Store,
    row: ExternalTaskRecord,
    report: Awaitable[Any],
    then: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Send the outcome to Temporal, then drop the row (or do ``then``). An activity
    Temporal no longer knows (its element was cancelled, or the instance ended) is
    TaskGone, and the row goes."""
    try:
        await report
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            await external_tasks.remove(store, row.id)
            raise TaskGone(
                f"service task {row.id} is no longer waiting (its element was cancelled)"
            ) from err
        raise errors.Unavailable(f"Temporal did not take the outcome: {err.message}") from err
    await (then() if then is not None else external_tasks.remove(store, row.id))


async def complete(
    store: Store, client: Client, task_id: str, worker_id: str, variables: dict[str, Any]
) -> ExternalTaskRecord:
    """Complete a task the worker holds with process variables; answers the task."""
    row = await held(store, task_id, worker_id)
    result = c.ServiceTaskResult(variables=variables)
    await _report(store, row, _handle(client, row).complete(result))
    return row


async def fail(
    store: Store,
    client: Client,
    task_id: str,
    worker_id: str,
    *,
    message: str,
    details: str | None,
    retries: int | None,
    retry_timeout: timedelta,
) -> None:
    """A failure: with retries left (None keeps the count) the task is fetchable again
    after ``retry_timeout``; at 0 the activity fails for good (an incident)."""
    row = await held(store, task_id, worker_id)
    if retries is None or retries > 0:
        await _guarded(
            external_tasks.release_for_retry(
                store,
                task_id,
                worker_id,
                retries=row.retries if retries is None else retries,
                retry_timeout=retry_timeout,
                message=message,
                details=details,
            )
        )
        return
    await _fail_for_good(store, client, row, message, details)


async def _fail_for_good(
    store: Store, client: Client, row: ExternalTaskRecord, message: str, details: str | None
) -> None:
    """Fail the activity (the instance opens a ``failedExternalTask`` incident naming this
    task) and keep the task listed with retries 0 until the incident is retried."""
    failure = ApplicationError(
        message, details, row.id, type=c.EXTERNAL_TASK_FAILED, non_retryable=True
    )
    await _report(
        store,
        row,
        _handle(client, row).fail(failure),
        lambda: external_tasks.mark_failed(store, row.id, message, details),
    )


async def bpmn_error(
    store: Store,
    client: Client,
    task_id: str,
    worker_id: str,
    code: str,
    message: str | None,
    variables: dict[str, Any] | None = None,
    settings: Settings | None = None,
) -> None:
    """Throw a BPMN error from the task: caught by an error boundary or event
    sub-process; uncaught, an incident. ``variables`` (Camunda's) are set on the instance
    first, so the path that catches the error sees them."""
    row = await held(store, task_id, worker_id)
    if variables:
        assert settings is not None, "variables need the settings to reach the instance"
        await instances.set_variables(
            client, settings, row.process_instance_id, variables, by=worker_id
        )
    error = ApplicationError(message or code, code, type="BpmnError", non_retryable=True)
    await _report(store, row, _handle(client, row).fail(error))


async def extend_lock(store: Store, task_id: str, worker_id: str, duration: timedelta) -> None:
    await held(store, task_id, worker_id)
    await _guarded(external_tasks.extend_lock(store, task_id, worker_id, duration))


async def lock(store: Store, task_id: str, worker_id: str, duration: timedelta) -> None:
    """Lock one known task for ``worker_id``; LockLost while another worker holds it,
    NoRetriesLeft when it failed for good."""
    try:
        await _guarded(external_tasks.lock(store, task_id, worker_id, duration))
    except external_tasks.NoRetriesLeft as err:
        raise NoRetriesLeft(str(err)) from err


async def unlock(store: Store, task_id: str) -> None:
    await _guarded(external_tasks.unlock(store, task_id))


async def set_retries(
    store: Store,
    client: Client,
    settings: Settings,
    task_id: str,
    retries: int,
    *,
    may_retry_incident: bool,
) -> None:
    """Camunda's ``PUT /external-task/{id}/retries``. A waiting task keeps waiting with the
    new count; 0 fails it for good (an incident, as a worker's last failure does). A task
    that failed for good is its incident's: retries above 0 retry the incident with that
    many attempts (a new task is parked; needs ``may_retry_incident``)."""
    row = await get(store, task_id)
    if row.retries > 0:
        if retries > 0:
            await _guarded(external_tasks.set_retries(store, task_id, retries))
        else:
            message = row.error_message or "retries set to 0"
            await _fail_for_good(store, client, row, message, row.error_details)
        return
    if retries == 0:
        return  # failed already: nothing changes
    if not may_retry_incident:
        raise errors.Forbidden(
            f"service task {task_id} is an incident: retrying it needs the privilege "
            "'bpms:incident:retry'",
            privilege="bpms:incident:retry",
        )
    incident_id = await incident_of(client, settings, row)
    retry = c.RetryIncident(incident_id=incident_id, attempts=retries)
    await calls.update(client, settings, row.process_instance_id, commands.RETRY_INCIDENT, retry)


async def incident_of(client: Client, settings: Settings, row: ExternalTaskRecord) -> str:
    """The open incident the instance opened for this failed task. Asked of the instance
    itself (the read model may lag); the failure was reported a moment before the task
    was marked failed, so the incident is there or about to be."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + INCIDENT_WAIT.total_seconds()
    while True:
        state = await calls.query(client, settings, row.process_instance_id, commands.STATE)
        for incident in state.incidents:
            if incident.configuration == row.id and not incident.resolved:
                return incident.id
        if loop.time() >= deadline:
            raise errors.Conflict(
                f"service task {row.id} failed, but its instance holds no open incident "
                "for it (it was retried or resolved already)"
            )
        await asyncio.sleep(POLL_INTERVAL)


class NoRetriesLeft(errors.Conflict):
    """The task failed for good: an incident holds it until it is retried."""


async def set_priority(store: Store, task_id: str, priority: int) -> None:
    await _guarded(external_tasks.set_priority(store, task_id, priority))
