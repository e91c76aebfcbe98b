"""Rate limits per caller and route family, with the ``limits`` library.

The caller is the credential it presents (a hash of its ``Authorization`` header: one
bucket per token or API key) or, without one, its IP address. Every route family is
limited (``family_of``): under ``/v1/bpms/`` the next segment (``tasks``,
``process-instances`` …), under ``/v1/`` the next one (``audit``, ``events`` …),
``oneweb`` for ``/BPMREST/``, ``letsflow`` for ``/scenarios``, ``/processes``,
``/apikey``, ``/info`` and ``/demo-accounts``, ``case-repository`` for
``/api/case-repository``; ``default`` covers every family without its own entry and
every other path. Only health, readiness and the API docs are never limited.

Failed authentication is limited per client address as well (``auth_failure_limit``):
a caller that rotates random bad tokens gets a fresh credential bucket with each one, so
the per-credential limit alone would never stop it. Once an address has had that many
401 answers in the window, every request from it is refused with 429 until the window
moves on, before its credential is looked at.

Counts live in memory, or in Redis when ``BATON_RATE_LIMIT_STORAGE`` says so, which lets
several API replicas share them.

Every limited answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (epoch seconds); a refused one is 429 problem+json with
``Retry-After`` (seconds)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api.problems import problem_response
from core.settings import Settings


class RateLimitConfigError(ValueError):
    """A rate-limit setting cannot be read; ``family`` names the entry at fault."""

    def __init__(self, message: str, *, family: str) -> None:
        super().__init__(message)
        self.family = family


#: Never limited: a load balancer's probes and the API documentation.
_UNLIMITED = frozenset({"health", "ready", "docs", "redoc", "openapi.json"})
_LETSFLOW = frozenset({"scenarios", "processes", "apikey", "info", "demo-accounts"})
#: The bucket failed authentications are counted in, per client address.
AUTH_FAILURES = "auth-failures"


def family_of(path: str) -> str | None:
    """The route family of a path; None for the few paths that are never limited."""
    parts = path.strip("/").split("/")
    head = parts[0]
    if head in _UNLIMITED:
        return None
    if head == "v1" and len(parts) > 1:
        if parts[1] == "bpms":
            return parts[2] if len(parts) > 2 else "bpms"
        return parts[1]
    if head == "BPMREST":
        return "oneweb"
    if head in _LETSFLOW:
        return "letsflow"
    if head == "api" and len(parts) > 1:
        return parts[1]
    return "default"


def address_of(request: Request) -> str:
    """The client address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return "ip:" + (request.client.host if request.client else "unknown")


def caller_of(request: Request) -> str:
    credential = request.headers.get("authorization")
    if credential:
        return "credential:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return address_of(request)


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.limits: dict[str, list[RateLimitItem]] = {}
        for family, value in settings.rate_limits.items():
            try:
                self.limits[family] = parse_many(value)
            except ValueError as err:
                raise RateLimitConfigError(
                    f"rate limit for {family!r} cannot be read: {value!r} ({err})",
                    family=family,
                ) from err
        try:
            self.auth_failures = parse_many(settings.auth_failure_limit)
        except ValueError as err:
            raise RateLimitConfigError(
                f"auth_failure_limit cannot be read: {settings.auth_failure_limit!r} ({err})",
                family=AUTH_FAILURES,
            ) from err
        storage = storage_from_string(settings.rate_limit_storage)
        self.limiter = MovingWindowRateLimiter(storage)

    async def check_address(self, request: Request) -> Response | None:
        """429 for an address that failed authentication too often in the window."""
        address = address_of(request)
        for item in self.auth_failures:
            if await self.limiter.test(item, AUTH_FAILURES, address):
                continue
            window = await self.limiter.get_window_stats(item, AUTH_FAILURES, address)
            retry = max(1, math.ceil(window.reset_time - time.time()))
            answer = problem_response(
                request,
                429,
                "Too many requests",
                f"more than {item} failed authentications from this address; retry in {retry} s",
                code="TooManyAuthenticationFailures",
            )
            answer.headers["Retry-After"] = str(retry)
            return answer
        return None

    async def failed_authentication(self, request: Request) -> None:
        """Count a 401 against the client address."""
        for item in self.auth_failures:
            await self.limiter.hit(item, AUTH_FAILURES, address_of(request))

    async def check(self, request: Request) -> Response | dict[str, str]:
        """The refusal to send, or the headers to add to the answer."""
        family = family_of(request.url.path)
        if family is None:
            return {}
        items = self.limits.get(family, self.limits.get("default", []))
        if not items:
            return {}
        caller = caller_of(request)
        refused: RateLimitItem | None = None
        for item in items:
            if not await self.limiter.hit(item, family, caller):
                refused = refused or item
        # report the limit closest to running out (or the one that refused)
        stats = [
            (item, await self.limiter.get_window_stats(item, family, caller)) for item in items
        ]
        item, window = (
            min(stats, key=lambda s: s[1].remaining)
            if refused is None
            else next(s for s in stats if s[0] is refused)
        )
        headers = {
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(max(0, window.remaining)),
            "X-RateLimit-Reset": str(math.ceil(window.reset_time)),
        }
        if refused is None:
            return headers
        retry = max(1, math.ceil(window.reset_time - time.time()))
        answer = problem_response(
            request,
            429,
            "Too many requests",
            f"more than {refused} for {family}; retry in {retry} s",
            code="RateLimited",
        )
        answer.headers.update({**headers, "Retry-After": str(retry)})
        return answer


def install(app: FastAPI, settings: Settings) -> None:
    limits = RateLimits(settings)
    app.state.rate_limits = limits

    @app.middleware("http")
    async def rate_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        limited = family_of(request.url.path) is not None
        if limited and (refused := await limits.check_address(request)) is not None:
            return refused
        verdict = await limits.check(request)
        if isinstance(verdict, Response):
            return verdict
        response = await call_next(request)
        if limited and response.status_code == 401:
            await limits.failed_authentication(request)
        response.headers.update(verdict)
        return response
