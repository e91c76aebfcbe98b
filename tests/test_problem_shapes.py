"""Problem answers say what happened (issue 18): a 405 carries ``Allow`` with every
method the path serves, in problem+json and in ONEWEB's envelope alike; a 413 or 502 is
titled after its status, never "Bad request"."""

from __future__ import annotations

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.problems import ApiProblem, title_for
from store import Store
from tests.conftest import Stack, make_settings
from tests.support.http import deploy, problem


@pytest.mark.parametrize("database_backend", ["sqlite"])
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/health", "GET"),
        ("PUT", "/scenarios", "GET, POST"),
        ("DELETE", "/v1/bpms/process-instances/some-id/variables", "GET, PATCH"),
        ("POST", "/v1/bpms/process-instances/some-id", "GET"),
    ],
)
async def test_405_names_every_allowed_method(
    stack: Stack, method: str, path: str, allowed: str
) -> None:
    answer = await stack.http.request(method, path)
    body = problem(answer, 405)
    assert answer.headers["Allow"] == allowed
    assert body["title"] == "Method not allowed"
    assert allowed in body["detail"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_405_under_bpmrest_keeps_the_envelope_and_carries_allow(stack: Stack) -> None:
    answer = await stack.http.delete("/BPMREST/service/runtime/tasks")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET"
    assert answer.json()["code"] == 405 and answer.json()["data"] is None


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_diagram_over_the_file_limit_is_413_content_too_large(stack: Stack) -> None:
    huge = b"<x>" + b" " * (10 * 1024 * 1024) + b"</x>"
    body = problem(await deploy(stack.http, ("huge.bpmn", huge)), 413)
    assert body["title"] == "Content too large"
    assert "10485760" in body["detail"]


@pytest.mark.parametrize("database_backend", ["sqlite"])
async def test_a_502_from_a_route_is_titled_bad_gateway(
    temporal_env: WorkflowEnvironment, store: Store
) -> None:
    settings = make_settings(temporal_env, str(store.engine.url), "problems")
    app = create_app(settings, client=temporal_env.client, store=store)

    @app.get("/v1/bpms/upstream-probe")
    async def upstream() -> None:  # how operations/calls.py reports a refused RPC
        raise ApiProblem("Temporal refused the call for i-1: internal", status=502)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        body = problem(await http.get("/v1/bpms/upstream-probe"), 502)
    assert body["title"] == "Bad gateway"


def test_titles_follow_the_status() -> None:
    assert [title_for(s) for s in (400, 413, 415, 422, 502, 504)] == [
        "Bad request",
        "Content too large",
        "Unsupported Media Type",
        "Invalid request",
        "Bad gateway",
        "Gateway Timeout",
    ]
    assert ApiProblem("x", status=413).title == "Content too large"
    assert ApiProblem("x").title == "Bad request"
