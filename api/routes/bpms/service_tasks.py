"""Service tasks for HTTP workers (Camunda external-task style): fetch-and-lock, complete,
failure, BPMN error, extend lock, served by ``operations/service_tasks.py`` (which
Camunda's ``/engine-rest/external-task`` shares).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth import Principal, Requires
from api.deps import ClientDep, StoreDep
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
from operations import service_tasks
from store import Store, business_data, external_tasks, queries
from store.models import ExternalTaskRecord

router = APIRouter(prefix="/v1/bpms/service-tasks", tags=["service tasks"])

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
    wait = timedelta(milliseconds=body.async_response_timeout)
    locked = await service_tasks.fetch_and_lock(store, body.worker_id, topics, body.max_tasks, wait)
    return [await _out(store, row, wanted[row.topic]) for row in locked]


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
    return await _out(store, await service_tasks.get(store, task_id))


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
    row = await service_tasks.complete(store, client, task_id, body.worker_id, body.process_data)
    if body.business_data:  # only once Temporal took the completion
        await business_data.merge(
            store, row.process_instance_id, body.business_data, by=principal.subject
        )
    return Response(status_code=204)


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
    await service_tasks.fail(
        store,
        client,
        task_id,
        body.worker_id,
        message=body.error_message,
        details=body.error_details,
        retries=body.retries,
        retry_timeout=timedelta(milliseconds=body.retry_timeout),
    )
    return Response(status_code=204)


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
    await service_tasks.bpmn_error(
        store, client, task_id, body.worker_id, body.error_code, body.error_message
    )
    return Response(status_code=204)


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
    await service_tasks.extend_lock(
        store, task_id, body.worker_id, timedelta(milliseconds=body.new_duration)
    )
    return Response(status_code=204)
