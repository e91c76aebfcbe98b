"""A bound on request bodies, enforced before the body is read into memory.

A body announced larger than the limit (``Content-Length``) is refused before a byte of
it is read; a body without a length (chunked) is counted as it streams in and refused
the moment it passes the limit, so neither costs more memory than the limit. The answer
is 413 problem+json (ONEWEB's envelope under ``/BPMREST/``) naming the limit and the
setting that raises it.

Two limits, because the bodies differ: JSON commands are bounded by
``BATON_MAX_BODY_BYTES`` (10 MiB: anything near it is far beyond what Temporal accepts
as a payload, 2 MB, so a larger body can only be a mistake or an attack), while
``multipart/form-data`` uploads (deployments of several diagrams, document templates)
are bounded by ``BATON_MAX_UPLOAD_BYTES`` (64 MiB). Routes keep their own tighter
per-file limits (``deployments.MAX_FILE_BYTES``).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response, title_for
from core.settings import Settings


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit. An HTTPException,
    so FastAPI's body parsing passes it on (it turns other errors into 400) and the
    problem handlers answer it like any 413."""

    def __init__(self, detail: str, limit: int) -> None:
        super().__init__(status_code=413, detail=detail)
        self.extensions = {"limit": limit}


class BodyLimit:
    """Pure ASGI middleware: it only wraps ``receive``, so streaming stays streaming."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> tuple[int, str]:
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                return self.max_upload_bytes, "BATON_MAX_UPLOAD_BYTES"
        return self.max_body_bytes, "BATON_MAX_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self._limit(scope)
        detail = f"the request body is larger than the limit of {limit} bytes ({setting})"
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            answer = problem_response(Request(scope), 413, title_for(413), detail, limit=limit)
            answer.headers["Connection"] = "close"  # the unread body must not be parsed
            await answer(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            if seen > limit:  # never read on once refused
                raise BodyTooLarge(detail, limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(detail, limit)
            return message

        await self.app(scope, bounded, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def install(app: FastAPI, settings: Settings) -> None:
    """Innermost of Baton's middleware: rate limits and the audit see the 413."""
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
