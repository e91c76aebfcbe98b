"""Liveness (no dependencies) and readiness (Temporal and the database answer)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process serves HTTP")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def _check(coro: Any) -> str:
    try:
        await asyncio.wait_for(coro, timeout=2.0)
    except Exception as exc:
        return f"down: {type(exc).__name__}: {exc}".strip()
    return "ok"


@router.get("/ready", summary="Readiness: Temporal and the database are reachable")
async def ready(request: Request) -> JSONResponse:
    client = getattr(request.app.state, "temporal", None)
    store = getattr(request.app.state, "store", None)
    checks = {
        "temporal": await _check(client.service_client.check_health())
        if client
        else "down: not connected",
        "database": await _check(store.ping()) if store else "down: not connected",
    }
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
