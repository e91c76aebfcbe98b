"""The pages sign in with OIDC outside dev mode: a real browser (Debian's Chromium,
driven by Playwright), the API in production mode on a real port, and a real OpenID
Connect provider process (tests/oidc_provider) with the public client ``baton-web``.

The browser does what a user's does: /cockpit sends it to the provider's login form,
the user signs in, the provider sends it back with a code, the page exchanges the code
(PKCE) at the token endpoint across origins (CORS) under the page's Content-Security-Policy
and calls the API with the access token. Nothing is stubbed on the way.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import pytest_asyncio
from playwright import async_api as playwright_api
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from store import Store
from tests.browser import ARGS, require_chromium
from tests.conftest import make_settings
from tests.support.oidc import OidcClient, OidcProvider, OidcUser, OidcWebClient, new_rsa_key
from tests.support.ports import free_port
from tests.support.serving import serve_app

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite"])

WEB = "baton-web"
USERS = [
    OidcUser("john", "john-pw", ["accounting"], name="John Doe"),
    OidcUser("olga", "olga-pw", ["bpms-operator"], name="Olga Operator"),
]
#: a privilege the accounting role lacks and the operator role holds
RETRY = "/v1/bpms/incidents/i-1/retry"
TIMEOUT_MS = 20_000


@pytest.fixture
def api_port() -> int:
    return free_port()


@pytest.fixture
def provider(
    tmp_path: Path, api_port: int, request: pytest.FixtureRequest
) -> Iterator[OidcProvider]:
    """The realm, with baton-web allowed back to this test's pages (its port is chosen
    before either server starts). ``indirect`` parametrization sets the token lifetime."""
    origin = f"http://127.0.0.1:{api_port}"
    web = OidcWebClient(WEB, [f"{origin}/cockpit", f"{origin}/tasklist"], [origin])
    with OidcProvider(
        tmp_path / "oidc",
        clients=[OidcClient("unused-app", "unused-secret", "unused")],
        keys=[new_rsa_key("k1")],
        users=USERS,
        web_client=web,
        access_token_ttl=getattr(request, "param", 300),
    ) as running:
        yield running


@pytest_asyncio.fixture
async def api(
    temporal_env: WorkflowEnvironment,
    store: Store,
    provider: OidcProvider,
    api_port: int,
) -> AsyncIterator[str]:
    """The API in production mode on 127.0.0.1:api_port; answers its origin."""
    base = make_settings(temporal_env, str(store.engine.url), f"web-{uuid.uuid4().hex[:6]}")
    settings = provider.settings_for(base, oidc_web_client_id=WEB, oidc_leeway_seconds=0)
    app = create_app(settings, client=temporal_env.client, store=store)
    async with serve_app(app, api_port) as origin:
        yield origin


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    executable = require_chromium()
    async with playwright_api.async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(executable), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    # every console line is printed (pytest shows it when a test fails); CSP violations
    # fail the test
    opened.on("console", lambda msg: print(f"console {msg.type}: {msg.text} {msg.location}"))
    opened.on(
        "response", lambda r: print(f"response {r.status} {r.url}") if r.status >= 400 else None
    )
    opened.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    opened.on("framenavigated", lambda frame: print(f"navigated: {frame.url}"))
    yield opened
    await context.close()
    assert not problems, problems


async def _stored(page: Any, key: str = "baton.token") -> str | None:
    found: str | None = await page.evaluate("(key) => sessionStorage.getItem(key)", key)
    return found


async def _sign_in(page: Any, provider: OidcProvider, user: str, password: str) -> None:
    """On the provider's login form: fill it in and submit."""
    await page.wait_for_url(f"{provider.issuer}/interaction/**")
    await page.fill("#username", user)
    await page.fill("#password", password)
    await page.click("#kc-login")


async def _call(page: Any, method: str, path: str) -> dict[str, Any]:
    """The page's own api() (app.js) calls the API with the page's token; answers the
    outcome, and runs it through act() so the page shows it as a user would see it."""
    outcome: dict[str, Any] = await page.evaluate(
        """async ([method, path]) => {
            const app = await import('/web/src/app.js');
            try {
                const body = method === 'GET' ? undefined : {};
                return { status: 200, body: await app.api(method, path, body) };
            } catch (err) {
                await app.act('Retry', () => Promise.reject(err));
                return { status: err.status, message: err.message };
            }
        }""",
        [method, path],
    )
    return outcome


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    found: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return found


async def test_cockpit_signs_in_at_the_provider_with_the_users_roles(
    api: str, provider: OidcProvider, page: Any
) -> None:
    # the Cockpit (a deep link) sends the browser straight to the provider: no demo picker
    await page.goto(f"{api}/cockpit#/instances")
    await page.wait_for_url(f"{provider.issuer}/**")
    assert await page.locator("#signin").count() == 0
    # a wrong password is refused by the provider, the right one comes back to the page
    await _sign_in(page, provider, "john", "wrong")
    assert "Invalid username or password" in await page.locator("#input-error").inner_text()
    await page.fill("#password", "john-pw")
    await page.click("#kc-login")
    await page.wait_for_url(f"{api}/cockpit#/instances")  # the code is gone from the URL
    who = page.locator("#who .user")
    await who.wait_for()
    assert await who.inner_text() == "John Doe"
    assert await who.get_attribute("title") == "accounting"

    token = await _stored(page)
    assert token is not None and await _stored(page, "baton.pkce") is None
    claims = _claims(token)
    assert (claims["aud"], claims["azp"], claims["iss"]) == ("baton-api", WEB, provider.issuer)
    session = await _call(page, "GET", "/web/session")
    assert session["status"] == 200, session
    assert session["body"]["method"] == "oidc"
    assert (session["body"]["subject"], session["body"]["roles"]) == ("john", ["accounting"])
    assert "bpms:incident:retry" not in session["body"]["privileges"]

    # his roles lack the privilege: the API refuses, the page says so
    refused = await _call(page, "POST", RETRY)
    assert refused["status"] == 403, refused
    notice = page.locator("#notice")
    assert "bpms:incident:retry" in await notice.inner_text()
    assert "error" in (await notice.get_attribute("class") or "")

    # demo accounts are not offered, and their tokens are refused in production
    config = await page.evaluate("fetch('/web/config').then((r) => r.json())")
    assert (config["devMode"], config["demoAccounts"]) == (False, [])
    assert config["oidc"] == {"authority": provider.issuer, "clientId": WEB}
    demo = await page.evaluate(
        """fetch('/web/session', {headers: {Authorization: 'Bearer demo-demo'}})
             .then(async (r) => [r.status, (await r.json()).detail])"""
    )
    assert demo == [401, "demo tokens are accepted only when BATON_ENV=dev"]


async def test_a_kept_demo_token_is_dropped_and_the_operator_signs_in(
    api: str, provider: OidcProvider, page: Any
) -> None:
    """A tab that still holds a demo token (the API left dev mode) is sent to the
    provider, not shown a dead page; another user's roles give other privileges."""
    await page.goto(f"{api}/web/config")
    await page.evaluate("sessionStorage.setItem('baton.token', 'demo-demo')")
    await page.goto(f"{api}/cockpit")
    await _sign_in(page, provider, "olga", "olga-pw")
    await page.wait_for_url(f"{api}/cockpit")
    await page.locator("#who .user").wait_for()
    assert await page.locator("#who .user").inner_text() == "Olga Operator"
    assert (await _stored(page) or "").count(".") == 2
    # the operator may retry incidents: past the privilege check to the lookup
    assert (await _call(page, "POST", RETRY))["status"] == 404


async def test_signing_out_ends_the_session_at_the_provider(
    api: str, provider: OidcProvider, page: Any
) -> None:
    await page.goto(f"{api}/tasklist")
    await _sign_in(page, provider, "john", "john-pw")
    await page.locator("#who .user").wait_for()
    await page.click("#who button")
    # the provider asks (Keycloak does not, given the id token), then sends the browser
    # back to the page, which has no token and no provider session: the login form again
    await page.wait_for_url(f"{provider.issuer}/protocol/openid-connect/logout**")
    await page.click("#kc-logout")
    await page.wait_for_url(f"{provider.issuer}/interaction/**")
    assert await page.locator("#kc-login").count() == 1
    assert await _stored(page, "baton.id_token") is None


@pytest.mark.parametrize("provider", [4], indirect=True)
async def test_an_expired_token_signs_in_again_without_a_form(
    api: str, provider: OidcProvider, page: Any
) -> None:
    """Access tokens live 4 s here. Once the API answers 401 the page goes back through
    the provider, whose session is still alive: a new token, no login form, same view."""
    await page.goto(f"{api}/cockpit#/incidents")
    await _sign_in(page, provider, "john", "john-pw")
    await page.locator("#who .user").wait_for()
    first = await _stored(page)
    assert first is not None
    expires = _claims(first)["exp"]
    await asyncio.sleep(max(0.0, expires - time.time()) + 1.1)
    await page.evaluate(
        "import('/web/src/app.js').then((app) => app.get('/web/session')).catch(() => {})"
    )
    await page.wait_for_function(
        "(old) => { const t = sessionStorage.getItem('baton.token'); return t && t !== old; }",
        arg=first,
    )
    await page.wait_for_url(f"{api}/cockpit#/incidents")
    await page.locator("#who .user").wait_for()
    assert await page.locator("#who .user").inner_text() == "John Doe"
    second = await _stored(page)
    assert second is not None and _claims(second)["exp"] > expires


async def test_a_tampered_state_is_refused_and_no_token_is_kept(
    api: str, provider: OidcProvider, page: Any
) -> None:
    # the provider's answer reaches the page, whose script is held before it reads it
    # (Playwright cannot intercept the redirect itself, only the page's own requests)
    held: list[Any] = []

    async def hold(route: Any) -> None:
        if "code=" in page.url and not held:
            held.append(route)  # not answered until the page has been left
        else:
            await route.continue_()

    await page.route(f"{api}/web/config", hold)
    await page.goto(f"{api}/cockpit")
    await _sign_in(page, provider, "john", "john-pw")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held:
        assert time.monotonic() < deadline, "the provider never sent the browser back"
        await asyncio.sleep(0.05)
    genuine = page.url
    assert await _stored(page, "baton.pkce") is not None  # the login is still pending
    parts = urlsplit(genuine)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["code"] and query["state"]
    query["state"] = query["state"][::-1] + "x"  # the answer to another login
    await page.goto(urlunsplit(parts._replace(query=urlencode(query))))
    with contextlib.suppress(Exception):  # the page that asked is gone
        await held[0].abort()
    error = page.locator("#signin-error")
    await error.wait_for()
    assert "does not match the request" in await error.inner_text()
    assert await _stored(page) is None
    assert await page.locator("#who .user").count() == 0
    assert "code=" not in page.url  # the spent answer is dropped from the address
    # the genuine answer, replayed now, is refused too: the pending login was used up
    await page.goto(genuine)
    await error.wait_for()
    assert "does not match the request" in await error.inner_text()
    assert await _stored(page) is None
