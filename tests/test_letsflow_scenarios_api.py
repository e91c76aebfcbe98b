"""LetsFlow's /info, /demo-accounts and /scenarios over HTTP: content-addressed storage
(the golden id through the API), JSON/YAML negotiation, disable and re-enable, and
errors that say where a scenario is wrong."""

from __future__ import annotations

import pytest

import letsflow as engine
from tests.conftest import Stack
from tests.letsflow.corpus import EXAMPLES, LETSFLOW, needs_corpus
from tests.support.http import problem

YAML = {"content-type": "application/yaml"}
JOHN = {"Authorization": "Bearer demo-john"}
GOLDEN_ID = "be31f8b3-c7d1-5aa6-90a9-19acae56285d"

MINIMAL = """
title: Minimal
actions:
  complete: {}
states:
  initial:
    on: complete
    goto: (done)
"""


async def test_info_and_demo_accounts(stack: Stack) -> None:
    info = (await stack.http.get("/info", headers={"Authorization": ""})).json()
    assert info["name"] == "baton" and info["env"] == "dev"
    assert engine.SCENARIO_SCHEMA in info["schemas"]
    accounts = (await stack.http.get("/demo-accounts")).json()
    john = next(a for a in accounts if a["id"] == "john")
    assert john == {
        "id": "john",
        "info": {"name": "John Doe"},
        "roles": ["accounting"],
        "token": "demo-john",
    }
    as_john = {"Authorization": f"Bearer {john['token']}"}
    assert (await stack.http.get("/processes", headers=as_john)).status_code == 200
    # reading scenarios is the administrator's (tests/test_letsflow_reference.py)
    assert (await stack.http.get("/scenarios", headers=as_john)).status_code == 403


@needs_corpus
async def test_the_golden_scenario_gets_its_id_through_the_api(stack: Stack) -> None:
    text = (LETSFLOW / "core-test-quote-scenario.yaml").read_bytes()
    stored = await stack.http.post("/scenarios", content=text, headers=YAML)
    assert stored.status_code == 201, stored.text
    assert stored.headers["location"] == f"/scenarios/{GOLDEN_ID}"
    as_json = (await stack.http.get(f"/scenarios/{GOLDEN_ID}")).json()
    assert "id" not in as_json and next(iter(as_json)) == "$schema"  # the id is the URL
    assert engine.scenario_id(as_json) == GOLDEN_ID  # what we serve re-hashes the same


@needs_corpus
@pytest.mark.parametrize("name", EXAMPLES)
async def test_every_example_stores_reads_back_and_round_trips(stack: Stack, name: str) -> None:
    text = (LETSFLOW / f"{name}.yaml").read_bytes()
    expected = engine.scenario_id(engine.normalize(engine.load_yaml(text)))
    stored = await stack.http.post("/scenarios", content=text, headers=YAML)
    assert stored.headers["location"] == f"/scenarios/{expected}"
    as_yaml = await stack.http.get(f"/scenarios/{expected}.yaml")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    again = await stack.http.post("/scenarios", content=as_yaml.content, headers=YAML)
    assert again.headers["location"] == f"/scenarios/{expected}"  # YAML out -> same id
    as_json = await stack.http.get(f"/scenarios/{expected}", headers={"Accept": "application/json"})
    negotiated = await stack.http.get(
        f"/scenarios/{expected}", headers={"Accept": "text/html, application/yaml;q=0.9"}
    )
    assert negotiated.headers["content-type"].startswith("application/yaml")
    json_again = await stack.http.post("/scenarios", json=as_json.json())
    assert json_again.headers["location"] == f"/scenarios/{expected}"
    listed = (await stack.http.get("/scenarios")).json()
    assert [s["id"] for s in listed] == [expected]


async def test_disable_hides_from_lists_and_storing_again_re_enables(stack: Stack) -> None:
    stored = await stack.http.post("/scenarios", content=MINIMAL, headers=YAML)
    scenario_id = stored.headers["location"].rsplit("/", 1)[1]
    assert (await stack.http.delete(f"/scenarios/{scenario_id}")).status_code == 204
    assert (await stack.http.get("/scenarios")).json() == []
    disabled = await stack.http.get(f"/scenarios/{scenario_id}")
    assert disabled.status_code == 200 and disabled.headers["x-disabled"] == "true"
    await stack.http.post("/scenarios", content=MINIMAL, headers=YAML)
    enabled = await stack.http.get(f"/scenarios/{scenario_id}")
    assert "x-disabled" not in enabled.headers
    assert [s["title"] for s in (await stack.http.get("/scenarios")).json()] == ["Minimal"]
    missing = problem(await stack.http.get("/scenarios/no-such-id"), 404)
    assert missing["error"] == {"message": "Scenario not found"}
    problem(await stack.http.delete("/scenarios/no-such-id"), 404)


async def test_bad_scenarios_say_where_and_store_nothing(stack: Stack) -> None:
    no_states = problem(await stack.http.post("/scenarios", json={"title": "x"}), 400)
    assert no_states["error"]["message"] == "Invalid scenario"
    assert "states" in no_states["detail"]
    bad_goto = problem(
        await stack.http.post(
            "/scenarios",
            json={"states": {"initial": {"on": "go", "goto": "nowhere"}}},
        ),
        400,
    )
    assert bad_goto["error"]["reason"][0]["path"].startswith("/states/initial")
    broken = problem(
        await stack.http.post("/scenarios", content="states: [unclosed", headers=YAML), 400
    )
    assert "line" in broken["error"]["reason"][0] or "does not parse" in broken["detail"]
    problem(await stack.http.post("/scenarios", json=["a list"]), 400)
    problem(
        await stack.http.post("/scenarios", content="x", headers={"content-type": "text/plain"}),
        415,
    )
    problem(await stack.http.post("/scenarios", content=MINIMAL, headers={**YAML, **JOHN}), 403)
    assert (await stack.http.get("/scenarios")).json() == []
