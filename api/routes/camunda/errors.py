"""Camunda's error body ``{"type": "<Name>Exception", "message": "…"}`` for every error
under ``/engine-rest``.

Camunda's clients (the external-task clients, generated OpenAPI clients, the Modeler)
read ``type`` and ``message`` to report a failure, so Baton's problem+json would reach
their users as an unreadable error. ``api.problems.problem_response`` routes every error
whose path starts with ``PREFIX`` here -- validation errors, authentication and privilege
failures, operation errors, unknown routes -- the way it routes ``/BPMREST/`` to ONEWEB's
envelope.

Statuses follow Camunda where Camunda's is a client error: 400 ``InvalidRequestException``
(Baton's 422 "well formed but wrong" is Camunda's 400), 403 ``AuthorizationException``,
404 ``RestException``. Where Camunda answers 500 for a state conflict (a claimed task, an
ended instance: ``ProcessEngineException``), Baton keeps 409, because a 5xx from Baton
means a Baton bug (and is what schemathesis hunts for); the ``type`` is still Camunda's.
This module imports nothing from ``api`` so ``api.problems`` can use it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

#: The path prefix of Camunda's REST API.
PREFIX = "/engine-rest"

#: Camunda's exception type for each status Baton answers with.
TYPES: dict[int, str] = {
    400: "InvalidRequestException",
    401: "AuthenticationException",
    403: "AuthorizationException",
    404: "RestException",
    405: "RestException",
    409: "ProcessEngineException",
    413: "InvalidRequestException",
    415: "InvalidRequestException",
    429: "RestException",
    500: "RestException",
    502: "RestException",
    503: "RestException",
}


def applies(path: str) -> bool:
    """Whether an error on ``path`` is answered in Camunda's shape."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def body(status: int, message: str, extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Camunda's error body. Baton's extensions ride along (clients ignore unknown keys),
    except Baton's string reason ``code``, which becomes ``reason``: Camunda's ``code``
    is a number (0 is its generic engine error), and typed clients parse it as one."""
    extra = dict(extensions or {})
    if "code" in extra:
        extra["reason"] = extra.pop("code")
    out: dict[str, Any] = {**extra, "type": TYPES.get(status, "RestException"), "message": message}
    if out["type"] == "ProcessEngineException":
        out["code"] = 0
    return out


def status_of(status: int) -> int:
    """Camunda's status for one of Baton's: 422 (well formed, but wrong) is Camunda's 400."""
    return 400 if status == 422 else status


def response(status: int, message: str, extensions: dict[str, Any] | None = None) -> JSONResponse:
    """The whole answer: Camunda's status and body, as ``application/json``."""
    camunda_status = status_of(status)
    return JSONResponse(body(camunda_status, message, extensions), status_code=camunda_status)
