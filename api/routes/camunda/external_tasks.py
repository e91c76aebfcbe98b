"""``/engine-rest/external-task``: Camunda 7's external-task API, for the workers Camunda's
own clients (camunda-external-task-client-js, -python3) run unmodified.

Served by ``operations/service_tasks.py``, the same fetch-and-lock machinery as
``/v1/bpms/service-tasks``, with the same privilege; this module only speaks Camunda:
its field names, typed variables (``variables.py``), statuses and error body
(``errors.py``). Request bodies ignore fields Baton does not know, as Camunda's do.
What differs from Camunda is in docs/camunda-rest.md, "External tasks".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.routes.camunda import errors as camunda_errors
from api.routes.camunda.variables import VariableError, format_date, to_python, to_typed
from operations import errors, service_tasks
from store import external_tasks
from store.models import ExternalTaskRecord

router = APIRouter(prefix="/engine-rest/external-task", tags=["camunda external tasks"])

WORK = "bpms:service-task:work"  # the privilege of /v1/bpms/service-tasks
_WEEK_MS = 7 * 24 * 3600 * 1000  # the longest lock or retry timeout (as /v1/bpms)
_INT_MAX = 2**31 - 1  # Camunda's retries and paging are Java ints
_MAX_WAIT_MS = int(service_tasks.MAX_WAIT.total_seconds() * 1000)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The task's most recent lock was not acquired by this worker"},
    404: {"description": "No such external task (or its element was cancelled meanwhile)"},
}


class _In(BaseModel):
    """Camunda's request bodies: camelCase, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore")


class SortingIn(_In):
    sortBy: str | None = None
    sortOrder: str | None = None


class CamundaTopicIn(_In):
    topicName: str = Field(min_length=1, max_length=255)
    lockDuration: int = Field(ge=1, le=_WEEK_MS, description="Lock, in ms.")
    variables: list[str] | None = Field(
        default=None, description="Only these variables (default: all)."
    )
    localVariables: bool = False
    businessKey: str | None = None
    processDefinitionKey: str | None = None
    processDefinitionKeyIn: list[str] | None = None
    processInstanceId: str | None = None
    deserializeValues: bool = False
    includeExtensionProperties: bool = False


class CamundaFetchAndLockIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    maxTasks: int = Field(default=10, ge=0, le=_INT_MAX)
    usePriority: bool | None = None
    asyncResponseTimeout: int | None = Field(
        default=None, ge=0, description="Long polling: wait up to this many ms (at most 60 s)."
    )
    topics: list[CamundaTopicIn] | None = None
    sorting: list[SortingIn] | None = None


class CompleteIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    variables: dict[str, Any] | None = None
    localVariables: dict[str, Any] | None = None


class FailureIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    errorMessage: str | None = None
    errorDetails: str | None = None
    retries: int | None = Field(default=None, ge=0, le=_INT_MAX)
    retryTimeout: int | None = Field(default=None, ge=0, le=_WEEK_MS)
    variables: dict[str, Any] | None = None
    localVariables: dict[str, Any] | None = None


class CamundaBpmnErrorIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    errorCode: str = Field(min_length=1)
    errorMessage: str | None = None
    variables: dict[str, Any] | None = None


class CamundaExtendLockIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    newDuration: int = Field(ge=0, le=_WEEK_MS)


class LockIn(_In):
    workerId: str = Field(min_length=1, max_length=255)
    lockDuration: int = Field(ge=1, le=_WEEK_MS, description="Lock, in ms.")


class RetriesIn(_In):
    retries: int = Field(ge=0, le=_INT_MAX)


class PriorityIn(_In):
    """Camunda's PriorityDto."""

    priority: int = Field(ge=-(2**63), le=2**63 - 1, description="The new priority.")


class ExternalTaskOut(BaseModel):
    """Camunda's ExternalTaskDto."""

    id: str
    topicName: str
    workerId: str | None
    lockExpirationTime: str | None
    createTime: str | None
    processInstanceId: str
    processDefinitionId: str | None
    processDefinitionKey: str | None
    processDefinitionVersionTag: str | None = None
    activityId: str
    activityInstanceId: str | None
    executionId: str | None
    businessKey: str | None
    errorMessage: str | None
    retries: int | None
    suspended: bool = False
    priority: int = 0
    tenantId: str | None = None


class LockedExternalTaskOut(ExternalTaskOut):
    """Camunda's LockedExternalTaskDto."""

    errorDetails: str | None
    variables: dict[str, dict[str, Any]]
    extensionProperties: dict[str, str] = Field(default_factory=dict)


def _date(row_value: Any) -> str | None:
    return None if row_value is None else format_date(row_value)


def fields(row: ExternalTaskRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "topicName": row.topic,
        "workerId": row.lock_owner,
        "lockExpirationTime": _date(row.lock_expiration),
        "createTime": _date(row.created),
        "processInstanceId": row.process_instance_id,
        "processDefinitionId": row.definition_key,
        "processDefinitionKey": row.definition_key,
        "activityId": row.element_id,
        "activityInstanceId": f"{row.element_id}:{row.activity_id}",
        "executionId": row.process_instance_id,
        "businessKey": row.business_key,
        "errorMessage": row.error_message,
        "retries": row.retries,
        "priority": row.priority or 0,
    }


def _locked(row: ExternalTaskRecord, topic: CamundaTopicIn) -> LockedExternalTaskOut:
    values = row.variables
    if topic.variables is not None:
        values = {k: v for k, v in values.items() if k in topic.variables}
    properties = (
        {str(k): str(v) for k, v in row.headers.items()} if topic.includeExtensionProperties else {}
    )
    return LockedExternalTaskOut(
        **fields(row),
        errorDetails=row.error_details,
        variables=to_typed(values),
        extensionProperties=properties,
    )


def _plain(typed: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return to_python(typed)
    except VariableError as err:
        raise errors.Invalid(str(err)) from err


async def _lock_held(action: Any) -> Response:
    """Run a worker's report; a lock the worker does not hold is Camunda's 400."""
    try:
        await action
    except service_tasks.LockLost as err:
        return camunda_errors.response(400, err.detail, {"workerId": err.owner})
    except service_tasks.NoRetriesLeft as err:
        return camunda_errors.response(400, err.detail, {})
    return Response(status_code=204)


@router.post(
    "/fetchAndLock",
    response_model=list[LockedExternalTaskOut],
    summary="Camunda: fetch and lock external tasks (long polling with asyncResponseTimeout)",
    description=(
        "Locks up to `maxTasks` fetchable tasks of the topics, oldest first (newest first "
        "with `sorting` by createTime desc), each for its topic's `lockDuration`; with "
        "`asyncResponseTimeout` waits up to that long (at most 60 s) for a task when none "
        "is ready. `usePriority: true` takes higher priorities first (`PUT …/priority`)."
    ),
)
async def fetch_and_lock(
    body: CamundaFetchAndLockIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
) -> list[LockedExternalTaskOut]:
    topics = body.topics or []
    if not topics or body.maxTasks == 0:
        return []
    by_name = {t.topicName: t for t in topics}
    locks = {t.topicName: timedelta(milliseconds=t.lockDuration) for t in topics}
    filters = {
        t.topicName: external_tasks.TopicFilter(
            business_key=t.businessKey,
            definition_keys=(
                tuple(t.processDefinitionKeyIn)
                if t.processDefinitionKeyIn is not None
                else (t.processDefinitionKey,)
                if t.processDefinitionKey is not None
                else None
            ),
            process_instance_id=t.processInstanceId,
        )
        for t in topics
    }
    newest_first = any(
        (s.sortBy or "").lower() == "createtime" and (s.sortOrder or "").lower() == "desc"
        for s in body.sorting or []
    )
    locked = await service_tasks.fetch_and_lock(
        store,
        body.workerId,
        locks,
        min(body.maxTasks, 100),
        timedelta(milliseconds=min(body.asyncResponseTimeout or 0, _MAX_WAIT_MS)),
        filters,
        newest_first=newest_first,
        by_priority=bool(body.usePriority),
    )
    return [_locked(row, by_name[row.topic]) for row in locked]


@router.get(
    "/{task_id}",
    response_model=ExternalTaskOut,
    summary="Camunda: one external task",
    responses={404: _ERRORS[404]},
)
async def get_external_task(
    task_id: str, store: StoreDep, _: Annotated[Principal, Requires(WORK)]
) -> ExternalTaskOut:
    return ExternalTaskOut(**fields(await service_tasks.get(store, task_id)))


@router.post(
    "/{task_id}/complete",
    status_code=204,
    response_class=Response,
    summary="Camunda: complete a locked external task with typed variables",
    responses=_ERRORS,
)
async def complete(
    task_id: str,
    body: CompleteIn,
    store: StoreDep,
    client: ClientDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    values = _plain(body.variables)
    return await _lock_held(service_tasks.complete(store, client, task_id, body.workerId, values))


@router.post(
    "/{task_id}/failure",
    status_code=204,
    response_class=Response,
    summary="Camunda: report a failure: retried after retryTimeout, an incident at retries 0",
    responses=_ERRORS,
)
async def failure(
    task_id: str,
    body: FailureIn,
    store: StoreDep,
    client: ClientDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    return await _lock_held(
        service_tasks.fail(
            store,
            client,
            task_id,
            body.workerId,
            message=body.errorMessage or "",
            details=body.errorDetails,
            retries=body.retries,
            retry_timeout=timedelta(milliseconds=body.retryTimeout or 0),
        )
    )


@router.post(
    "/{task_id}/bpmnError",
    status_code=204,
    response_class=Response,
    summary="Camunda: throw a BPMN error (caught by an error boundary event or event "
    "sub-process; uncaught, an incident), setting variables first",
    responses=_ERRORS,
)
async def bpmn_error(
    task_id: str,
    body: CamundaBpmnErrorIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    values = _plain(body.variables)
    return await _lock_held(
        service_tasks.bpmn_error(
            store,
            client,
            task_id,
            body.workerId,
            body.errorCode,
            body.errorMessage,
            values,
            settings,
        )
    )


@router.post(
    "/{task_id}/extendLock",
    status_code=204,
    response_class=Response,
    summary="Camunda: extend the worker's lock to newDuration ms from now",
    responses=_ERRORS,
)
async def extend_lock(
    task_id: str,
    body: CamundaExtendLockIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    duration = timedelta(milliseconds=body.newDuration)
    return await _lock_held(service_tasks.extend_lock(store, task_id, body.workerId, duration))


@router.get(
    "/{task_id}/errorDetails",
    response_class=PlainTextResponse,
    summary="Camunda: the error details of the task's last failure (text)",
    responses={404: _ERRORS[404]},
)
async def error_details(
    task_id: str, store: StoreDep, _: Annotated[Principal, Requires(WORK)]
) -> PlainTextResponse:
    row = await service_tasks.get(store, task_id)
    return PlainTextResponse(row.error_details or "")


@router.post(
    "/{task_id}/lock",
    status_code=204,
    response_class=Response,
    summary="Camunda: lock one task for a worker (free, or already the worker's)",
    responses=_ERRORS | {400: {"description": "Another worker holds the task's lock"}},
)
async def lock(
    task_id: str,
    body: LockIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    duration = timedelta(milliseconds=body.lockDuration)
    return await _lock_held(service_tasks.lock(store, task_id, body.workerId, duration))


@router.post(
    "/{task_id}/unlock",
    status_code=204,
    response_class=Response,
    summary="Camunda: drop the task's lock (fetchable again at once)",
    responses={404: _ERRORS[404]},
)
async def unlock(
    task_id: str, store: StoreDep, _: Annotated[Principal, Requires(WORK)]
) -> Response:
    await service_tasks.unlock(store, task_id)
    return Response(status_code=204)


@router.put(
    "/{task_id}/retries",
    status_code=204,
    response_class=Response,
    summary="Camunda: set the failures a worker may still report before an incident",
    description=(
        "On a waiting task: the failures it may still report (0 fails it for good: a "
        "`failedExternalTask` incident). On a task that failed for good (retries 0): "
        "retries above 0 retry its incident with that many attempts, and a new task is "
        "parked for the workers (this needs `bpms:incident:retry` as well)."
    ),
    responses={404: _ERRORS[404]},
)
async def set_retries(
    task_id: str,
    body: RetriesIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires(WORK)],
) -> Response:
    await service_tasks.set_retries(
        store,
        client,
        settings,
        task_id,
        body.retries,
        may_retry_incident=principal.can("bpms:incident:retry"),
    )
    return Response(status_code=204)


@router.put(
    "/{task_id}/priority",
    status_code=204,
    response_class=Response,
    summary="Camunda: set the task's priority (fetchAndLock with usePriority takes higher first)",
    responses={404: _ERRORS[404]},
)
async def set_priority(
    task_id: str,
    body: PriorityIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(WORK)],
) -> Response:
    await service_tasks.set_priority(store, task_id, body.priority)
    return Response(status_code=204)
