"""instantiate: the process model of a new process, its first event, and entering states."""

from __future__ import annotations

import json
from typing import Any

import pytest

from letsflow import (
    ProcessError,
    current_state_key,
    event_hash,
    instantiate,
    step,
    verify_chain,
)
from tests.letsflow.corpus import EXAMPLES, LETSFLOW, needs_corpus
from tests.letsflow.engine import PROCESS_ID, T0, at, corpus_scenario, scenario, start

QUOTE_ID = "be31f8b3-c7d1-5aa6-90a9-19acae56285d"


@needs_corpus
def test_first_event_matches_the_letsflow_hash_vector() -> None:
    normalized = json.loads((LETSFLOW / "core-test-quote-scenario.normalized.json").read_text())
    process = instantiate({"id": QUOTE_ID, **normalized}, process_id=PROCESS_ID, timestamp=T0)
    assert process["events"] == [
        {
            "id": PROCESS_ID,
            "timestamp": "2025-01-01T00:00:00.000Z",
            "scenario": QUOTE_ID,
            "hash": "ac9e394e0c1752b51c1c893e58eda525eda1e648110e0b92df2228aca85e367f",
        }
    ]


@needs_corpus
def test_a_scenario_without_id_gets_its_content_address() -> None:
    normalized = json.loads((LETSFLOW / "core-test-quote-scenario.normalized.json").read_text())
    process = instantiate(normalized, process_id=PROCESS_ID, timestamp=T0)
    assert process["scenario"]["id"] == QUOTE_ID
    assert process["events"][0]["scenario"] == QUOTE_ID


@needs_corpus
@pytest.mark.parametrize("name", [*EXAMPLES, "core-test-quote-scenario"])
def test_every_corpus_scenario_instantiates(name: str) -> None:
    definition = corpus_scenario(name)
    process = instantiate(definition, process_id=PROCESS_ID, timestamp=T0)
    assert list(process) == [
        "id",
        "title",
        "isRunning",
        "tags",
        "scenario",
        "actors",
        "vars",
        "result",
        "current",
        "previous",
        "events",
    ]
    assert process["isRunning"] is True
    assert process["scenario"]["id"] == definition["id"]
    assert current_state_key(process) == "initial"
    assert process["current"]["timestamp"] == "2025-01-01T00:00:00.000Z"
    assert process["current"]["actions"], "every example starts with something to do"
    assert "transitions" not in process["current"]
    verify_chain(process["events"])
    json.dumps(process)  # plain JSON all the way down


@needs_corpus
def test_quote_process_model() -> None:
    process = instantiate(corpus_scenario("quote"), process_id=PROCESS_ID, timestamp=T0)
    assert process["title"] == "Quote"
    assert process["actors"] == {
        "sales": {"title": "Organisation", "name": "Acme Inc.", "role": "sales"},
        "customer": {"title": "Customer"},
    }
    assert process["vars"] == {}
    assert process["result"] is None
    assert process["previous"] == []
    current = process["current"]
    assert current["key"] == "initial"
    assert current["notify"] == []
    [request] = current["actions"]
    assert request["key"] == "request"
    assert request["actor"] == ["customer"]
    assert request["schema"] == "actions/form-v1"  # custom properties pass through
    assert "update" not in request
    assert "if" not in request


@needs_corpus
def test_core_quote_state_instructions_are_rendered() -> None:
    process = instantiate(
        corpus_scenario("core-test-quote-scenario"),
        process_id=PROCESS_ID,
        timestamp=T0,
        actors={"client": {"name": "Claire"}},
    )
    assert [a["key"] for a in process["current"]["actions"]] == [
        "new_lead",
        "cancel",
        "change_client_info",
    ]
    changed = step(
        process,
        "new_lead",
        {"key": "company"},
        {"name": "Claire", "email": "claire@example.com"},
        timestamp=at(1),
    )
    assert changed["current"]["key"] == "wait_on_client"
    notify = changed["current"]["notify"]
    assert [n["service"] for n in notify] == ["sms", "email", "email"]
    # `update: actors.client` replaces the actor with the response (mode replace)
    assert notify[1]["message"]["recipient"] == {"name": "Claire", "email": "claire@example.com"}
    assert notify[1]["message"]["template"]["subject"] == "Introduction"


def test_schema_defaults_fill_actors_vars_and_result() -> None:
    process = start(
        {
            "actors": {
                "client": {"properties": {"name": "string", "vip": {"default": False}}},
                "admin": {"role": "admin"},
            },
            "vars": {"count": {"type": "integer", "default": 0}, "note": "string"},
            "result": {"properties": {"score": {"type": "number", "default": 1}}},
            "states": {"initial": {"on": "complete", "goto": "(done)"}},
        }
    )
    assert process["actors"] == {
        "client": {"title": "client", "vip": False},
        "admin": {"title": "admin", "role": "admin"},
    }
    assert process["vars"] == {"count": 0}
    assert process["result"] == {"score": 1}


def test_the_title_defaults_to_the_scenario_title() -> None:
    states = {"initial": {"on": "go", "goto": "(done)"}}
    assert start({"title": "Hi", "states": states})["title"] == "Hi"
    assert start({"states": states})["title"] == ""  # the normalized title '' is kept


def test_start_actors_are_merged_and_recorded_in_the_first_event() -> None:
    process = start(
        {
            "actors": {"client": {"role": "client"}, "person_*": {"title": "Person"}},
            "vars": {"x": "string"},
            "states": {"initial": {"on": "complete", "goto": "(done)"}},
        },
        actors={"client": {"id": "u1", "role": "hacker"}, "person_7": {"id": "u7"}},
        vars={"x": "y"},
    )
    assert process["actors"] == {
        "client": {"title": "client", "id": "u1", "role": "client"},  # role is fixed
        "person_7": {"title": "Person 7", "id": "u7"},
    }
    assert process["vars"] == {"x": "y"}
    first = process["events"][0]
    assert first["actors"] == {"client": {"id": "u1", "role": "hacker"}, "person_7": {"id": "u7"}}
    assert first["vars"] == {"x": "y"}
    assert first["hash"] == event_hash(first)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"actors": {"ghost": {}}}, "Actor 'ghost' not found in scenario"),
        ({"vars": {"nope": 1}}, "Variable 'nope' is not defined in the scenario"),
        ({"vars": {"x": 1}}, "Variable 'x' is invalid: data must be string"),
        (
            {"actors": {"client": {"id": 5}}},
            "Actor 'client' is invalid: data/id must be string",
        ),
    ],
)
def test_start_instructions_that_do_not_fit_raise(kwargs: dict[str, Any], reason: str) -> None:
    document = {
        "actors": {"client": {}},
        "vars": {"x": "string"},
        "states": {"initial": {"on": "complete", "goto": "(done)"}},
    }
    with pytest.raises(ProcessError) as err:
        start(document, **kwargs)
    assert err.value.errors == [reason]
    assert err.value.to_dict() == {"message": "Invalid start instructions", "reason": [reason]}


def test_null_actions_advance_at_once_and_log_when_asked() -> None:
    process = start(
        {
            "vars": {"fast": {"type": "boolean", "default": True}},
            "states": {
                "initial": {
                    "transitions": [
                        {"on": None, "if": {"<ref>": "vars.fast"}, "goto": "second"},
                        {"on": "wait", "goto": "second"},
                    ]
                },
                "second": {"on": None, "goto": "third", "log": {"title": "skipped ahead"}},
                "third": {"on": "finish", "goto": "(done)"},
            },
        }
    )
    assert current_state_key(process) == "third"
    assert process["current"]["timestamp"] == "2025-01-01T00:00:00.000Z"
    assert process["previous"] == [
        {"title": "skipped ahead", "description": "", "timestamp": "2025-01-01T00:00:00.000Z"}
    ]
    assert len(process["events"]) == 1  # null actions add no events


def test_null_actions_stop_when_they_would_loop() -> None:
    process = start(
        {
            "states": {
                "initial": {"on": None, "goto": "a"},
                "a": {"on": None, "goto": "b"},
                "b": {"on": None, "goto": "a"},
            }
        }
    )
    assert current_state_key(process) == "b"


def test_a_null_action_to_an_end_state_ends_the_process_at_once() -> None:
    process = start({"tags": ["t"], "states": {"initial": {"on": None, "goto": "(skipped)"}}})
    assert current_state_key(process) == "(skipped)"
    assert process["isRunning"] is False
    assert process["tags"] == ["t", "(skipped)"]


def test_actions_list_who_may_take_them() -> None:
    process = start(
        {
            "actors": {"client": {}, "admin": {}, "party_*": {}},
            "actions": {
                "approve": {"actor": ["admin", "service:bot"]},
                "hidden": {"if": False},
                "sign": {"actor": "party_*"},
            },
            "states": {
                "initial": {
                    "transitions": [
                        {"on": "approve", "goto": "(done)"},
                        {"on": "hidden", "goto": "(done)"},
                        {"on": "sign", "goto": "(done)"},
                        {"on": "comment", "by": "client", "goto": None},
                        {"on": "comment", "by": "admin", "goto": None},
                        {"on": "never", "if": False, "goto": "(done)"},
                    ]
                }
            },
        },
        actors={"party_1": {}, "party_2": {}},
    )
    listed = {a["key"]: a["actor"] for a in process["current"]["actions"]}
    assert listed == {
        "approve": ["admin", "service:bot"],
        "sign": ["party_1", "party_2"],
        "comment": ["client", "admin"],
    }
    # the engine notifies the service, which may then reply
    assert process["current"]["notify"] == [{"service": "bot", "after": 0, "trigger": "approve"}]


def test_instantiate_leaves_the_scenario_alone() -> None:
    definition = scenario({"actors": {"a": {}}, "states": {"initial": {"on": "x", "goto": "(d)"}}})
    before = json.dumps(definition, sort_keys=True)
    instantiate(definition, process_id=PROCESS_ID, timestamp=T0)
    assert json.dumps(definition, sort_keys=True) == before


def test_a_scenario_without_an_initial_state_is_refused() -> None:
    with pytest.raises(ProcessError):
        instantiate({"states": {}}, process_id=PROCESS_ID, timestamp=T0)
