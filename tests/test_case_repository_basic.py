"""HTTP Basic on Eximee's Case Repository paths (issue 24), checked against its published
OpenAPI document (https://docs.eximee.com/eksploatacja-aplikacji/eximee-api/case-repository-api:
OpenAPI 3.0.3 "Eximee Case Repository API" 1.0.0, server ``https://{host}/api/case-repository``,
``security: [{basicAuth: []}]`` with ``basicAuth: {type: http, scheme: basic}`` as its
only scheme; ``POST /v1`` "Tworzy status sprawy" answers 200, ``GET /v1?caseId=``
"Pobiera status sprawy po caseId").

The API runs in production mode against a real OpenID Connect provider process (Keycloak's
URL layout; see tests/oidc_provider): a realm user's Basic password is checked with the
realm's direct grant, an API key is accepted as the Basic password, each with the same
privileges as under Bearer. A 401 there challenges Basic, as the document declares;
before issue 24 it said "Authorization: Bearer" and challenged Bearer only."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from store import Store, api_keys
from tests.conftest import make_settings
from tests.support.http import problem
from tests.support.oidc import OidcClient, OidcProvider, OidcUser, new_rsa_key

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

REPOSITORY = "/api/case-repository/v1"
#: The document's own example of CreateStatusRequest.
EXAMPLE = {
    "caseType": "LOAN",
    "clientId": "12345678901",
    "clientType": "PESEL",
    "status": "OPEN",
    "statusDescription": "Wniosek o kredyt został złożony.",
    "businessKey": "BK-2026-0001",
    "source": "PORTAL",
}
DIRECT_GRANT = OidcClient("cases-app", "cases-secret", "cases-app", [])
USERS = [
    OidcUser("carla", "carla-pw", ["integration"]),  # cases:write
    OidcUser("mary", "mary-pw", ["accounting"]),  # cases:read only (every caller's)
]


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OidcProvider]:
    keys = [new_rsa_key("k1")]
    with OidcProvider(tmp_path / "oidc", clients=[DIRECT_GRANT], keys=keys, users=USERS) as up:
        yield up


async def _api(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    base = make_settings(temporal_env, str(store.engine.url), f"cr-{uuid.uuid4().hex[:6]}")
    configured = provider.settings_for(base, **settings)
    app = create_app(configured, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        yield http


def challenged_basic(answer: httpx.Response) -> dict[str, Any]:
    body = problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith('Basic realm="baton"'), answer.headers
    return body


async def key(store: Store, *privileges: str) -> tuple[str, str]:
    spec = api_keys.NewApiKey(
        name=f"crm-{uuid.uuid4().hex[:6]}",
        description=None,
        privileges=list(privileges),
        processes=None,
        service=None,
        expiration=None,
        issued_by="test",
    )
    row, token = await api_keys.issue(store, spec)
    return row.name, token


async def test_the_repository_challenges_basic_and_takes_api_keys(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> None:
    """The document's only scheme is ``basicAuth``: a call without credentials is told
    to send Basic, and an API key as the Basic password creates and reads a case with
    the key's privileges (no more)."""
    async for http in _api(temporal_env, store, provider):
        bare = challenged_basic(await http.post(REPOSITORY, json=EXAMPLE))
        assert "Authorization: Basic" in bare["detail"]
        challenged_basic(await http.get(REPOSITORY, params={"caseId": "c-1"}))
        # elsewhere Baton's own scheme stays Bearer
        other = await http.get("/v1/case-statuses")
        assert other.status_code == 401
        assert other.headers["www-authenticate"].startswith("Bearer")

        name, token = await key(store, "cases:write", "cases:read")
        created = await http.post(REPOSITORY, json=EXAMPLE, headers=basic(name, token))
        assert created.status_code == 200, created.text  # as the document answers
        case = created.json()
        assert {k: case[k] for k in EXAMPLE} == EXAMPLE
        got = await http.get(
            REPOSITORY, params={"caseId": case["caseId"]}, headers=basic("", token)
        )
        assert got.status_code == 200 and got.json() == case

        _, reader = await key(store, "cases:read")
        denied = await http.post(REPOSITORY, json=EXAMPLE, headers=basic("", reader))
        assert problem(denied, 403)["privilege"] == "cases:write"
        wrong = basic(name, api_keys.new_token())
        assert (
            "API key"
            in challenged_basic(await http.post(REPOSITORY, json=EXAMPLE, headers=wrong))["detail"]
        )
        # a realm user's password cannot be checked without a direct-grant client: said so
        no_client = await http.get(
            REPOSITORY, params={"caseId": "c"}, headers=basic("carla", "carla-pw")
        )
        assert "oidc_basic_client_id" in challenged_basic(no_client)["detail"]

        doc = (await http.get("/openapi.json")).json()
        for method in ("post", "get"):
            security = doc["paths"][REPOSITORY][method]["security"]
            assert security[0] == {"basic": []}, security


async def test_realm_users_log_in_with_basic_and_keep_their_privileges(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> None:
    """Basic with a realm user's name and password, checked against the identity
    provider (Keycloak's direct grant through ``BATON_OIDC_BASIC_CLIENT_ID``): the user
    acts as themselves with their roles' privileges; a wrong password is 401 with a Basic
    challenge."""
    async for http in _api(
        temporal_env,
        store,
        provider,
        oidc_basic_client_id=DIRECT_GRANT.client_id,
        oidc_basic_client_secret=DIRECT_GRANT.client_secret,
    ):
        carla = basic("carla", "carla-pw")
        created = await http.post(REPOSITORY, json=EXAMPLE, headers=carla)
        assert created.status_code == 200, created.text
        case_id = created.json()["caseId"]
        history = await http.get(f"/v1/case-statuses/{case_id}/history", headers=carla)
        assert [h["changedBy"] for h in history.json()] == ["carla"]

        mary = basic("mary", "mary-pw")
        got = await http.get(REPOSITORY, params={"caseId": case_id}, headers=mary)
        assert got.status_code == 200 and got.json()["caseId"] == case_id
        denied = await http.post(REPOSITORY, json=EXAMPLE, headers=mary)
        assert problem(denied, 403)["privilege"] == "cases:write"

        wrong = await http.post(REPOSITORY, json=EXAMPLE, headers=basic("carla", "nope"))
        assert "refused the login" in challenged_basic(wrong)["detail"]
        stranger = await http.get(REPOSITORY, params={"caseId": case_id}, headers=basic("eve", "x"))
        challenged_basic(stranger)
