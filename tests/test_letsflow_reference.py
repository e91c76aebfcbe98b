"""Issue 24, LetsFlow: a strict LetsFlow client must not trip on Baton's shapes.

Each test names the LetsFlow source it holds Baton to (repositories letsflow/letsflow,
"core", and letsflow/workflow-engine, "engine"; the docs are letsflow/docs). The
notification bodies are tested in tests/test_letsflow_notify.py.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jwt
from jwcrypto.common import base64url_encode
from pydantic import ValidationError

from api.main import create_app
from core.settings import Settings
from letsflow import UNDEFINED, parse_timestamp, step
from tests.conftest import Stack
from tests.letsflow.corpus import LETSFLOW, needs_corpus
from tests.letsflow.engine import World, at, start
from tests.support.http import problem
from tests.test_letsflow_processes_api import issue_key, start_quote, store_scenario

pytestmark = needs_corpus

JOHN = {"Authorization": "Bearer demo-john"}  # a plain user: no role the map names
JS_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # Date.prototype.toJSON


# ---------------------------------------------------------------- the process document


def test_an_action_the_state_did_not_list_logs_a_null_title() -> None:
    """core src/process/step.ts: ``current.action`` is the entry of ``current.actions``
    (listed when the state was entered) with the step's key, and the default log title
    is ``<ref> current.action.title`` (src/scenario/normalize.ts; docs
    reference/process/previous-log.md). In meeting.yaml ``talk`` is not listed after
    person_2 introduced themselves (its ``if`` wants another actor than the last), so
    when person_1 talks, LetsFlow logs ``title: null``. A listed action logs its title."""
    world = World("meeting")
    world.service_does("default", "start", {"person_1": None, "person_2": None})
    assert world.process["previous"][-1]["title"] == "start"  # listed: its title
    world.is_the("Bob", "person_1")
    world.is_the("Eve", "person_2")
    world.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    world.does("Eve", "introduce", {"name": "Eve", "organization": "Acme"})
    listed = [a["key"] for a in world.process["current"]["actions"]]
    assert "talk" not in listed
    world.does("Bob", "talk", "Hello")
    assert not world.process["events"][-1]["skipped"]
    entry = world.process["previous"][-1]
    assert entry["title"] is None and entry["description"] is None
    assert entry["actor"]["key"] == "person_1"


def test_an_unresolved_notify_trigger_is_left_out_of_current() -> None:
    """docs reference/scenario/state/notify.md: with several actions open to a service
    the normalized ``trigger`` is null (core-test-quote-scenario.normalized.json keeps
    it), and core src/process/notify.ts (``determineTrigger``) reads it from the
    scenario once the service answers. ``current.notify`` leaves the null out, as
    LetsFlow does; a trigger that names an action stays."""
    agent = {
        "actors": {"user": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "continue", "by": "service:agent", "goto": "main"},
                    {"on": "cancel", "by": "service:agent", "goto": "(cancelled)"},
                ],
                "notify": {"service": "agent"},
            },
            "main": {"on": "complete", "by": "service:agent", "goto": "(done)"},
        },
    }
    process = start(agent)
    assert process["scenario"]["states"]["initial"]["notify"][0]["trigger"] is None
    assert process["current"]["notify"] == [{"service": "agent", "after": 0}]
    moved = step(process, "continue", {"key": "service:agent"}, UNDEFINED, timestamp=at(1))
    assert moved["current"]["notify"] == [{"service": "agent", "after": 0, "trigger": "complete"}]


# ---------------------------------------------------------------- /processes


async def test_the_process_list_has_an_actor_array_and_javascript_dates(stack: Stack) -> None:
    """engine src/process/process.service.ts (``list``): processes are stored with their
    actors as an array (``{_key, ...actor}``) and listed as stored, ``created`` and
    ``lastUpdated`` are the first and last event's ``Date``, so JSON writes them with
    milliseconds and ``Z`` (src/process/process.dto.ts: ``actors: Array<ProcessActor>``)."""
    process = await start_quote(stack)
    stepped = await stack.http.post(
        f"/processes/{process['id']}/request", json={"company": "Acme Inc"}, headers=JOHN
    )
    assert stepped.status_code == 400  # a skipped event is an event too
    listed = (await stack.http.get("/processes", params={"all": "true"})).json()
    (summary,) = [p for p in listed if p["id"] == process["id"]]
    assert isinstance(summary["actors"], list)
    by_key = {actor["_key"]: actor for actor in summary["actors"]}
    assert by_key["customer"]["id"] == "john" and by_key["sales"]["id"] == "mary"
    assert JS_DATE.match(summary["created"]) and JS_DATE.match(summary["lastUpdated"])
    current = (await stack.http.get(f"/processes/{process['id']}")).json()
    assert summary["created"] == current["events"][0]["timestamp"]
    assert summary["lastUpdated"] == current["events"][-1]["timestamp"]


async def test_an_unknown_action_is_404(stack: Stack) -> None:
    """engine src/process/process.controller.ts (``step``): an action the scenario does
    not define answers 404 ``{error: {message: 'Unknown action for this process'}}``;
    a defined action the state does not allow is still a 400 skip."""
    process = await start_quote(stack)
    unknown = problem(
        await stack.http.post(f"/processes/{process['id']}/dance", json={}, headers=JOHN), 404
    )
    assert unknown["error"]["message"] == "Unknown action for this process"
    not_now = await stack.http.post(f"/processes/{process['id']}/accept", json={}, headers=JOHN)
    assert not_now.status_code in (400, 403), not_now.text
    after = (await stack.http.get(f"/processes/{process['id']}")).json()
    assert all(e.get("action") != "dance" for e in after["events"])  # nothing recorded


async def test_a_service_key_acts_as_its_service_without_as_actor(stack: Stack) -> None:
    """engine src/auth/types.ts: an API key is ``{privileges, service}``, the service is
    who holds it, and a service acts as ``service:<name>`` (src/notify/notify.service.ts
    steps the process so). So a key issued for ``default`` steps meeting.yaml's ``start``
    without ``As-Actor``; naming another actor is still refused."""
    meeting = await store_scenario(stack, "meeting")
    started = (await stack.http.post("/processes", json={"scenario": meeting})).json()
    key = {"Authorization": f"Bearer {await issue_key(stack, service='default')}"}
    begun = await stack.http.post(
        f"/processes/{started['id']}/start", json={"person_1": None}, headers=key
    )
    assert begun.status_code == 200, begun.text
    event = begun.json()["events"][-1]
    assert event["actor"] == {"key": "service:default"} and not event["skipped"]
    other = {**key, "As-Actor": "person_1"}
    problem(
        await stack.http.post(f"/processes/{started['id']}/talk", json="hi", headers=other), 403
    )


# ---------------------------------------------------------------- /apikey


async def test_api_key_dates_are_javascript_dates_and_expire_n_days_on(stack: Stack) -> None:
    """engine src/apikey/apikey.service.ts: ``issued`` is one ``new Date()`` and
    ``expiration`` is that date plus ``expirationDays`` (30 by default); both are
    JavaScript Dates, written with milliseconds and ``Z``."""
    for body, days in (({}, 30), ({"expirationDays": 7}, 7)):
        issued = await stack.http.post("/apikey", json={"name": "crm", **body})
        assert issued.status_code == 201, issued.text
        key = issued.json()
        assert JS_DATE.match(key["issued"]) and JS_DATE.match(key["expiration"])
        gap = parse_timestamp(key["expiration"]) - parse_timestamp(key["issued"])
        assert gap == timedelta(days=days)
        listed = [k for k in (await stack.http.get("/apikey")).json() if k["id"] == key["id"]]
        assert (listed[0]["issued"], listed[0]["expiration"]) == (key["issued"], key["expiration"])


# ---------------------------------------------------------------- /scenarios


async def test_a_scenario_reads_as_stored_with_a_charset(stack: Stack) -> None:
    """engine src/scenario/scenario.controller.ts and scenario-db.service.ts: the
    scenario is read with ``projection: {_id: 0}`` (no id in the body) and sent with
    Express's ``res.json`` or ``send`` of a string, which type it with
    ``charset=utf-8``."""
    scenario_id = await store_scenario(stack, "quote")
    as_json = await stack.http.get(f"/scenarios/{scenario_id}")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    assert "id" not in as_json.json() and as_json.json()["title"]
    as_yaml = await stack.http.get(f"/scenarios/{scenario_id}.yaml")
    assert as_yaml.headers["content-type"] == "application/yaml; charset=utf-8"
    assert not re.search(r"^id:", as_yaml.text, re.MULTILINE)


async def test_a_plain_user_may_not_read_scenarios(stack: Stack) -> None:
    """engine src/scenario/scenario.controller.ts: the controller is ``@Roles(['admin'])``,
    so a user without a role that grants ``scenario:read`` gets 403; the administrator
    reads them."""
    scenario_id = await store_scenario(stack, "quote")
    problem(await stack.http.get("/scenarios", headers=JOHN), 403)
    problem(await stack.http.get(f"/scenarios/{scenario_id}", headers=JOHN), 403)
    assert (await stack.http.get(f"/scenarios/{scenario_id}")).status_code == 200  # demo admin
    # starting a process from it is still every user's right
    started = await stack.http.post("/processes", json={"scenario": "quote"}, headers=JOHN)
    assert started.status_code == 201, started.text


# ---------------------------------------------------------------- LetsFlow JWTs

SECRET = "the-letsflow-engine-secret-of-32-bytes"


def letsflow_token(claims: dict[str, Any], secret: str = SECRET) -> str:
    """A token as LetsFlow's engine signs it (src/auth/auth.service.ts, ``jwt.sign`` of
    ``{id, info: {name}, roles}`` through @nestjs/jwt: HS256, ``iat`` added)."""
    key = jwk.JWK(kty="oct", k=base64url_encode(secret.encode()))
    token = jwt.JWT(
        header={"alg": "HS256", "typ": "JWT"}, claims={"iat": int(time.time()), **claims}
    )
    token.make_signed_token(key)
    return str(token.serialize())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_letsflow_jwts_are_accepted_with_the_configured_secret(stack: Stack) -> None:
    """engine src/auth/auth.service.ts (``verifyJWT``): a token verified with the
    configured secret names the user in ``id``, with ``roles`` (default none) and
    ``info``; a token without ``id`` is invalid. Roles map to privileges like LetsFlow's
    ``auth.roles``: ``admin`` may read scenarios, a plain user may not."""
    settings = stack.settings.model_copy(
        update={"env": "prod", "letsflow_jwt_secret": SECRET, "letsflow_jwt_issuer": ""}
    )
    app = create_app(settings, client=stack.client, store=stack.store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
        admin = bearer(
            letsflow_token({"id": "admin", "info": {"name": "Arnold"}, "roles": ["admin"]})
        )
        alice = bearer(letsflow_token({"id": "alice", "info": {"name": "Alice"}}))
        stored = await http.post(
            "/scenarios",
            content=(LETSFLOW / "quote.yaml").read_bytes(),
            headers={**admin, "content-type": "application/yaml"},
        )
        assert stored.status_code == 201, stored.text
        scenario_id = stored.headers["location"].rsplit("/", 1)[1]
        assert (await http.get(f"/scenarios/{scenario_id}", headers=admin)).status_code == 200
        problem(await http.get(f"/scenarios/{scenario_id}", headers=alice), 403)
        started = await http.post(
            "/processes",
            json={"scenario": "quote", "actors": {"customer": {"id": "alice"}}},
            headers=alice,
        )
        assert started.status_code == 201, started.text
        stepped = await http.post(
            f"/processes/{started.json()['id']}/request", json={"company": "x"}, headers=alice
        )
        assert stepped.status_code == 400, stepped.text  # alice acted; the response was bad
        after = (await http.get(f"/processes/{started.json()['id']}", headers=alice)).json()
        assert after["events"][-1]["actor"] == {"key": "customer", "id": "alice"}
        # refused: another secret, expired, no id
        problem(
            await http.get("/processes", headers=bearer(letsflow_token({"id": "a"}, SECRET[::-1]))),
            401,
        )
        expired = letsflow_token({"id": "alice", "exp": int(time.time()) - 60})
        assert (
            "expired"
            in problem(await http.get("/processes", headers=bearer(expired)), 401)["detail"]
        )
        problem(await http.get("/processes", headers=bearer(letsflow_token({"name": "x"}))), 401)


def test_a_letsflow_secret_is_long_enough_for_hs256() -> None:
    """RFC 7518 section 3.2 (jwcrypto enforces it): an HS256 key of at least 256 bits."""
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(_env_file=None, letsflow_jwt_secret="short")  # type: ignore[call-arg]


async def test_letsflow_jwts_need_the_secret_and_the_issuer(stack: Stack) -> None:
    """Without ``letsflow_jwt_secret`` an HS256 token is not LetsFlow's (it goes to the
    Keycloak check, which no realm backs here); with ``letsflow_jwt_issuer`` the ``iss``
    must match, as @nestjs/jwt's ``verifyOptions.issuer`` demands."""
    token = letsflow_token({"id": "alice", "iss": "https://engine.example"})
    off = stack.settings.model_copy(update={"env": "prod"})
    strict = stack.settings.model_copy(
        update={"env": "prod", "letsflow_jwt_secret": SECRET, "letsflow_jwt_issuer": "other"}
    )
    right = strict.model_copy(update={"letsflow_jwt_issuer": "https://engine.example"})
    for settings, status in ((off, 401), (strict, 401), (right, 200)):
        app = create_app(settings, client=stack.client, store=stack.store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as http:
            answer = await http.get("/processes", headers=bearer(token))
            assert answer.status_code == status, (settings.letsflow_jwt_issuer, answer.text)
