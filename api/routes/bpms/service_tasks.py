"""Service tasks for HTTP workers (Camunda external-task style): fetch-and-lock, complete,
failure, BPMN error, extend lock.

Each task is a Temporal activity that completed asynchronously (``activities/
external_tasks.py``); the outcome goes back through its async activity handle, so the
workflow sees exactly what an activity in any SDK would report. Locks are leases in the
store; an expired lock makes the task fetchable again.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from temporalio.client import AsyncActivityHandle, Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.auth import Principal, Requires
from api.deps import ClientDep, StoreDep
from api.problems import Conflict, NotFound, Unavailable
from api.schemas import (
    BpmnErrorIn,
    CompleteServiceTaskIn,
    ExtendLockIn,
    FetchAndLockIn,
    PageNumber,
    PageOut,
    PageSize,
    ServiceTaskFailureIn,
    ServiceTaskOut,
)
from contracts import bpmn as c
from store import Store, business_data, external_tasks, queries
from store.models import ExternalTaskRecord

router = APIRouter(prefix="/v1/bpms/service-tasks", tags=["service tasks"])

_POLL_INTERVAL = 0.2  # seconds between looks while long polling
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such service task (or its element was cancelled meanwhile)"},
    409: {"description": "The worker does not hold the task's lock"},
}


async def _out(
    store: Store, row: ExternalTaskRecord, variables: list[str] | None = None
) -> ServiceTaskOut:
    data = row.variables
    if variables is not None:
        data = {k: v for k, v in data.items() if k in variables}
    return ServiceTaskOut(
        id=row.id,
        topic_name=row.topic,
        worker_id=row.lock_owner,
        lock_expiration_time=queries.as_utc(row.lock_expiration),
        process_instance_id=row.process_instance_id,
        process_definition_key=row.definition_key,
        business_key=row.business_key,
        activity_id=row.element_id,
        retries=row.retries,
        error_message=row.error_message,
        error_details=row.error_details,
        created_at=queries.as_utc(row.created) or row.created,
        process_data=data,
        business_data=await business_data.get(store, row.process_instance_id),
        headers=row.headers,
    )


@router.post(
    "/fetch-and-lock",
    response_model=list[ServiceTaskOut],
    summary="Fetch and lock service tasks of the given topics (long polling optional)",
    description=(
        "Locks up to `maxTasks` fetchable tasks, oldest first, each for its topic's "
        "`lockDuration`. With `asyncResponseTimeout` the call waits up to that long for a "
        "task when none is ready. A lock that expires makes the task fetchable again."
    ),
)
async def fetch_and_lock(
    body: FetchAndLockIn,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:service-task:work")],
) -> list[ServiceTaskOut]:
    topics = {t.topic_name: timedelta(milliseconds=t.lock_duration) for t in body.topics}
    wanted = {t.topic_name: t.variables for t in body.topics}
    deadline = asyncio.get_running_loop().time() + body.async_response_timeout / 1000
    while True:
        locked = await external_tasks.fetch_and_lock(store, body.worker_id, topics, body.max_tasks)
        if locked or asyncio.get_running_loop().time() >= deadline:
            return [await _out(store, row, wanted[row.topic]) for row in locked]
        await asyncio.sleep(_POLL_INTERVAL)


@router.get(
    "",
    response_model=PageOut[ServiceTaskOut],
    summary="Service tasks waiting for HTTP workers (locked or not)",
)
async def list_service_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:service-task:work")],
    topic_name: Annotated[str | None, Query(alias="topicName")] = None,
    process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[ServiceTaskOut]:
    rows, total = await external_tasks.page(
        store,
        topic=topic_name,
        process_instance_id=process_instance_id,
        offset=page * size,
        limit=size,
    )
    return PageOut[ServiceTaskOut](
        items=[await _out(store, r) for r in rows], page=page, size=size, total=total
    )


@router.get(
    "/{task_id}", response_model=ServiceTaskOut, summary="One service task", responses=_ERRORS
)
async def get_service_task(
    task_id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:service-task:work")]
) -> ServiceTaskOut:
    return await _out(store, await _get(store, task_id))


async def _get(store: Store, task_id: str) -> ExternalTaskRecord:
    try:
        return await external_tasks.get(store, task_id)
    except external_tasks.ExternalTaskNotFound as err:
        raise NotFound(str(err)) from err


async def _held(store: Store, task_id: str, worker_id: str) -> ExternalTaskRecord:
    try:
        return await external_tasks.holding(store, task_id, worker_id)
    except external_tasks.ExternalTaskNotFound as err:
        raise NotFound(str(err)) from err
    except external_tasks.LockLost as err:
        raise Conflict(str(err), code="LockLost", workerId=err.owner) from err


async def _guarded(change: Awaitable[None]) -> None:
    try:
        await change
    except external_tasks.LockLost as err:
        raise Conflict(str(err), code="LockLost", workerId=err.owner) from err


def _handle(client: Client, row: ExternalTaskRecord) -> AsyncActivityHandle:
    return client.get_async_activity_handle(task_token=base64.b64decode(row.task_token))


async def _report(store: Store, row: ExternalTaskRecord, report: Any) -> Response:
    """Send the outcome to Temporal, then drop the row. An activity Temporal no longer
    knows (its element was cancelled, or the instance ended) is a 404, and the row goes."""
    try:
        await report
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            await external_tasks.remove(store, row.id)
            raise NotFound(
                f"service task {row.id} is no longer waiting (its element was cancelled)"
            ) from err
        raise Unavailable(f"Temporal did not take the outcome: {err.message}") from err
    await external_tasks.remove(store, row.id)
    return Response(status_code=204)


@router.post(
    "/{task_id}/complete",
    status_code=204,
    response_class=Response,
    summary="Complete a locked task with process data (and business-data changes)",
    responses=_ERRORS,
)
async def complete_service_task(
    task_id: str,
    body: CompleteServiceTaskIn,
    store: StoreDep,
    client: ClientDep,
    principal: Annotated[Principal, Requires("bpms:service-task:work")],
) -> Response:
    row = await _held(store, task_id, body.worker_id)
    result = c.ServiceTaskResult(variables=body.process_data)
    answer = await _report(store, row, _handle(client, row).complete(result))
    if body.business_data:  # only once Temporal took the completion
        await business_data.merge(
            store, row.process_instance_id, body.business_data, by=principal.subject
        )
    return answer


@router.post(
    "/{task_id}/failure",
    status_code=204,
    response_class=Response,
    summary="Report a failure: retried after `retryTimeout`, or an incident at retries 0",
    responses=_ERRORS,
)
async def fail_service_task(
    task_id: str,
    body: ServiceTaskFailureIn,
    store: StoreDep,
    client: ClientDep,
    _: Annotated[Principal, Requires("bpms:service-task:work")],
) -> Response:
    row = await _held(store, task_id, body.worker_id)
    if body.retries is None or body.retries > 0:
        await _guarded(
            external_tasks.release_for_retry(
                store,
                task_id,
                body.worker_id,
                retries=row.retries if body.retries is None else body.retries,
                retry_timeout=timedelta(milliseconds=body.retry_timeout),
                message=body.error_message,
                details=body.error_details,
            )
        )
        return Response(status_code=204)
    failure = ApplicationError(
        body.error_message, body.error_details, type="ExternalTaskFailed", non_retryable=True
    )
    return await _report(store, row, _handle(client, row).fail(failure))


@router.post(
    "/{task_id}/bpmn-error",
    status_code=204,
    response_class=Response,
    summary="Throw a BPMN error from the task (caught by an error boundary or event "
    "sub-process; uncaught, an incident)",
    responses=_ERRORS,
)
async def bpmn_error(
    task_id: str,
    body: BpmnErrorIn,
    store: StoreDep,
    client: ClientDep,
    _: Annotated[Principal, Requires("bpms:service-task:work")],
) -> Response:
    row = await _held(store, task_id, body.worker_id)
    error = ApplicationError(
        body.error_message or body.error_code, body.error_code, type="BpmnError", non_retryable=True
    )
    return await _report(store, row, _handle(client, row).fail(error))


@router.post(
    "/{task_id}/extend-lock",
    status_code=204,
    response_class=Response,
    summary="Extend the caller's lock to `newDuration` ms from now",
    responses=_ERRORS,
)
async def extend_lock(
    task_id: str,
    body: ExtendLockIn,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:service-task:work")],
) -> Response:
    await _held(store, task_id, body.worker_id)
    await _guarded(
        external_tasks.extend_lock(
            store, task_id, body.worker_id, timedelta(milliseconds=body.new_duration)
        )
    )
    return Response(status_code=204)
