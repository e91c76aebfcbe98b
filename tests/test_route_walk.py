"""Least privilege, checked by walking the routes in the OpenAPI document:

* outside dev mode every route except health, readiness and the API's own documentation
  refuses a call without credentials, or with a demo token, with 401 problem+json;
* every other operation names the privilege it needs (``x-baton-privilege``), from the
  catalogue in baton/privileges.py;
* a caller holding no privilege is refused with 403 everywhere, and the refusal names
  the same privilege the document does -- so the document is what is enforced.

A route added without ``Requires`` fails here."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.openapi import PRIVILEGE_KEY
from core.privileges import CATALOGUE
from store import Store
from tests.conftest import make_settings

OPEN = {"/health", "/ready", "/info", "/demo-accounts"}  # plus /docs, /redoc, /openapi.json


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_route_but_health_refuses_calls_without_credentials(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"walk-{uuid.uuid4().hex[:6]}")
    # the walk fails authentication on purpose, far more often than the per-address
    # limit on failed authentication allows (tests/test_rate_limits.py covers that)
    unthrottled = {"env": "prod", "auth_failure_limit": "100000/minute"}
    app = create_app(
        settings.model_copy(update=unthrottled), client=temporal_env.client, store=store
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
                if template.startswith("/BPMREST/"):  # ONEWEB's envelope, errors included
                    assert answer.json()["code"] == 401 and answer.json()["data"] is None
                elif template.startswith("/engine-rest/"):  # Camunda's error body
                    assert answer.json()["type"] == "AuthenticationException"
                else:
                    assert answer.headers["content-type"] == "application/problem+json"
                # the Case Repository's OpenAPI declares HTTP Basic only: challenged there
                scheme = "Basic" if template.startswith("/api/case-repository/") else "Bearer"
                assert answer.headers["www-authenticate"].startswith(scheme), template
                demo = await http.request(
                    method.upper(), path, json={}, headers={"Authorization": "Bearer demo-demo"}
                )
                assert demo.status_code == 401, f"{method} {template}: demo token let in"
                body = demo.json()
                assert "BATON_ENV=dev" in body.get("detail", body.get("message", ""))
                walked += 1
        for path in sorted(OPEN - {"/demo-accounts"} | {"/docs", "/openapi.json"}):
            assert (await http.get(path)).status_code in (200, 503), path
        assert (await http.get("/demo-accounts")).status_code == 403  # dev mode only
    assert walked >= 40  # the walk reached the whole API, not an empty list


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_every_route_declares_a_privilege_and_enforces_it(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"walk-{uuid.uuid4().hex[:6]}")
    # john's only role maps to nothing, and "*" grants nothing: he holds no privilege
    bare = settings.model_copy(update={"role_privileges": {"admin": ["*"]}})
    app = create_app(bare, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    john = {"Authorization": "Bearer demo-john"}
    declared: set[str] = set()
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        for template, operations in app.openapi()["paths"].items():
            if template in OPEN:
                continue
            path = re.sub(r"\{[^}]+\}", "x-1", template)
            for method, operation in sorted(operations.items()):
                privilege = operation.get(PRIVILEGE_KEY)
                assert privilege in CATALOGUE, f"{method} {template} declares {privilege!r}"
                assert "403" in operation["responses"], f"{method} {template}"
                declared.add(privilege)
                answer = await http.request(method.upper(), path, json={}, headers=john)
                assert answer.status_code == 403, f"{method} {template}: {answer.status_code}"
                assert answer.json()["privilege"] == privilege, f"{method} {template}"
    # the walk covered the privileges of every family that has routes today
    assert {"deploy", "bpms:task:complete", "bpms:incident:retry", "events:publish"} <= declared
    assert {"admin", "apikey:issue", "apikey:revoke", "bpms:service-task:work"} <= declared
