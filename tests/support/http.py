"""Small helpers for driving the API in tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


async def deploy(http: httpx.AsyncClient, *files: Path | tuple[str, bytes]) -> httpx.Response:
    parts = []
    for f in files:
        name, data = (f.name, f.read_bytes()) if isinstance(f, Path) else f
        parts.append(("file", (name, data, "application/xml")))
    return await http.post("/v1/bpms/deployments", files=parts)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns something truthy (read models are eventually consistent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body
