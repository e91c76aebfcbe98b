"""An app on a real port, served by uvicorn as in production, for tests whose clients are
real programs (a browser, Camunda's workers, the ``baton`` command): one way to start and
stop it, so every such test waits for the same readiness and shuts down the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.ports import free_port


@asynccontextmanager
async def serve_app(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1:``port`` (a free one unless given); answers its origin,
    ``http://127.0.0.1:<port>``, once uvicorn accepts connections."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
