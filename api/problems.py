"""RFC 9457 ``application/problem+json`` errors for every route.

Exception tree::

    ApiProblem              any error answered as problem+json (status, title, detail)
     ├── NotFound           404
     ├── Invalid            422 (checks beyond the request model)
     ├── Forbidden          403
     ├── Conflict           409
     ├── PayloadTooLarge    413
     └── Unavailable        503 (Temporal or the database cannot be reached in time)

Operations (``operations/``) raise their own errors, without HTTP; ``problem_of`` maps
each kind to its problem here, once for every family (``_BY_KIND``), with the
extensions it carries (``code``, ``outcome``, ``field`` …) as they are.

Under ``/BPMREST/`` (ONEWEB's API) the same errors come in ONEWEB's envelope
``{data: null, code: <status>, message, timestamp, totalRecordCount: 0}``; under
``/engine-rest`` (Camunda 7's API) in Camunda's ``{type: "<Name>Exception", message}``
(``api/routes/camunda/errors.py``).

A client's mistake is always a 4xx naming what was wrong; a 500 means a Baton bug.
Titles follow the status (``title_for``): an ``ApiProblem(status=502)`` is "Bad gateway",
never the base class's "Bad request". A 405 carries ``Allow`` with every method the path
serves (RFC 9110 §15.5.6).
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from temporalio.service import RPCError

from api.routes.camunda import errors as camunda_errors
from operations import errors

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("baton.api")

#: Baton's wording where it has one (422 matches request-validation errors, so clients
#: see one kind of answer); other statuses take the HTTP reason phrase.
_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
}


def title_for(status: int) -> str:
    """The problem title of a status: Baton's wording, else the HTTP phrase."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


class ApiProblem(Exception):
    """A problem answer. A ``status`` given here overrides the class's, and then so does
    its title, so a 502 or 413 raised as a plain ApiProblem is not titled "Bad request"."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None and status != type(self).status:
            self.status = status
            self.title = title_for(status)
        self.headers = headers or {}
        self.extensions = extensions


class NotFound(ApiProblem):
    status = 404
    title = "Not found"


class Conflict(ApiProblem):
    status = 409
    title = "Conflict"


class Invalid(ApiProblem):
    """422 for a body the models accept but the route's own checks refuse (an unknown
    privilege, a template that does not parse, a model path not in the model); the same
    title as request-validation errors, so clients see one kind of answer."""

    status = 422
    title = "Invalid request"


class Forbidden(ApiProblem):
    status = 403
    title = "Forbidden"


class Unavailable(ApiProblem):
    status = 503
    title = "Service unavailable"


class PayloadTooLarge(ApiProblem):
    status = 413
    title = "Content too large"


#: Each kind of operation error as the problem it is answered with.
_BY_KIND: dict[type[errors.OperationError], tuple[type[ApiProblem], int | None]] = {
    errors.NotFound: (NotFound, None),
    errors.Conflict: (Conflict, None),
    errors.Forbidden: (Forbidden, None),
    errors.Invalid: (ApiProblem, 422),
    errors.Refused: (ApiProblem, None),
    errors.TooLarge: (PayloadTooLarge, None),
    errors.Unavailable: (Unavailable, None),
    errors.UpstreamError: (ApiProblem, 502),
}


def problem_of(err: errors.OperationError) -> ApiProblem:
    """The problem an operation's error is answered with (the nearest kind it is; the
    root itself is a 400)."""
    kind, status = next(
        (_BY_KIND[k] for k in type(err).__mro__ if k in _BY_KIND), (ApiProblem, None)
    )
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else None
    return kind(err.detail, status=status, headers=headers, **err.extensions)


def letsflow_error(message: str, reason: list[Any] | None = None) -> dict[str, Any]:
    """LetsFlow's error body ``{"error": {"message", "reason"?}}``, carried as a
    problem+json extension on the LetsFlow routes so its clients find what they read."""
    return {"error": {"message": message, **({"reason": reason} if reason else {})}}


#: Paths whose clients expect ONEWEB's envelope, not problem+json, on errors too.
ENVELOPE_PREFIX = "/BPMREST/"


def _envelope_error(status: int, detail: str, extensions: dict[str, Any]) -> JSONResponse:
    extra = dict(extensions)
    if "code" in extra:  # Baton's reason code (e.g. TaskAlreadyClaimed); ONEWEB's is the status
        extra["reason"] = extra.pop("code")
    body = {
        **extra,
        "data": None,
        "code": status,
        "message": detail,
        "timestamp": int(time.time() * 1000),
        "totalRecordCount": 0,
    }
    return JSONResponse(body, status_code=status)


def problem_response(
    request: Request, status: int, title: str, detail: str, **extensions: Any
) -> JSONResponse:
    if camunda_errors.applies(request.url.path):
        return camunda_errors.response(status, detail, extensions)
    if request.url.path.startswith(ENVELOPE_PREFIX):
        # ONEWEB answers a body it cannot read with 400, not 422
        return _envelope_error(400 if status == 422 else status, detail, extensions)
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        parts = parts[1:] or parts
    return ".".join(parts)


def allowed_methods(request: Request) -> str:
    """Every method some route serves on this path. Starlette's own ``Allow`` names only
    the route that matched first, while FastAPI declares GET and DELETE of one path as
    two routes."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(path):
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        answer = problem_response(request, exc.status, exc.title, exc.detail, **exc.extensions)
        answer.headers.update(exc.headers)
        return answer

    @app.exception_handler(errors.OperationError)
    async def _operation(request: Request, exc: errors.OperationError) -> JSONResponse:
        return await _problem(request, problem_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "?", "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}"
        return problem_response(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail, headers = str(exc.detail), dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
            detail = f"{request.method} is not served here; allowed: {headers['Allow']}"
        extensions: dict[str, Any] = getattr(exc, "extensions", {})
        answer = problem_response(
            request, exc.status_code, title_for(exc.status_code), detail, **extensions
        )
        answer.headers.update(headers)
        return answer

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        """A Temporal call no route mapped itself (Temporal restarting, say): the
        request's outcome is not known, so 503 says so; never a 500 for an outage."""
        _log.warning("Temporal call failed on %s %s: %s", request.method, request.url.path, exc)
        answer = problem_response(
            request,
            503,
            title_for(503),
            f"Temporal did not answer ({exc.message}); what was asked may or may not have "
            "been done. Send it again (with the same Idempotency-Key, if you gave one).",
            outcome="unknown",
        )
        answer.headers["Retry-After"] = "1"
        return answer

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            request, 500, "Internal error", "Baton failed on this request; see the API log"
        )
