"""Case status (the shape of Eximee's published Case Repository API) under
``/v1/case-statuses``, plus the repository's own paths (``/api/case-repository/v1``) for
clients written against it. Every status change is announced to the running instances
with the case's business key as the message ``caseStatus.<STATUS>``
(``operations/cases.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep, sweeper
from api.problems import NotFound
from api.schemas import PageNumber, PageOut, PageSize, Wire
from core.settings import Settings
from operations import cases as ops
from store import Store, cases
from store.models import CaseRecord
from store.queries import as_utc

router = APIRouter(tags=["case status"])
PREFIX = "/v1/case-statuses"
REPOSITORY = "/api/case-repository/v1"


class CreateStatusIn(Wire):
    case_type: str = Field(min_length=1, max_length=255, description="e.g. LOAN.")
    client_id: str | None = Field(default=None, max_length=255, description="e.g. a PESEL.")
    client_type: str = Field(min_length=1, max_length=64, description="e.g. PESEL.")
    status: str = Field(min_length=1, max_length=255, description="e.g. OPEN.")
    status_description: str | None = Field(default=None, description="For people.")
    business_key: str | None = Field(max_length=255, description="Links the case to processes.")
    source: str | None = Field(default=None, max_length=255, description="e.g. PORTAL.")


class ChangeStatusIn(Wire):
    status: str = Field(min_length=1, max_length=255, description="The new status.")
    status_description: str | None = Field(default=None, description="For people.")
    source: str | None = Field(default=None, max_length=255, description="Who reports it.")


class CaseStatusOut(Wire):
    case_id: str = Field(description="The case.")
    creation_date: datetime = Field(description="When the case was created (UTC).")
    update_date: datetime = Field(description="When its status last changed (UTC).")
    case_type: str = Field(description="Kind of case.")
    client_id: str | None = Field(description="The client.")
    client_type: str = Field(description="What clientId is.")
    status: str = Field(description="The current status.")
    business_key: str | None = Field(description="Links the case to processes.")
    source: str | None = Field(description="Who reported the status.")
    status_description: str | None = Field(description="The status, for people.")

    @classmethod
    def of(cls, row: CaseRecord) -> CaseStatusOut:
        return cls(
            case_id=row.case_id,
            creation_date=as_utc(row.creation_date) or row.creation_date,
            update_date=as_utc(row.update_date) or row.update_date,
            case_type=row.case_type,
            client_id=row.client_id,
            client_type=row.client_type,
            status=row.status,
            business_key=row.business_key,
            source=row.source,
            status_description=row.status_description,
        )


def _announcing(
    request: Request, client: Client, store: Store, settings: Settings
) -> tuple[str, timedelta]:
    """Where an announcement goes: this deployment's queue, within the settling window
    (the app's sweeper, kicked here, delivers to instances that show up late)."""
    sweeper(request, client, store, settings).ensure_running()
    return settings.task_queue, timedelta(seconds=settings.message_settle_seconds)


class StatusChangeOut(Wire):
    status: str = Field(description="The status set.")
    status_description: str | None = Field(description="The status, for people.")
    source: str | None = Field(description="Who reported it.")
    changed_by: str | None = Field(description="The caller or process that set it.")
    at: datetime = Field(description="When (UTC).")


async def _create(
    request: Request,
    body: CreateStatusIn,
    store: StoreDep,
    client: ClientDep,
    settings: Settings,
    principal: Principal,
) -> CaseStatusOut:
    queue, settle = _announcing(request, client, store, settings)
    new = cases.NewCase(**body.model_dump())
    row = await ops.create(
        client, store, new, by=principal.subject, task_queue=queue, settle=settle
    )
    return CaseStatusOut.of(row)


@router.post(
    PREFIX, status_code=201, response_model=CaseStatusOut, summary="Create a case with a status"
)
async def create_case(
    request: Request,
    body: CreateStatusIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("cases:write")],
) -> CaseStatusOut:
    return await _create(request, body, store, client, settings, principal)


@router.post(
    REPOSITORY,
    response_model=CaseStatusOut,
    summary="Case Repository API: create a case status (answers 200, as that API does)",
)
async def create_case_repository(
    request: Request,
    body: CreateStatusIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("cases:write")],
) -> CaseStatusOut:
    return await _create(request, body, store, client, settings, principal)


async def _get(store: StoreDep, case_id: str) -> CaseRecord:
    row = await cases.get(store, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}", field="caseId")
    return row


@router.get(
    REPOSITORY,
    response_model=CaseStatusOut,
    summary="Case Repository API: a case status by caseId",
    responses={404: {"description": "No such case"}},
)
async def get_case_repository(
    store: StoreDep,
    _: Annotated[Principal, Requires("cases:read")],
    case_id: Annotated[str, Query(alias="caseId", description="The case.")],
) -> CaseStatusOut:
    return CaseStatusOut.of(await _get(store, case_id))


@router.get(
    f"{PREFIX}/{{case_id}}",
    response_model=CaseStatusOut,
    summary="One case's status",
    responses={404: {"description": "No such case"}},
)
async def get_case(
    case_id: str, store: StoreDep, _: Annotated[Principal, Requires("cases:read")]
) -> CaseStatusOut:
    return CaseStatusOut.of(await _get(store, case_id))


@router.put(
    f"{PREFIX}/{{case_id}}",
    response_model=CaseStatusOut,
    summary="Change a case's status (appended to its history; waiting processes are told)",
    responses={404: {"description": "No such case"}},
)
async def change_case_status(
    request: Request,
    case_id: str,
    body: ChangeStatusIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("cases:write")],
) -> CaseStatusOut:
    queue, settle = _announcing(request, client, store, settings)
    row = await ops.change(
        client,
        store,
        case_id,
        body.status,
        body.status_description,
        body.source,
        by=principal.subject,
        task_queue=queue,
        settle=settle,
    )
    return CaseStatusOut.of(row)


@router.get(
    PREFIX,
    response_model=PageOut[CaseStatusOut],
    summary="Cases by client, business key, case type or status, newest first",
)
async def list_cases(
    store: StoreDep,
    _: Annotated[Principal, Requires("cases:read")],
    client_id: Annotated[str | None, Query(alias="clientId", description="The client.")] = None,
    client_type: Annotated[
        str | None, Query(alias="clientType", description="What clientId is.")
    ] = None,
    business_key: Annotated[
        str | None, Query(alias="businessKey", description="The business key.")
    ] = None,
    case_type: Annotated[str | None, Query(alias="caseType", description="Kind.")] = None,
    status: Annotated[str | None, Query(description="Current status.")] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[CaseStatusOut]:
    found = await cases.page(
        store,
        cases.CaseFilter(client_id, client_type, business_key, case_type, status),
        page=page,
        size=size,
    )
    return PageOut[CaseStatusOut](
        items=[CaseStatusOut.of(r) for r in found.items], page=page, size=size, total=found.total
    )


@router.get(
    f"{PREFIX}/{{case_id}}/history",
    response_model=list[StatusChangeOut],
    summary="The status history of a case, oldest first",
    responses={404: {"description": "No such case"}},
)
async def case_history(
    case_id: str, store: StoreDep, _: Annotated[Principal, Requires("cases:read")]
) -> list[StatusChangeOut]:
    await _get(store, case_id)
    return [
        StatusChangeOut(
            status=h.status,
            status_description=h.status_description,
            source=h.source,
            changed_by=h.changed_by,
            at=as_utc(h.at) or h.at,
        )
        for h in await cases.history(store, case_id)
    ]
