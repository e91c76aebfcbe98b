"""Keycloak tokens against a real OpenID Connect provider process (the certified
``oidc-provider`` npm package, serving Keycloak's URL layout on loopback; see
tests/oidc_provider). The API runs in production mode: no demo accounts.

Valid tokens come from the provider's token endpoint (client credentials). The bad ones
are minted the way an attacker or a broken client would: with the provider's own key but
wrong claims, with another key, with the payload edited, or unsigned."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from jwcrypto import jwk
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from api.oidc import TokenVerifier
from store import Store
from store.models import AuditRecord
from tests.conftest import make_settings
from tests.support.http import problem
from tests.support.oidc import OidcClient, OidcProvider, OidcUser, new_rsa_key, sign, unsigned

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

TASKS = "/v1/bpms/tasks"
K1 = new_rsa_key("k1")
CLIENTS = [
    OidcClient("alice-app", "alice-secret", "alice", ["accounting"]),
    OidcClient("ops-app", "ops-secret", "olga", ["bpms-operator"]),
]


USERS = [
    OidcUser("mary", "mary-pw", ["accounting"]),
    OidcUser("olga", "olga-pw", ["bpms-operator"]),
]


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OidcProvider]:
    with OidcProvider(tmp_path / "oidc", clients=CLIENTS, keys=[K1], users=USERS) as running:
        yield running


class Api:
    def __init__(self, http: httpx.AsyncClient, app: Any, store: Store) -> None:
        self.http, self.app, self.store = http, app, store

    async def tasks(self, token: str) -> httpx.Response:
        return await self.http.get(TASKS, headers={"Authorization": f"Bearer {token}"})

    @property
    def verifier(self) -> TokenVerifier:
        found: TokenVerifier = self.app.state.token_verifier
        return found


async def _api(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider, **settings: Any
) -> AsyncIterator[Api]:
    base = make_settings(temporal_env, str(store.engine.url), f"oidc-{uuid.uuid4().hex[:6]}")
    configured = provider.settings_for(base, **settings)
    app = create_app(configured, client=temporal_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        yield Api(http, app, store)


@pytest_asyncio.fixture
async def api(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> AsyncIterator[Api]:
    async for made in _api(temporal_env, store, provider, oidc_key_refresh_seconds=0):
        yield made


def claims(provider: OidcProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": provider.issuer,
        "aud": provider.audience,
        "sub": "alice-app",
        "preferred_username": "alice",
        "realm_access": {"roles": ["accounting"]},
        "iat": now,
        "exp": now + 300,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_token_from_the_provider_is_accepted_with_its_user_and_roles(
    api: Api, provider: OidcProvider
) -> None:
    alice = provider.token("alice-app")
    assert (await api.tasks(alice)).status_code == 200
    # roles come from realm_access and map to privileges: alice may not retry incidents,
    # the operator may (and gets past the privilege check to the lookup: 404)
    header = {"Authorization": f"Bearer {alice}"}
    refused = problem(
        await api.http.post("/v1/bpms/incidents/i-1/retry", json={}, headers=header), 403
    )
    assert refused["privilege"] == "bpms:incident:retry"
    olga = {"Authorization": f"Bearer {provider.token('ops-app')}"}
    problem(await api.http.post("/v1/bpms/incidents/i-1/retry", json={}, headers=olga), 404)
    async with api.store.session() as session:
        rows = (await session.scalars(select(AuditRecord).order_by(AuditRecord.id))).all()
    assert [(r.subject, r.roles, r.status) for r in rows] == [
        ("alice", ["accounting"], 403),
        ("olga", ["bpms-operator"], 404),
    ]


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("expired", "expired"),
        ("not yet valid", "not valid yet"),
        ("wrong issuer", "wrong issuer or audience"),
        ("wrong audience", "wrong issuer or audience"),
        ("no expiry", "missing claim"),
        ("another key, same kid", "signature does not verify"),
        ("symmetric alg", "'HS256' is not accepted"),
    ],
)
async def test_bad_claims_and_keys_are_refused(
    api: Api, provider: OidcProvider, case: str, why: str
) -> None:
    now = int(time.time())
    token = {
        "expired": lambda: sign(claims(provider, iat=now - 900, exp=now - 600), K1),
        "not yet valid": lambda: sign(claims(provider, nbf=now + 600), K1),
        "wrong issuer": lambda: sign(claims(provider, iss="http://127.0.0.1:1/realms/x"), K1),
        "wrong audience": lambda: sign(claims(provider, aud="another-api"), K1),
        "no expiry": lambda: sign(claims(provider, exp=None), K1),
        "another key, same kid": lambda: sign(claims(provider), new_rsa_key("k1")),
        "symmetric alg": lambda: sign(
            claims(provider), jwk.JWK.generate(kty="oct", size=256), alg="HS256", kid="k1"
        ),
    }[case]
    answer = problem(await api.tasks(token()), 401)
    assert why in answer["detail"], answer
    assert "invalid_token" in (await api.tasks(token())).headers["www-authenticate"]
    # the same claims with the provider's key and no defect are fine: the case is the cause
    assert (await api.tasks(sign(claims(provider), K1))).status_code == 200


async def test_a_tampered_payload_and_an_unsigned_token_are_refused(
    api: Api, provider: OidcProvider
) -> None:
    genuine = provider.token("alice-app")
    head, payload, signature = genuine.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["realm_access"] = {"roles": ["admin"]}  # promote herself, keep the signature
    tampered = f"{head}.{_b64(json.dumps(body).encode())}.{signature}"
    assert "signature does not verify" in problem(await api.tasks(tampered), 401)["detail"]
    none = problem(await api.tasks(unsigned(claims(provider))), 401)
    assert "'none' is not accepted" in none["detail"]
    stripped = f"{head}.{payload}."  # RS256 header, no signature
    problem(await api.tasks(stripped), 401)
    assert (await api.tasks(genuine)).status_code == 200


async def test_a_rotated_key_is_picked_up_without_restart(api: Api, provider: OidcProvider) -> None:
    assert (await api.tasks(provider.token("alice-app"))).status_code == 200
    assert api.verifier.key_fetches == 1
    k2 = new_rsa_key("k2")
    provider.restart(keys=[k2, K1])  # Keycloak rotates: k2 signs from now on
    rotated = provider.token("alice-app")
    assert json.loads(base64.urlsafe_b64decode(rotated.split(".")[0] + "==="))["kid"] == "k2"
    assert (await api.tasks(rotated)).status_code == 200  # unknown kid: one refetch
    assert api.verifier.key_fetches == 2
    assert (await api.tasks(rotated)).status_code == 200  # now cached
    assert api.verifier.key_fetches == 2
    # a kid the provider never published is refused after its one refetch
    forged = sign(claims(provider), new_rsa_key("k9"))
    assert "unknown key 'k9'" in problem(await api.tasks(forged), 401)["detail"]
    assert api.verifier.key_fetches == 3


async def test_unknown_kids_cannot_make_the_api_hammer_the_provider(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> None:
    async for api in _api(temporal_env, store, provider, oidc_key_refresh_seconds=3600):
        assert (await api.tasks(provider.token("alice-app"))).status_code == 200
        for n in range(5):
            problem(await api.tasks(sign(claims(provider), new_rsa_key(f"forged-{n}"))), 401)
        assert api.verifier.key_fetches == 1


async def test_an_unreachable_provider_is_503_not_a_bad_token(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> None:
    token = provider.token("alice-app")
    provider.stop()
    async for api in _api(temporal_env, store, provider):
        down = problem(await api.tasks(token), 503)
        assert "identity provider" in down["detail"]
        provider.start()  # back on the same port: the next call works
        assert (await api.tasks(token)).status_code == 200


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_basic_logins_are_checked_with_the_realms_direct_grant(
    temporal_env: WorkflowEnvironment, store: Store, provider: OidcProvider
) -> None:
    """Camunda's clients send HTTP Basic: a realm user's password is checked with
    Keycloak's direct grant, once per cache period, and the user's roles apply."""
    made = _api(
        temporal_env,
        store,
        provider,
        oidc_basic_client_id="alice-app",
        oidc_basic_client_secret="alice-secret",
    )
    api = await anext(made)
    try:
        mary = _basic("mary", "mary-pw")
        for _ in range(3):
            assert (await api.http.get("/engine-rest/task", headers=mary)).status_code == 200
        assert api.app.state.password_logins.logins == 1  # remembered, not asked again
        # mary's role may not retry; olga's may (past the privilege check: 404)
        denied = await api.http.put(
            "/engine-rest/job/j-1/retries", json={"retries": 1}, headers=mary
        )
        assert denied.status_code == 403 and denied.json()["type"] == "AuthorizationException"
        olga = await api.http.put(
            "/engine-rest/job/j-1/retries", json={"retries": 1}, headers=_basic("olga", "olga-pw")
        )
        assert olga.status_code == 404, olga.text
        wrong = await api.http.get("/engine-rest/task", headers=_basic("mary", "nope"))
        assert wrong.status_code == 401 and wrong.json()["type"] == "AuthenticationException"
        assert "refused the login" in wrong.json()["message"]
        stranger = await api.http.get("/engine-rest/task", headers=_basic("eve", "mary-pw"))
        assert stranger.status_code == 401
        async with api.store.session() as session:
            rows = (await session.scalars(select(AuditRecord).order_by(AuditRecord.id))).all()
        assert ("mary", 403) in [(r.subject, r.status) for r in rows]
    finally:
        await made.aclose()


async def test_basic_passwords_are_refused_without_a_direct_grant_client(api: Api) -> None:
    refused = await api.http.get("/engine-rest/task", headers=_basic("marta", "pw"))
    assert refused.status_code == 401 and "oidc_basic_client_id" in refused.json()["message"]
