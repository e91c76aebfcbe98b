"""Rate limits per caller and route family: 429 problem+json with Retry-After and the
X-RateLimit-* headers; other callers and families keep their own budgets; health is
never limited; a refused write is on the audit record."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.rate_limits import RateLimitConfigError, RateLimits, family_of
from store import Store
from tests.conftest import make_settings

JOHN = {"Authorization": "Bearer demo-john"}


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_caller_over_its_budget_gets_429(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"rl-{uuid.uuid4().hex[:6]}")
    settings = settings.model_copy(
        update={"rate_limits": {"default": "100/minute", "tasks": "3/minute"}}
    )
    app = create_app(settings, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        answers = [await http.get("/v1/bpms/tasks") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        assert answers[0].headers["X-RateLimit-Limit"] == "3"
        refused = await http.get("/v1/bpms/tasks")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "RateLimited" and "tasks" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert int(refused.headers["X-RateLimit-Reset"]) > time.time()
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        # the same caller, another family; another caller, the same family; health
        assert (await http.get("/v1/bpms/incidents")).status_code == 200
        assert (await http.get("/v1/bpms/tasks", headers=JOHN)).status_code == 200
        assert (await http.get("/health")).status_code == 200
        # a refused write is on the audit record, as a failed call
        for _ in range(3):
            await http.post("/v1/bpms/tasks/none/claim", headers=JOHN, json={})
        log = (await http.get("/v1/audit")).json()["items"]
        assert log[0]["status"] == 429 and log[0]["subject"] is None
        assert log[0]["outcome"] == "failed"


def test_families_and_bad_settings(temporal_env: WorkflowEnvironment) -> None:
    assert family_of("/v1/bpms/tasks/t-1/claim") == "tasks"
    assert family_of("/v1/bpms/process-instances") == "process-instances"
    assert family_of("/v1/audit") == "audit"
    assert family_of("/health") is None and family_of("/docs") is None
    assert family_of("/ready") is None and family_of("/openapi.json") is None
    assert family_of("/v1/events") == "events"
    assert family_of("/BPMREST/service/runtime/tasks") == "oneweb"
    assert [family_of(p) for p in ("/scenarios", "/processes/p-1", "/apikey", "/info")] == [
        "letsflow"
    ] * 4
    assert family_of("/api/case-repository/cases") == "case-repository"
    assert family_of("/anything/else") == "default"
    settings = make_settings(temporal_env, "sqlite+aiosqlite:///:memory:", "q")
    with pytest.raises(RateLimitConfigError) as bad:
        RateLimits(settings.model_copy(update={"rate_limits": {"tasks": "lots"}}))
    assert bad.value.family == "tasks"
    with pytest.raises(RateLimitConfigError) as bad:
        RateLimits(settings.model_copy(update={"auth_failure_limit": "many"}))
    assert bad.value.family == "auth-failures"


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_letsflow_and_oneweb_routes_are_limited_too(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"rl-{uuid.uuid4().hex[:6]}")
    settings = settings.model_copy(
        update={"rate_limits": {"default": "2/minute", "oneweb": "3/minute"}}
    )
    app = create_app(settings, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        for path in ("/info", "/scenarios"):  # one 'letsflow' budget, from 'default'
            assert (await http.get(path)).status_code == 200
        refused = await http.get("/processes")
        assert refused.status_code == 429 and refused.json()["code"] == "RateLimited"
        assert "letsflow" in refused.json()["detail"] and refused.headers["Retry-After"]
        oneweb = "/BPMREST/service/runtime/tasks"
        answers = [(await http.get(oneweb)).status_code for _ in range(4)]
        assert [s == 429 for s in answers] == [False, False, False, True]
        envelope = (await http.get(oneweb)).json()  # ONEWEB's shape, even when refused
        assert envelope["code"] == 429 and envelope["data"] is None
        assert (await http.get("/health")).status_code == 200


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_rotating_bad_tokens_are_throttled_per_address(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), f"rl-{uuid.uuid4().hex[:6]}")
    settings = settings.model_copy(update={"auth_failure_limit": "5/minute"})
    app = create_app(settings, client=temporal_env.client, store=store)

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://baton.test")

    def random_token() -> dict[str, str]:
        return {"Authorization": f"Bearer {uuid.uuid4().hex}"}

    async with client("203.0.113.7") as attacker, client("198.51.100.2") as bystander:
        failed = [(await attacker.get("/v1/bpms/tasks", headers=random_token())) for _ in range(5)]
        assert [a.status_code for a in failed] == [401] * 5
        for path in ("/v1/bpms/tasks", "/scenarios"):
            refused = await attacker.get(path, headers=random_token())
            assert refused.status_code == 429, refused.text
            assert refused.json()["code"] == "TooManyAuthenticationFailures"
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # the address is held off before its credential is looked at, a good one too
        assert (await attacker.get("/v1/bpms/tasks", headers=JOHN)).status_code == 429
        # another address is not affected, nor are health probes
        assert (await bystander.get("/v1/bpms/tasks", headers=JOHN)).status_code == 200
        assert (await bystander.get("/v1/bpms/tasks", headers=random_token())).status_code == 401
        assert (await attacker.get("/health")).status_code == 200
