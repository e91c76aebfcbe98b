"""Audit of the HTTP API: every mutating call (POST, PUT, PATCH, DELETE) and every
refused one (401, 403, whatever the method) is appended to the audit log with who made
it, what it addressed and how it ended, before the answer leaves. Each request carries
an id: the caller's ``X-Request-ID`` when it sends a sane one, a new one otherwise, and
the answer echoes it, so a log line, an audit record and a client's report meet."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response

from core import logs
from store import audit
from store.db import Store

_log = logging.getLogger("baton.audit")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DENIED = frozenset({401, 403})
REQUEST_ID = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def outcome(status: int) -> str:
    if status in DENIED:
        return "denied"
    return "allowed" if status < 400 else "failed"


def _request_id(request: Request) -> str:
    given = request.headers.get(REQUEST_ID, "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def audit_calls(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = _request_id(request)
        request.state.request_id = request_id
        logs.REQUEST_ID.set(request_id)  # on every log record of this request
        response = await call_next(request)
        response.headers[REQUEST_ID] = request_id
        if request.method in MUTATING or response.status_code in DENIED:
            await _append(request, response.status_code, request_id)
        return response


async def _append(request: Request, status: int, request_id: str) -> None:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        return
    principal = getattr(request.state, "principal", None)
    route = request.scope.get("route")
    template = getattr(route, "path", None) or request.url.path
    params = request.path_params
    entry = audit.AuditEntry(
        at=datetime.now(UTC),
        request_id=request_id,
        subject=principal.subject if principal else None,
        roles=sorted(principal.roles) if principal else [],
        method=request.method,
        route=template,
        path=request.url.path,
        resource_id=",".join(str(v) for v in params.values()) or None,
        status=status,
        outcome=outcome(status),
    )
    try:
        await audit.append(store, entry)
    except Exception:  # the call has happened: its answer must still reach the caller
        _log.exception("audit record lost: %s", entry)
