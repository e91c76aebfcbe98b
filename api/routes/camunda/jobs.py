"""Camunda's ``/engine-rest/job``: the failed jobs Cockpit and Camunda's clients retry.

Camunda runs asynchronous continuations, timers and service-task delegates as jobs; a
job that runs out of retries opens a ``failedJob`` incident, and setting the job's
retries again is how an operator retries it. Baton runs that work as Temporal
activities and timers, which retry themselves, so the only jobs to show are the failed
ones: each open ``failedJob`` incident is a job with the incident's id, 0 retries and the
failure as its exception. ``PUT /job/{id}/retries`` retries the incident with that many
attempts, through the instance, exactly as ``/v1/bpms/incidents/{id}/retry`` does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.routes.camunda.incidents import READ, SortOrder
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting, parse_definition_id
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variables import format_date
from operations import incidents as incident_ops
from operations.errors import NotFound
from store import incidents, queries
from store.db import Store
from store.incidents import IncidentFilter, IncidentHit

router = APIRouter(prefix="/engine-rest/job", tags=["camunda jobs"])

RETRY = "bpms:incident:retry"
FAILED_JOB = "failedJob"
_INT = 2**31 - 1
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such job"}}
Sorting = Literal[
    "jobId",
    "executionId",
    "processInstanceId",
    "processDefinitionId",
    "processDefinitionKey",
    "jobPriority",
    "jobRetries",
    "jobDueDate",
    "tenantId",
]
_SORTS = {
    "jobId": "incidentId",
    "executionId": "processInstanceId",
    "processInstanceId": "processInstanceId",
    "processDefinitionId": "processDefinitionId",
    "processDefinitionKey": "processDefinitionKey",
    "jobPriority": "tenantId",  # every job has priority 0: ties
    "jobRetries": "tenantId",  # every failed job has 0 retries
    "jobDueDate": "tenantId",  # no due dates
    "tenantId": "tenantId",
}


class JobOut(BaseModel):
    """Camunda's JobDto."""

    id: str = Field(description="The job id: the failedJob incident's id.")
    jobDefinitionId: str | None = Field(default=None, description="Always null.")
    processInstanceId: str = Field(description="The instance.")
    processDefinitionId: str | None = Field(description="key:version:<deployment id>.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    exceptionMessage: str = Field(description="Why the element failed.")
    failedActivityId: str = Field(description="The element that failed.")
    retries: int = Field(description="Always 0: a listed job failed for good.")
    dueDate: str | None = Field(default=None, description="Always null.")
    suspended: bool = Field(default=False, description="Always false.")
    priority: int = Field(default=0, description="Always 0.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")
    createTime: str = Field(description="When the job failed for good.")
    batchId: str | None = Field(default=None, description="Always null.")


class RetriesIn(CamundaIn):
    retries: int = Field(ge=0, le=_INT, description="Attempts of the retried activity.")


async def _job_out(ids: DefinitionIds, hit: IncidentHit) -> JobOut:
    row = hit.row
    version = hit.definition_version
    return JobOut(
        id=row.id,
        processInstanceId=row.process_instance_id,
        processDefinitionId=await ids.id(row.definition_key, version) if version else None,
        processDefinitionKey=row.definition_key,
        executionId=row.process_instance_id,
        exceptionMessage=row.message,
        failedActivityId=row.element_id,
        retries=0,
        createTime=format_date(queries.as_utc(row.created) or row.created),
    )


def _one(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else (value,)


def _split(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(p for p in text.split(",") if p)


def _both(*groups: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The values every given group allows (None: no group given)."""
    found: set[str] | None = None
    for group in groups:
        if group is not None:
            found = set(group) if found is None else found & set(group)
    return None if found is None else tuple(sorted(found))


class _Query:
    def __init__(
        self,
        job_id: Annotated[str | None, Query(alias="jobId")] = None,
        job_ids: Annotated[str | None, Query(alias="jobIds")] = None,
        process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
        process_instance_ids: Annotated[str | None, Query(alias="processInstanceIds")] = None,
        execution_id: Annotated[str | None, Query(alias="executionId")] = None,
        process_definition_id: Annotated[str | None, Query(alias="processDefinitionId")] = None,
        process_definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
        activity_id: Annotated[str | None, Query(alias="activityId")] = None,
        failed_activity_id: Annotated[str | None, Query(alias="failedActivityId")] = None,
        exception_message: Annotated[str | None, Query(alias="exceptionMessage")] = None,
        with_retries_left: Annotated[bool | None, Query(alias="withRetriesLeft")] = None,
        executable: bool | None = None,
        timers: bool | None = None,
        messages: bool | None = None,
        with_exception: Annotated[bool | None, Query(alias="withException")] = None,
        no_retries_left: Annotated[bool | None, Query(alias="noRetriesLeft")] = None,
        active: bool | None = None,
        suspended: bool | None = None,
        tenant_id_in: Annotated[str | None, Query(alias="tenantIdIn")] = None,
    ) -> None:
        keys: tuple[str, ...] | None = _one(process_definition_key)
        version = None
        if process_definition_id is not None:
            parsed = parse_definition_id(process_definition_id)
            keys = _both(keys, (parsed[0],) if parsed else ())
            version = parsed[1] if parsed else None
        # failed jobs have no retries left, are not executable, are no timers or
        # messages, always have an exception, are never suspended, have no tenant
        self.empty = bool(
            with_retries_left
            or executable
            or timers
            or messages
            or with_exception is False
            or no_retries_left is False
            or suspended
            or active is False
            or _split(tenant_id_in)
        )
        self.filter = IncidentFilter(
            incident_ids=_both(_one(job_id), _split(job_ids)),
            incident_type=FAILED_JOB,
            message=exception_message,
            instance_ids=_both(
                _one(process_instance_id), _split(process_instance_ids), _one(execution_id)
            ),
            definition_keys=keys,
            definition_version=version,
            element_ids=_both(_one(activity_id), _one(failed_activity_id)),
            resolved=False,
        )


@router.get("", response_model=list[JobOut], summary="Camunda: query failed jobs")
async def list_jobs(
    store: StoreDep,
    _: Annotated[Principal, Requires(READ)],
    q: Annotated[_Query, Depends()],
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=_INT)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=_INT)] = None,
) -> list[JobOut]:
    check_sorting(sort_by, sort_order)
    if q.empty:
        return []
    sort = [(_SORTS[sort_by], sort_order == "desc")] if sort_by else []
    hits = await incidents.find(
        store, q.filter, sort=sort, offset=first_result or 0, limit=max_results
    )
    ids = DefinitionIds(store)
    return [await _job_out(ids, h) for h in hits]


@router.get("/count", response_model=CountOut, summary="Camunda: count failed jobs")
async def count_jobs(
    store: StoreDep, _: Annotated[Principal, Requires(READ)], q: Annotated[_Query, Depends()]
) -> CountOut:
    return CountOut(count=0 if q.empty else await incidents.total(store, q.filter))


async def _open_job(store: Store, job_id: str) -> IncidentHit:
    found = await incidents.find(
        store, IncidentFilter(incident_ids=(job_id,), incident_type=FAILED_JOB, resolved=False)
    )
    if not found:
        raise NotFound(f"Job with id {job_id} does not exist")
    return found[0]


@router.get(
    "/{job_id}", response_model=JobOut, summary="Camunda: get a failed job", responses=_NOT_FOUND
)
async def get_job(job_id: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]) -> JobOut:
    return await _job_out(DefinitionIds(store), await _open_job(store, job_id))


@router.get(
    "/{job_id}/stacktrace",
    response_class=PlainTextResponse,
    summary="Camunda: the failure of a job, as text",
    responses=_NOT_FOUND,
)
async def job_stacktrace(
    job_id: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> PlainTextResponse:
    return PlainTextResponse((await _open_job(store, job_id)).row.message)


@router.put(
    "/{job_id}/retries",
    status_code=204,
    response_class=Response,
    summary="Camunda: set a failed job's retries: retries its incident with that many attempts",
    description=(
        "Retries above 0 run the failed element again with that many attempts (the "
        "incident closes); 0 leaves the job failed."
    ),
    responses=_NOT_FOUND,
)
async def set_job_retries(
    job_id: str,
    body: RetriesIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires(RETRY)],
) -> Response:
    await _open_job(store, job_id)
    if body.retries > 0:
        await incident_ops.retry(
            client, store, settings, job_id, variables={}, attempts=body.retries
        )
    return Response(status_code=204)


@router.post(
    "/{job_id}/execute",
    status_code=204,
    response_class=Response,
    summary="Camunda: run a failed job once more now",
    description=(
        "Runs the failed element again with one attempt, as Camunda's execute runs the job "
        "once; the call returns once the instance took the retry, not after the run."
    ),
    responses=_NOT_FOUND,
)
async def execute_job(
    job_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires(RETRY)],
) -> Response:
    await _open_job(store, job_id)
    await incident_ops.retry(client, store, settings, job_id, variables={}, attempts=1)
    return Response(status_code=204)
