"""``GET /v1/audit``: the audit log, for administrators only. There is no route that
changes it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.schemas import PageNumber, PageOut, PageSize, Wire
from store import audit
from store.queries import as_utc

router = APIRouter(prefix="/v1/audit", tags=["audit"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only administrators read the audit log"},
}


class AuditRecordOut(Wire):
    id: int = Field(description="Position in the log: later records have higher ids.")
    at: datetime = Field(description="When the answer was given (UTC).")
    request_id: str = Field(description="The request's X-Request-ID.")
    subject: str | None = Field(description="Who called; null when unauthenticated.")
    roles: list[str] = Field(description="The caller's roles at the time.")
    method: str = Field(description="HTTP method.")
    route: str = Field(description="The route's path template, e.g. /v1/bpms/tasks/{task_id}.")
    path: str = Field(description="The path called.")
    resource_id: str | None = Field(description="The path parameters, comma-separated.")
    status: int = Field(description="The HTTP status of the answer.")
    outcome: Literal["allowed", "denied", "failed"] = Field(
        description="denied: 401 or 403; failed: another 4xx or 5xx; allowed: the rest."
    )


@router.get(
    "",
    response_model=PageOut[AuditRecordOut],
    summary="Read the audit log, newest first",
    responses=_ERRORS,
)
async def list_audit(
    store: StoreDep,
    _: Annotated[Principal, Requires("admin")],
    subject: Annotated[str | None, Query(description="Only this caller's records.")] = None,
    outcome: Annotated[
        Literal["allowed", "denied", "failed"] | None, Query(description="Only this outcome.")
    ] = None,
    after: Annotated[datetime | None, Query(description="Records at or after this time.")] = None,
    before: Annotated[datetime | None, Query(description="Records before this time.")] = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[AuditRecordOut]:
    result = await audit.page(
        store,
        audit.AuditFilter(subject=subject, outcome=outcome, after=after, before=before),
        page=page,
        size=size,
    )
    items = [
        AuditRecordOut(
            id=r.id,
            at=as_utc(r.at) or r.at,
            request_id=r.request_id,
            subject=r.subject,
            roles=list(r.roles),
            method=r.method,
            route=r.route,
            path=r.path,
            resource_id=r.resource_id,
            status=r.status,
            outcome=r.outcome,
        )
        for r in result.items
    ]
    return PageOut(items=items, page=page, size=size, total=result.total)
