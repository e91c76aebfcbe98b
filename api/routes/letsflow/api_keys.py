"""LetsFlow's API keys (``/apikey``): issue, list, revoke.

A key carries privileges of its own and, optionally, LetsFlow's scope (``processes``:
which scenarios, actors and actions it may use; or ``service``). The token
(``lfl_…``) is in the answer to the issuing call only; Baton keeps its sha256. A caller
can only hand out privileges it holds itself, so ``apikey:issue`` is no way to escalate.

Times are JavaScript ``Date``s as LetsFlow's engine keeps them (src/apikey/apikey.service.ts):
whole milliseconds, written ``2025-01-01T00:00:00.000Z``, and ``expiration`` is exactly
``issued`` plus ``expirationDays`` (30 by default).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import Field, JsonValue, model_validator

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import Forbidden, Invalid, NotFound, letsflow_error
from api.schemas import Wire
from core import privileges
from letsflow import format_timestamp
from store import api_keys
from store.models import ApiKeyRecord

router = APIRouter(prefix="/apikey", tags=["api keys"])


class ProcessScope(Wire):
    scenario: str = Field(min_length=1, description="Scenario id or name the key may use.")
    actors: list[str] | None = Field(default=None, description="Actors it may act as.")
    actions: list[str] | None = Field(default=None, description="Actions it may perform.")


class ApiKeyIn(Wire):
    name: str = Field(min_length=1, max_length=255, description="What the key is for.")
    description: str | None = Field(default=None, max_length=4000, description="Free text.")
    privileges: list[str] = Field(
        default_factory=list, description="Privileges the key grants (a subset of yours)."
    )
    expiration_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days until it expires (default 30)."
    )
    expiration: datetime | None = Field(default=None, description="When it expires.")
    processes: list[ProcessScope] | None = Field(
        default=None, description="LetsFlow scope; absent: every scenario."
    )
    service: str | None = Field(default=None, max_length=255, description="Newer scope form.")

    @model_validator(mode="after")
    def _one_expiry(self) -> ApiKeyIn:
        if self.expiration_days is not None and self.expiration is not None:
            raise ValueError("give expirationDays or expiration, not both")
        if self.processes is not None and self.service is not None:
            raise ValueError("give processes or service, not both")
        return self


_DATE: dict[str, JsonValue] = {"format": "date-time"}


def _js_date(moment: datetime) -> datetime:
    """``moment`` in UTC to the millisecond, as a JavaScript ``Date`` holds it."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def _written(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


class ApiKeyOut(Wire):
    id: str
    name: str
    description: str | None = Field(description="Free text.")
    privileges: list[str] = Field(description="What the key may do.")
    processes: list[dict[str, Any]] | None = Field(
        description="LetsFlow scope: [{scenario, actors?, actions?}]; null: unrestricted."
    )
    service: str | None = Field(description="The service the key acts for, if scoped so.")
    issued: str = Field(description="When it was issued (UTC).", json_schema_extra=_DATE)
    issued_by: str = Field(description="Who issued it.")
    expiration: str | None = Field(
        description="When it stops working (UTC).", json_schema_extra=_DATE
    )
    last_used: str | None = Field(
        description="Last use, to the minute (UTC).", json_schema_extra=_DATE
    )
    revoked: str | None = Field(
        description="When it was revoked; null if active.", json_schema_extra=_DATE
    )

    @classmethod
    def of(cls, row: ApiKeyRecord) -> ApiKeyOut:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            privileges=list(row.privileges),
            processes=row.processes,
            service=row.service,
            issued=format_timestamp(row.issued),
            issued_by=row.issued_by,
            expiration=_written(row.expiration),
            last_used=_written(row.last_used),
            revoked=_written(row.revoked),
        )


class IssuedApiKeyOut(ApiKeyOut):
    token: str = Field(description="The key itself, shown this once: send it as a Bearer token.")


@router.post(
    "",
    status_code=201,
    response_model=IssuedApiKeyOut,
    summary="Issue an API key (its token is shown once)",
    responses={403: {"description": "Asked for privileges the caller does not hold"}},
)
async def issue_api_key(
    body: ApiKeyIn, store: StoreDep, principal: Annotated[Principal, Requires("apikey:issue")]
) -> IssuedApiKeyOut:
    unknown = privileges.unknown(body.privileges)
    if unknown:
        raise Invalid(
            f"privileges: unknown {unknown}",
            errors=[{"field": "privileges", "message": f"unknown privileges {unknown}"}],
        )
    beyond = [p for p in body.privileges if not principal.can(p)]
    if beyond:
        message = f"you cannot grant privileges you do not hold: {beyond}"
        raise Forbidden(message, **letsflow_error(message))
    now = _js_date(datetime.now(UTC))
    expiration = (
        _js_date(body.expiration)
        if body.expiration is not None
        else now + timedelta(days=body.expiration_days or 30)
    )
    if expiration <= now:
        raise Invalid(
            "expiration: must be in the future",
            errors=[{"field": "expiration", "message": "must be in the future"}],
        )
    row, token = await api_keys.issue(
        store,
        api_keys.NewApiKey(
            name=body.name,
            description=body.description,
            privileges=sorted(set(body.privileges)),
            processes=[p.model_dump(exclude_none=True) for p in body.processes]
            if body.processes is not None
            else None,
            service=body.service,
            expiration=expiration,
            issued_by=principal.subject,
            issued=now,
        ),
    )
    return IssuedApiKeyOut(**ApiKeyOut.of(row).model_dump(), token=token)


@router.get("", response_model=list[ApiKeyOut], summary="List API keys (never their tokens)")
async def list_api_keys(
    store: StoreDep, _: Annotated[Principal, Requires("apikey:issue")]
) -> list[ApiKeyOut]:
    return [ApiKeyOut.of(row) for row in await api_keys.listed(store)]


@router.delete(
    "/{key_id}",
    status_code=204,
    summary="Revoke an API key (it stops working at once)",
    responses={404: {"description": "No such key"}},
)
async def revoke_api_key(
    key_id: str, store: StoreDep, _: Annotated[Principal, Requires("apikey:revoke")]
) -> Response:
    if not await api_keys.revoke(store, key_id, datetime.now(UTC)):
        raise NotFound(f"no API key {key_id}", **letsflow_error("API key not found"))
    return Response(status_code=204)
