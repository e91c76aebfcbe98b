"""Least privilege, checked by walking the routes: outside dev mode, every route of the
API except health, readiness and the API's own documentation refuses a call without
credentials with 401 problem+json, whatever the body or path parameters. The walk goes
over the OpenAPI document, so a route added without the principal dependency fails
here."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from store import Store
from tests.conftest import make_settings

OPEN = {"/health", "/ready"}  # plus FastAPI's /docs, /redoc and /openapi.json


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_route_but_health_refuses_calls_without_credentials(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"walk-{uuid.uuid4().hex[:6]}")
    app = create_app(
        settings.model_copy(update={"dev_mode": False}), client=temporal_env.client, store=store
    )
    transport = httpx.ASGITransport(app=app)
    walked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        for template, operations in app.openapi()["paths"].items():
            if template in OPEN:
                continue
            path = re.sub(r"\{[^}]+\}", "x-1", template)
            for method in sorted(operations):
                answer = await http.request(method.upper(), path, json={})
                assert answer.status_code == 401, f"{method} {template}: {answer.status_code}"
                assert answer.headers["content-type"] == "application/problem+json"
                walked += 1
        for path in sorted(OPEN | {"/docs", "/openapi.json"}):
            assert (await http.get(path)).status_code in (200, 503), path
    assert walked >= 40  # the walk reached the whole API, not an empty list
