"""normalize(): LetsFlow's golden file, the example scenarios, and each rule on its own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from letsflow import ScenarioError, load_yaml, normalize, scenario_id
from tests.letsflow.corpus import EXAMPLES, LETSFLOW, needs_corpus

REF_TITLE = {"<ref>": "current.action.title"}
REF_DESCRIPTION = {"<ref>": "current.action.description"}
ACTION_LOG = {"title": REF_TITLE, "description": REF_DESCRIPTION, "if": True}
NO_LOG = {"title": "", "description": "", "if": False}
ROLE = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _key_order(value: Any) -> Any:
    """The document with every mapping turned into its list of items (order matters)."""
    if isinstance(value, dict):
        return [(k, _key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_key_order(v) for v in value]
    return value


# -- the golden file ----------------------------------------------------------------------


@needs_corpus
def test_core_test_scenario_normalizes_to_the_golden_file() -> None:
    source = load_yaml((LETSFLOW / "core-test-quote-scenario.yaml").read_text())
    expected = json.loads((LETSFLOW / "core-test-quote-scenario.normalized.json").read_text())

    normalized = normalize(source)

    assert normalized == expected
    assert _key_order(normalized) == _key_order(expected)  # key order too, "$schema" first
    assert scenario_id(normalized) == "be31f8b3-c7d1-5aa6-90a9-19acae56285d"


@needs_corpus
def test_the_golden_file_is_a_fixed_point() -> None:
    expected = json.loads((LETSFLOW / "core-test-quote-scenario.normalized.json").read_text())
    assert _key_order(normalize(expected)) == _key_order(expected)


@needs_corpus
@pytest.mark.parametrize("name", [*EXAMPLES, "core-test-quote-scenario"])
def test_example_scenarios_normalize_idempotently_with_a_stable_id(name: str) -> None:
    source = load_yaml((LETSFLOW / f"{name}.yaml").read_text())
    pristine = copy.deepcopy(source)

    once = normalize(source)
    twice = normalize(once)

    assert source == pristine  # the input is not modified
    assert _key_order(twice) == _key_order(once)
    assert scenario_id(twice) == scenario_id(once) == scenario_id(normalize(pristine))
    assert "initial" in once["states"]
    for key, state in once["states"].items():
        if key.startswith("("):
            assert state["tag"] == [key]
        else:
            assert state["transitions"], key


@needs_corpus
def test_quote_example() -> None:
    scenario = normalize(load_yaml((LETSFLOW / "quote.yaml").read_text()))
    request = scenario["actions"]["request"]["response"]
    assert request["required"] == ["company", "email", "requirements"]
    assert "!required" not in request["properties"]["company"]
    # `cancel` shares `reject`'s body through a YAML merge key; each is normalized once
    assert scenario["actions"]["cancel"]["title"] == "Cancel"
    assert scenario["actions"]["cancel"]["response"] == scenario["actions"]["reject"]["response"]
    assert scenario["states"]["quoted"]["transitions"][2]["after"] == 10 * 86400
    assert scenario["states"]["(accepted)"]["title"] == "accepted"
    assert scenario["result"] == {"type": "string", "format": "uri"}
    assert set(scenario["actions"]) >= {"quoted.accept"}


# -- rules ----------------------------------------------------------------------------------


def test_minimal_scenario() -> None:
    scenario = {
        "title": "minimal",
        "tags": ["a"],
        "states": {"initial": {"on": "complete", "goto": "(done)"}},
    }
    assert _key_order(normalize(scenario)) == _key_order(
        {
            "$schema": "https://schemas.letsflow.io/v1.0/scenario",
            "title": "minimal",
            "tags": ["a"],
            "states": {
                "initial": {
                    "title": "initial",
                    "description": "",
                    "instructions": {},
                    "transitions": [
                        {
                            "on": "complete",
                            "by": ["*"],
                            "if": True,
                            "goto": "(done)",
                            "log": ACTION_LOG,
                        }
                    ],
                    "notify": [],
                },
                "(done)": {
                    "title": "done",
                    "description": "",
                    "instructions": {},
                    "notify": [],
                    "tag": ["(done)"],
                },
            },
            "description": "",
            "actors": {
                "actor": {
                    "title": "actor",
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "role": ROLE,
                    },
                    "additionalProperties": False,
                }
            },
            "actions": {
                "initial.complete": {
                    "title": "complete",
                    "description": "",
                    "if": True,
                    "actor": ["actor"],
                    "response": {},
                    "update": [],
                }
            },
            "vars": {},
            "result": {},
        }
    )


def test_a_given_id_and_schema_are_replaced() -> None:
    scenario = {
        "id": "not-the-id",
        "$schema": "https://schemas.letsflow.io/v1.0/scenario",
        "states": {"initial": {"on": "go", "goto": "(done)"}},
    }
    normalized = normalize(scenario)
    assert "id" not in normalized
    assert next(iter(normalized)) == "$schema"


def test_actors() -> None:
    actors = normalize(
        {
            "actors": {
                "user_1": {"properties": {"name": "string", "id": "number"}, "role": ["a", "b"]},
                "person_*": None,
                "ref": "https://example.com/actor.json",
                "typed": {
                    "properties": {"email": {"type": "string", "!required": True}},
                    "patternProperties": {"^x": "string"},
                    "additionalProperties": "number",
                },
            },
            "states": {"initial": {"on": "go", "goto": "(done)"}},
        }
    )["actors"]
    assert actors["user_1"] == {
        "properties": {
            "name": {"type": "string"},
            "id": {"type": "string"},  # id, title and role are always the engine's
            "title": {"type": "string"},
            "role": ROLE,
        },
        "role": ["a", "b"],
        "title": "user 1",
        "type": "object",
        "additionalProperties": False,
    }
    assert actors["person_*"]["title"] == "person"
    assert actors["ref"] == {"$ref": "https://example.com/actor.json", "title": "ref"}
    assert actors["typed"]["required"] == ["email"]
    assert actors["typed"]["patternProperties"] == {"^x": {"type": "string"}}
    assert actors["typed"]["additionalProperties"] == {"type": "number"}


def test_actions() -> None:
    actions = normalize(
        {
            "actors": {"client": {}, "bot": {}},
            "actions": {
                "do_it_now": None,
                "one": {"actor": "client", "response": "string", "update": "vars.x"},
                "two": {
                    "title": "Two",
                    "actor": {"<ref>": "vars.who"},
                    "response": {
                        "properties": {"a": {"type": "string", "!required": True}, "b": "number"}
                    },
                    "update": [
                        {"set": "result", "mode": "append", "if": {"<ref>": "x"}, "extra": 1}
                    ],
                },
                "three": {
                    "response": {"<ref>": "scenario.vars.x"},
                    "update": {"set": "actors.bot", "merge": True},
                },
                "four": {"response": "#/$defs/thing", "form": {"custom": True}},
            },
            "states": {"initial": {"on": "one", "goto": "(done)"}},
        }
    )["actions"]
    assert actions["do_it_now"] == {
        "title": "do it_now",  # only the first underscore, as LetsFlow
        "description": "",
        "if": True,
        "actor": ["*"],
        "response": {},
        "update": [],
    }
    assert actions["one"]["actor"] == ["client"]
    assert actions["one"]["response"] == {"type": "string"}
    assert actions["one"]["update"] == [
        {
            "set": "vars.x",
            "value": {"<ref>": "current.response"},
            "stub": None,
            "mode": "replace",
            "if": True,
        }
    ]
    assert actions["two"]["actor"] == {"<ref>": "vars.who"}
    assert actions["two"]["response"] == {
        "properties": {"a": {"type": "string"}, "b": {"type": "number"}},
        "type": "object",
        "required": ["a"],
        "additionalProperties": False,
    }
    assert actions["two"]["update"] == [
        {
            "set": "result",
            "value": {"<ref>": "current.response"},
            "stub": None,
            "mode": "append",
            "if": {"<ref>": "x"},
        }
    ]
    assert actions["three"]["response"] == {"<ref>": "scenario.vars.x"}
    assert actions["three"]["update"][0]["mode"] == "replace"
    assert actions["four"]["response"] == {"$ref": "#/$defs/thing"}
    assert actions["four"]["form"] == {"custom": True}


def test_implicit_actions_collect_the_actors_of_their_transitions() -> None:
    scenario = normalize(
        {
            "actors": {"admin": {}, "client": {}, "person_*": {}, "person_1": {}},
            "actions": {"known": {}},
            "states": {
                "initial": {
                    "transitions": [
                        {"on": "complete", "by": "client", "goto": "(done)"},
                        {"on": "complete", "by": ["admin", "client"], "goto": "(ready)"},
                        {"on": "cancel", "goto": "(cancelled)"},
                        {"on": "ping", "by": ["service:bot", "person_*"], "goto": None},
                        {"on": "known", "goto": None},
                    ]
                },
            },
        }
    )
    actions = scenario["actions"]
    assert list(actions) == ["known", "initial.complete", "initial.cancel", "initial.ping"]
    assert actions["initial.complete"]["actor"] == ["client", "admin"]  # in order of `by`
    assert actions["initial.cancel"]["actor"] == ["admin", "client", "person_*", "person_1"]
    # `person_*` in `by` covers the wildcard actor and its instances
    assert actions["initial.ping"]["actor"] == ["person_*", "person_1", "service:bot"]
    assert list(scenario["states"]) == ["initial", "(done)", "(ready)", "(cancelled)"]


def test_state_forms() -> None:
    states = normalize(
        {
            "states": {
                "initial": {"on": "go", "by": "actor", "goto": "wait", "log": {"title": "went"}},
                "wait": {"after": "1m", "goto": "auto", "instructions": {"actor": "wait"}},
                "auto": {"on": None, "goto": "(done)"},
                "busy": {
                    "title": "Busy!",
                    "transitions": [
                        {"on": "go", "goto": "wait", "log": False},
                        {"after": 90, "goto": None, "log": {"title": "timeout"}},
                        {"after": "2 Hours", "goto": "(done)", "if": {"<ref>": "vars.x"}},
                    ],
                },
                "(done)": {"title": "Done", "tag": "finished"},
            }
        }
    )["states"]
    assert states["initial"]["transitions"] == [
        {
            "on": "go",
            "by": ["actor"],
            "if": True,
            "goto": "wait",
            "log": {**ACTION_LOG, "title": "went"},
        }
    ]
    assert "on" not in states["initial"] and "log" not in states["initial"]
    assert states["wait"]["transitions"] == [
        {"after": 60, "if": True, "goto": "auto", "log": NO_LOG}
    ]
    assert states["wait"]["instructions"] == {"actor": "wait"}
    assert states["auto"]["transitions"][0]["log"] == NO_LOG  # a null action logs nothing
    assert states["busy"]["title"] == "Busy!"
    assert [t["log"] for t in states["busy"]["transitions"]] == [
        NO_LOG,
        {"title": "timeout", "description": "", "if": True},
        NO_LOG,
    ]
    assert [t.get("after") for t in states["busy"]["transitions"]] == [None, 90, 7200]
    assert states["(done)"] == {
        "title": "Done",
        "tag": ["finished"],
        "description": "",
        "instructions": {},
        "notify": [],
    }


def test_the_any_state_is_merged_into_every_state() -> None:
    states = normalize(
        {
            "states": {
                "*": {
                    "instructions": {"admin": "watch", "user": "ignored"},
                    "notify": "audit",
                    "transitions": [{"on": "cancel", "goto": "(cancelled)"}],
                    "ui": {"color": "red"},
                },
                "initial": {"on": "go", "goto": "(done)", "instructions": {"user": "go!"}},
                "(done)": {"title": "Done"},
            }
        }
    )["states"]
    assert "*" not in states
    initial = states["initial"]
    assert [t["on"] for t in initial["transitions"]] == ["go", "cancel"]
    assert initial["instructions"] == {"admin": "watch", "user": "go!"}
    assert [n["service"] for n in initial["notify"]] == ["audit"]
    assert initial["ui"] == {"color": "red"}
    # an end state takes instructions and notify, never transitions
    assert "transitions" not in states["(done)"]
    assert states["(done)"]["instructions"] == {"admin": "watch", "user": "ignored"}
    # implicit end states are made after the merge
    assert states["(cancelled)"]["instructions"] == {}


def test_any_state_without_transitions() -> None:
    states = normalize(
        {"states": {"*": {"instructions": {"a": "x"}}, "initial": {"on": "go", "goto": "(done)"}}}
    )["states"]
    assert states["initial"]["instructions"] == {"a": "x"}
    assert "tag" not in states["initial"]


def test_notify() -> None:
    states = normalize(
        {
            "actors": {"client": {}},
            "actions": {"reply": {"actor": ["client", "service:mail"]}},
            "states": {
                "initial": {
                    "notify": [
                        "service:mail",
                        {
                            "service": "sms",
                            "after": "5days",
                            "if": {"<ref>": "x"},
                            "message": "hi",
                            "x": 1,
                        },
                    ],
                    "transitions": [{"on": "reply", "goto": "second"}],
                },
                "second": {"on": "done", "by": "service:bot", "goto": "third"},
                "third": {
                    "notify": {"service": "bot", "trigger": "ping"},
                    "transitions": [
                        {"on": "a", "by": "service:bot", "goto": "(done)"},
                        {"on": "b", "by": "service:bot", "goto": "(done)"},
                    ],
                },
                "fourth": {
                    "transitions": [
                        {"on": "a", "by": "service:bot", "goto": "(done)"},
                        {"on": "a", "by": "service:bot", "if": False, "goto": "(done)"},
                    ],
                },
            },
        }
    )["states"]
    assert states["initial"]["notify"] == [
        {"service": "mail", "after": 0, "if": True, "trigger": "reply"},
        {"service": "sms", "after": 432000, "if": {"<ref>": "x"}, "trigger": None, "message": "hi"},
    ]
    # a service that may act but is not notified is notified implicitly
    assert states["second"]["notify"] == [
        {"service": "bot", "after": 0, "if": True, "trigger": "done"}
    ]
    assert states["third"]["notify"] == [
        {"service": "bot", "after": 0, "if": True, "trigger": "ping"}
    ]
    assert states["fourth"]["notify"] == [
        {"service": "bot", "after": 0, "if": True, "trigger": "a"}
    ]
    assert states["(done)"]["notify"] == []


def test_vars_and_result() -> None:
    scenario = normalize(
        {
            "states": {"initial": {"on": "go", "goto": "(done)"}},
            "vars": {
                "first_name": "string",
                "emails": {"title": "email addresses", "items": "string"},
                "choice": {"enum": ["a", "b"]},
                "mixed": {"enum": [1, "a", None]},
                "fixed": {"const": 3},
                "doc": "https://example.com/doc.json",
                "defs": {"$defs": {"one": "string"}},
            },
            "result": {"properties": {"x": "integer"}},
        }
    )
    assert scenario["vars"] == {
        "first_name": {"type": "string", "title": "first name"},
        "emails": {"title": "email addresses", "items": {"type": "string"}, "type": "array"},
        "choice": {"enum": ["a", "b"], "type": "string", "title": "choice"},
        "mixed": {"enum": [1, "a", None], "type": ["number", "string", "null"], "title": "mixed"},
        "fixed": {"const": 3, "type": "number", "title": "fixed"},
        "doc": {"$ref": "https://example.com/doc.json", "title": "doc"},
        "defs": {"$defs": {"one": {"type": "string"}}, "title": "defs"},
    }
    assert scenario["result"] == {
        "properties": {"x": {"type": "integer"}},
        "type": "object",
        "additionalProperties": False,
    }
    assert normalize({"states": {"initial": {"on": "a", "goto": None}}, "result": "number"})[
        "result"
    ] == {"type": "number"}


def test_custom_top_level_keys_are_kept_in_place() -> None:
    normalized = normalize(
        {
            "title": "T",
            "ui": {"x": 1},
            "states": {"initial": {"on": "a", "goto": None}},
            "emails": {},
        }
    )
    assert list(normalized)[:5] == ["$schema", "title", "ui", "states", "emails"]
    assert normalized["ui"] == {"x": 1}


def test_shared_objects_are_normalized_once() -> None:
    transitions = [{"on": "go", "goto": "(done)"}]
    scenario = {
        "states": {
            "*": {"transitions": [{"on": "cancel", "goto": "(cancelled)"}]},
            "initial": {"transitions": transitions},
            "other": {"transitions": transitions},
        }
    }
    states = normalize(scenario)["states"]
    assert [t["on"] for t in states["initial"]["transitions"]] == ["go", "cancel"]
    assert [t["on"] for t in states["other"]["transitions"]] == ["go", "cancel"]
    assert transitions == [{"on": "go", "goto": "(done)"}]


def test_a_document_that_contains_itself_is_refused() -> None:
    loop: dict[str, Any] = {"on": "go", "goto": None}
    loop["self"] = loop
    with pytest.raises(ScenarioError, match="refers to itself") as err:
        normalize({"states": {"initial": loop}})
    assert err.value.path == ("states", "initial", "self")
