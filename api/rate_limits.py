"""Rate limits per caller and route family, with the ``limits`` library.

The caller is the credential it presents (a hash of its ``Authorization`` header: one
bucket per token or API key) or, without one, its IP address. The family is the path
segment after ``/v1/bpms/`` (``tasks``, ``process-instances`` …) or after ``/v1/``
(``audit``); ``default`` covers every family without its own entry. Health, readiness
and the API docs are never limited. Counts live in memory, or in Redis when
``BATON_RATE_LIMIT_STORAGE`` says so, which lets several API replicas share them.

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
from baton.settings import Settings


class RateLimitConfigError(ValueError):
    """A rate-limit setting cannot be read; ``family`` names the entry at fault."""

    def __init__(self, message: str, *, family: str) -> None:
        super().__init__(message)
        self.family = family


def family_of(path: str) -> str | None:
    """The route family of a path; None for paths that are never limited."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "v1":
        return None
    if parts[1] == "bpms":
        return parts[2] if len(parts) > 2 else "bpms"
    return parts[1]


def caller_of(request: Request) -> str:
    credential = request.headers.get("authorization")
    if credential:
        return "credential:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return "ip:" + (request.client.host if request.client else "unknown")


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
        storage = storage_from_string(settings.rate_limit_storage)
        self.limiter = MovingWindowRateLimiter(storage)

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
        verdict = await limits.check(request)
        if isinstance(verdict, Response):
            return verdict
        response = await call_next(request)
        response.headers.update(verdict)
        return response
