"""predict: the likely path ahead (LetsFlow's prediction cases, plus the corpus)."""

from __future__ import annotations

import copy
from typing import Any

from letsflow import predict, step
from tests.letsflow.corpus import needs_corpus
from tests.letsflow.engine import World, at, start


def keys(document: dict[str, Any], **kwargs: Any) -> list[str]:
    return [state["key"] for state in predict(start(document, **kwargs))]


def test_predict_a_sequence_of_states() -> None:
    document = {
        "states": {
            "initial": {"on": "next", "goto": "middle"},
            "middle": {"on": "next", "goto": "(done)"},
        }
    }
    assert keys(document) == ["initial", "middle", "(done)"]
    stepped = step(start(document), "next", {"key": "actor"}, timestamp=at(1))
    assert [s["key"] for s in predict(stepped)] == ["middle", "(done)"]


def test_predicted_states_are_current_states_without_time_and_notify() -> None:
    document = {"states": {"initial": {"on": "next", "goto": "(done)", "notify": "bot"}}}
    process = start(document)
    first, last = predict(process)
    assert first == {
        k: v for k, v in process["current"].items() if k not in ("timestamp", "notify")
    }
    assert last["key"] == "(done)"


def test_predict_follows_a_timeout() -> None:
    assert keys({"states": {"initial": {"after": 5000, "goto": "(done)"}}}) == ["initial", "(done)"]


def test_predict_stops_at_a_loop() -> None:
    document = {
        "states": {
            "initial": {"on": "next", "goto": "loop1"},
            "loop1": {"on": "next", "goto": "loop2"},
            "loop2": {"on": "next", "goto": "loop1"},
        }
    }
    assert keys(document) == ["initial", "loop1", "loop2", "loop1"]


def test_predict_takes_the_first_transition_that_can_be_taken() -> None:
    first = {
        "states": {
            "initial": {
                "transitions": [
                    {"on": "fly", "goto": "(success)"},
                    {"on": "fall", "goto": "(failed)"},
                ]
            }
        }
    }
    assert keys(first) == ["initial", "(success)"]
    conditional = {
        "states": {
            "initial": {
                "transitions": [
                    {"on": "fall", "goto": "(failed)", "if": False},
                    {"on": "fly", "goto": "(success)"},
                ]
            }
        }
    }
    assert keys(conditional) == ["initial", "(success)"]
    timeouts = {
        "states": {
            "initial": {
                "transitions": [
                    {"after": 5000, "goto": "(failed)", "if": False},
                    {"after": 10000, "goto": "(success)"},
                ]
            }
        }
    }
    assert keys(timeouts) == ["initial", "(success)"]


def test_predict_respects_action_conditions_and_actors() -> None:
    by_condition = {
        "actions": {"fall": {"if": False}, "fly": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "fall", "goto": "(failed)"},
                    {"on": "fly", "goto": "(success)"},
                ]
            }
        },
    }
    assert keys(by_condition) == ["initial", "(success)"]
    by_actor = {
        "actors": {"admin": {}, "client": {}},
        "actions": {"fall": {"actor": "admin"}, "fly": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "fall", "by": "client", "goto": "(failed)"},
                    {"on": "fly", "goto": "(success)"},
                ]
            }
        },
    }
    assert keys(by_actor) == ["initial", "(success)"]


def test_predict_skips_response_validation() -> None:
    document = {
        "actions": {
            "fall": {},
            "fly": {"response": {"properties": {"foo": "string"}, "required": ["foo"]}},
        },
        "states": {
            "initial": {
                "transitions": [
                    {"on": "fly", "goto": "(success)"},
                    {"on": "fall", "goto": "(failed)"},
                ]
            }
        },
    }
    assert keys(document) == ["initial", "(success)"]


def test_scenarios_can_tell_a_prediction() -> None:
    document = {
        "states": {
            "initial": {
                "transitions": [
                    {"on": "next", "goto": "(done)", "if": {"<ref>": "is_prediction"}},
                    {"on": "next", "goto": "second"},
                ]
            },
            "second": {"on": "next", "goto": "(done)"},
        }
    }
    assert keys(document) == ["initial", "(done)"]
    stepped = step(start(document), "next", {"key": "actor"}, timestamp=at(1))
    assert stepped["current"]["key"] == "second"


def test_predict_uses_the_stub_of_update_instructions() -> None:
    document = {
        "actions": {"sing": {"response": "string", "update": {"set": "vars.song", "stub": "la"}}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "sing", "goto": "(sad)", "if": {"<ref>": "!(vars.song)"}},
                    {"on": "sing", "goto": "(happy)"},
                ]
            }
        },
        "vars": {"song": "string"},
    }
    assert keys(document) == ["initial", "(happy)"]
    stepped = step(start(document), "sing", {"key": "actor"}, "", timestamp=at(1))
    assert stepped["vars"]["song"] == ""
    assert stepped["current"]["key"] == "(sad)"


def test_predict_through_a_loop_to_the_end() -> None:
    document = {
        "actions": {"sign": {"update": {"set": "vars.signed", "value": True}}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "next", "goto": "middle", "if": {"<ref>": "!(vars.signed)"}},
                    {"on": "next", "goto": "(done)"},
                ]
            },
            "middle": {"on": "sign", "goto": "initial"},
        },
        "vars": {"signed": {"type": "boolean", "default": False}},
    }
    assert keys(document) == ["initial", "middle", "initial", "(done)"]


def test_predict_stops_at_the_limit_instead_of_raising() -> None:
    document = {
        "actions": {
            "next": {"update": {"set": "vars.count", "value": {"<ref>": "vars.count + `1`"}}}
        },
        "states": {
            "initial": {"on": "next", "goto": "middle"},
            "middle": {"on": "next", "goto": "initial"},
        },
        "vars": {"count": {"type": "number", "default": 0}},
    }
    assert len(predict(start(document), max_states=10)) == 10


def test_predict_of_an_ended_process_is_its_end_state() -> None:
    done = step(
        start({"states": {"initial": {"on": "go", "goto": "(done)"}}}),
        "go",
        {"key": "actor"},
        timestamp=at(1),
    )
    assert [s["key"] for s in predict(done)] == ["(done)"]


def test_predict_leaves_the_process_alone() -> None:
    process = start({"states": {"initial": {"on": "go", "goto": "(done)"}}})
    before = copy.deepcopy(process)
    predict(process)
    assert process == before


@needs_corpus
def test_predict_the_quote_and_the_meeting() -> None:
    quote = World("quote")
    assert [s["key"] for s in predict(quote.process)] == [
        "initial",
        "requested",
        "quoted",
        "(accepted)",
    ]
    meeting = World("meeting")
    # only the service may start it, and its reply (the actors) has no stub to predict with
    assert [s["key"] for s in predict(meeting.process)] == ["initial"]
