"""LetsFlow processes over HTTP, each a ``LetsflowProcess`` workflow on the real dev
server: the flows of quote-01-request.feature, API-key scope, visibility and listing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Stack
from tests.letsflow.corpus import EXAMPLES, LETSFLOW, needs_corpus
from tests.support.http import problem

pytestmark = needs_corpus

YAML = {"content-type": "application/yaml"}
JOHN = {"Authorization": "Bearer demo-john"}  # plays the customer
MARY = {"Authorization": "Bearer demo-mary"}  # plays sales
FULL_REQUEST = {
    "company": "Acme Inc",
    "contact": "Alice",
    "email": "alice@example.com",
    "address": "123 Main St",
    "requirements": "The product should be able to do X, Y and Z",
}


async def store_scenario(stack: Stack, name: str) -> str:
    stored = await stack.http.post(
        "/scenarios", content=(LETSFLOW / f"{name}.yaml").read_bytes(), headers=YAML
    )
    assert stored.status_code == 201, stored.text
    return str(stored.headers["location"]).rsplit("/", 1)[1]


async def start_quote(stack: Stack) -> dict[str, Any]:
    await store_scenario(stack, "quote")
    started = await stack.http.post(
        "/processes",
        json={"scenario": "quote", "actors": {"customer": {"id": "john"}, "sales": {"id": "mary"}}},
    )
    assert started.status_code == 201, started.text
    process: dict[str, Any] = started.json()
    assert started.headers["location"] == f"/processes/{process['id']}"
    return process


def last_event(process: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = process["events"][-1]
    return event


async def test_customer_fills_out_all_fields_correctly(stack: Stack) -> None:
    process = await start_quote(stack)
    assert process["current"]["key"] == "initial" and process["isRunning"] is True
    stepped = await stack.http.post(
        f"/processes/{process['id']}/request", json=FULL_REQUEST, headers=JOHN
    )
    assert stepped.status_code == 200, stepped.text
    after = stepped.json()
    assert not last_event(after).get("skipped")
    customer = after["actors"]["customer"]
    assert (customer["company"], customer["contact"]) == ("Acme Inc", "Alice")
    assert (customer["email"], customer["address"]) == ("alice@example.com", "123 Main St")
    assert after["current"]["key"] == "requested"
    assert after["vars"]["requirements"] == FULL_REQUEST["requirements"]
    # the hash chain links every event to the one before
    hashes = [e["hash"] for e in after["events"]]
    assert [e.get("previous") for e in after["events"][1:]] == hashes[:-1]
    read = await stack.http.get(f"/processes/{process['id']}", headers=MARY)
    assert read.json()["events"] == after["events"]
    assert read.headers["etag"] == f'"{hashes[-1]}"'


async def test_customer_leaves_out_required_fields(stack: Stack) -> None:
    process = await start_quote(stack)
    refused = problem(
        await stack.http.post(
            f"/processes/{process['id']}/request", json={"company": "Acme Inc"}, headers=JOHN
        ),
        400,
    )
    reasons = refused["error"]["reason"]
    assert "Response is invalid: data must have required property 'email'" in reasons
    assert "Response is invalid: data must have required property 'requirements'" in reasons
    now = (await stack.http.get(f"/processes/{process['id']}")).json()
    assert now["current"]["key"] == "initial"
    skipped = last_event(now)
    assert skipped["skipped"] is True and skipped["errors"] == reasons  # recorded, as LetsFlow does


async def test_only_the_actor_may_act_and_only_participants_see(stack: Stack) -> None:
    process = await start_quote(stack)
    url = f"/processes/{process['id']}"
    problem(await stack.http.post(f"{url}/request", json=FULL_REQUEST, headers=MARY), 403)
    problem(await stack.http.post("/processes/no-such-process/request", json={}), 404)
    other = await stack.http.post(
        "/processes", json={"scenario": "quote", "actors": {"customer": {"id": "demo"}}}
    )
    problem(await stack.http.get(f"/processes/{other.json()['id']}", headers=JOHN), 403)
    mine = (await stack.http.get("/processes", headers=JOHN)).json()
    assert [p["id"] for p in mine] == [process["id"]]
    assert mine[0]["scenario"]["title"] == "Quote"
    problem(await stack.http.get("/processes", params={"all": "true"}, headers=JOHN), 403)
    every = (await stack.http.get("/processes", params={"all": "true"})).json()
    assert {p["id"] for p in every} == {process["id"], other.json()["id"]}


async def test_an_api_key_limited_to_one_scenario_and_action(stack: Stack) -> None:
    quote = await start_quote(stack)
    handshake = await store_scenario(stack, "handshake")
    key = (
        await stack.http.post(
            "/apikey",
            json={
                "name": "quote form",
                "privileges": ["process:read", "process:step", "process:start"],
                "processes": [
                    {"scenario": "quote", "actors": ["customer"], "actions": ["request"]}
                ],
            },
        )
    ).json()
    as_key = {"Authorization": f"Bearer {key['token']}", "As-Actor": "customer"}
    url = f"/processes/{quote['id']}"
    # another action of the same scenario is refused before anything is recorded
    refused = problem(await stack.http.post(f"{url}/create_quote", json={}, headers=as_key), 403)
    assert refused["error"]["message"] == "Insufficient privileges of API key"
    as_sales = {**as_key, "As-Actor": "sales"}
    problem(await stack.http.post(f"{url}/request", json=FULL_REQUEST, headers=as_sales), 403)
    # another scenario is out of reach
    problem(await stack.http.post("/processes", json={"scenario": handshake}, headers=as_key), 403)
    before = (await stack.http.get(url)).json()["events"]
    done = await stack.http.post(f"{url}/request", json=FULL_REQUEST, headers=as_key)
    assert done.status_code == 200, done.text
    assert done.json()["current"]["key"] == "requested"
    assert len(done.json()["events"]) == len(before) + 1
    listed = (await stack.http.get("/processes", headers=as_key)).json()
    assert [p["id"] for p in listed] == [quote["id"]]


async def issue_key(stack: Stack, **scope: Any) -> str:
    issued = await stack.http.post(
        "/apikey",
        json={"name": "meeting", "privileges": ["process:read", "process:step"], **scope},
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


async def test_meeting_people_must_introduce_before_talking_twice(stack: Stack) -> None:
    """meeting-02-conditions.feature, "Person tries to talk twice", over HTTP. The people
    have no user ids in this scenario, so they act through an API key with As-Actor,
    and the ``default`` service through a key scoped to that service."""
    meeting = await store_scenario(stack, "meeting")
    started = (await stack.http.post("/processes", json={"scenario": meeting})).json()
    url = f"/processes/{started['id']}"
    service = {
        "Authorization": f"Bearer {await issue_key(stack, service='default')}",
        "As-Actor": "service:default",
    }
    begun = await stack.http.post(
        f"{url}/start",
        json={"person_1": None, "person_2": None, "person_3": None},
        headers=service,
    )
    assert begun.status_code == 200, begun.text
    assert begun.json()["current"]["key"] == "introductions"
    assert {"person_1", "person_2", "person_3"} <= set(begun.json()["actors"])
    people_key = await issue_key(stack, processes=[{"scenario": meeting}])

    async def does(person: str, action: str, response: Any) -> Any:
        headers = {"Authorization": f"Bearer {people_key}", "As-Actor": person}
        return await stack.http.post(f"{url}/{action}", json=response, headers=headers)

    for person, name, org in (
        ("person_1", "Bob", "Jasny"),
        ("person_2", "Eve", "Acme Inc"),
        ("person_3", "Jack", "LTO Network"),
    ):
        answer = await does(person, "introduce", {"name": name, "organization": org})
        assert answer.status_code == 200, answer.text
    talking = await does("person_1", "talk", "What do you think about the weather?")
    assert talking.status_code == 200, talking.text
    assert talking.json()["current"]["key"] == "talking"
    assert talking.json()["result"] == ["Bob - What do you think about the weather?"]
    twice = problem(await does("person_1", "talk", "I like it"), 400)
    assert twice["error"]["message"] == "Failed to execute action"
    final = (await stack.http.get(url, headers=service)).json()
    assert final["events"][-1]["skipped"] is True
    assert final["result"] == ["Bob - What do you think about the weather?"]
    # the service key may act only as its service
    as_person = {**service, "As-Actor": "person_2"}
    problem(await stack.http.post(f"{url}/talk", json="hi", headers=as_person), 403)


@pytest.mark.parametrize("name", EXAMPLES)
async def test_every_example_scenario_starts(stack: Stack, name: str) -> None:
    scenario_id = await store_scenario(stack, name)
    started = await stack.http.post("/processes", json={"scenario": scenario_id})
    assert started.status_code == 201, started.text
    process = started.json()
    assert process["scenario"]["id"] == scenario_id
    assert process["events"][0]["scenario"] == scenario_id
    assert process["current"]["key"]  # instantiated, in its first (or a null-action) state
    predicted = await stack.http.get(f"/processes/{process['id']}", params={"predict": "true"})
    assert predicted.status_code == 200 and isinstance(predicted.json()["next"], list)
