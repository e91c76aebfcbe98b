"""step: transitions, skipped steps with LetsFlow's messages, update instructions, logging."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from letsflow import (
    UNDEFINED,
    ProcessError,
    ScenarioError,
    event_hash,
    format_timestamp,
    parse_timestamp,
    step,
    verify_chain,
)
from tests.letsflow.engine import at, errors, last_event, start

SIMPLE = {"title": "some scenario", "states": {"initial": {"on": "complete", "goto": "(done)"}}}


def test_step_to_an_end_state() -> None:
    process = start({**SIMPLE, "tags": ["demo"]})
    done = step(process, "complete", {"key": "actor"}, timestamp=at(5))
    event = last_event(done)
    assert event == {
        "previous": process["events"][0]["hash"],
        "timestamp": "2025-01-01T00:00:05.000Z",
        "action": "complete",
        "actor": {"key": "actor"},
        "skipped": False,
        "hash": event_hash(event),
    }
    assert done["current"]["key"] == "(done)"
    assert done["current"]["title"] == "done"
    assert done["current"]["timestamp"] == "2025-01-01T00:00:05.000Z"
    assert done["current"]["actions"] == []
    assert done["isRunning"] is False
    assert done["tags"] == ["demo", "(done)"]
    assert done["previous"] == [
        {
            "title": "complete",
            "description": "",
            "timestamp": "2025-01-01T00:00:05.000Z",
            "actor": {"key": "actor"},
        }
    ]
    verify_chain(done["events"])


def test_step_returns_a_new_process_and_leaves_the_input_alone() -> None:
    process = start(SIMPLE)
    before = copy.deepcopy(process)
    step(process, "complete", {"key": "actor"}, timestamp=at(1))
    step(process, "dance", {"key": "actor"}, timestamp=at(1))
    assert process == before


def test_the_event_records_the_user_but_not_the_roles() -> None:
    process = start(
        {"actors": {"admin": {"role": "admin"}}, "states": SIMPLE["states"]},
    )
    done = step(
        process,
        "complete",
        {"key": "admin", "id": "u1", "roles": ["admin"], "name": "Arnold"},
        timestamp=at(1),
    )
    assert last_event(done)["actor"] == {"key": "admin", "id": "u1", "name": "Arnold"}
    assert done["previous"][-1]["actor"] == {"key": "admin", "id": "u1", "name": "Arnold"}


def test_the_first_transition_for_the_actor_wins() -> None:
    document = {
        "actors": {"actor": {}, "admin": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "complete", "by": "actor", "goto": "(failed)"},
                    {"on": "complete", "by": "admin", "goto": "(done)"},
                ]
            }
        },
    }
    assert step(start(document), "complete", {"key": "admin"}, timestamp=at(1))["current"][
        "key"
    ] == ("(done)")


def test_transitions_match_wildcard_actors() -> None:
    document = {
        "actors": {"party_*": {}, "admin": {}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "complete", "by": "admin", "goto": "(failed)"},
                    {"on": "complete", "by": "party_*", "goto": "(done)"},
                ]
            }
        },
    }
    process = start(document, actors={"party_1": {}, "party_2": {}})
    assert step(process, "complete", {"key": "party_2"}, timestamp=at(1))["current"]["key"] == (
        "(done)"
    )


def test_transition_if_conditions_choose_the_way() -> None:
    document = {
        "vars": {"foo": "integer"},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "complete", "if": {"<ref>": "vars.foo <= `10`"}, "goto": "(failed)"},
                    {"on": "complete", "if": {"<ref>": "vars.foo > `10`"}, "goto": "(done)"},
                ]
            }
        },
    }
    high = step(start(document, vars={"foo": 42}), "complete", {"key": "actor"}, timestamp=at(1))
    low = step(start(document, vars={"foo": 5}), "complete", {"key": "actor"}, timestamp=at(1))
    assert high["current"]["key"] == "(done)"
    assert low["current"]["key"] == "(failed)"


def test_goto_null_stays_without_resetting_the_timer() -> None:
    document = {
        "vars": {"n": {"type": "integer", "default": 0}},
        "actions": {"bump": {"update": {"set": "vars.n", "value": {"<ref>": "vars.n + `1`"}}}},
        "states": {
            "initial": {
                "transitions": [
                    {"on": "bump", "goto": None},
                    {"on": "complete", "goto": "(done)"},
                    {"after": 60, "goto": "(expired)"},
                ]
            }
        },
    }
    process = start(document)
    stayed = step(process, "bump", {"key": "actor"}, timestamp=at(30))
    assert stayed["current"]["key"] == "initial"
    assert stayed["current"]["timestamp"] == process["current"]["timestamp"]
    assert stayed["vars"] == {"n": 1}
    assert stayed["previous"][-1]["title"] == "bump"


def test_goto_the_same_state_resets_the_timer() -> None:
    document = {"states": {"initial": {"on": "again", "goto": "initial"}}}
    again = step(start(document), "again", {"key": "actor"}, timestamp=at(30))
    assert again["current"]["timestamp"] == "2025-01-01T00:00:30.000Z"


def test_a_qualified_action_key_names_the_action_of_the_current_state() -> None:
    done = step(start(SIMPLE), "initial.complete", {"key": "actor"}, timestamp=at(1))
    assert done["current"]["key"] == "(done)"
    assert last_event(done)["action"] == "complete"


# -- skip reasons (§1.5 step 4 and 7) ---------------------------------------------------


ASSIGNED = {
    "actors": {"user": {}, "admin": {}, "staff": {"role": ["staff", "ops"]}},
    "actions": {"complete": {"actor": ["admin", "staff"]}},
    "vars": {"foo": "string"},
    "states": {"initial": {"on": "complete", "goto": "(done)"}},
}


def _skip(
    document: dict[str, Any], actor: dict[str, Any], response: Any = UNDEFINED, **kw: Any
) -> list[str]:
    process = start(document, **kw)
    stepped = step(process, "complete", actor, response, timestamp=at(1))
    reasons = errors(stepped)
    assert stepped["current"] == process["current"]
    assert stepped["events"][:-1] == process["events"]
    assert last_event(stepped)["hash"] == event_hash(last_event(stepped))
    return reasons


def test_skip_an_action_that_is_not_allowed_in_the_state() -> None:
    process = start(SIMPLE)
    skipped = step(process, "dance", {"key": "actor"}, timestamp=at(1))
    assert errors(skipped) == ["Action 'dance' is not allowed in state 'initial'"]
    assert last_event(skipped)["skipped"] is True
    assert skipped["current"]["key"] == "initial"


def test_skip_any_action_in_an_end_state() -> None:
    done = step(start(SIMPLE), "complete", {"key": "actor"}, timestamp=at(1))
    again = step(done, "complete", {"key": "actor"}, timestamp=at(2))
    assert errors(again) == ["Action 'complete' is not allowed in state '(done)'"]


def test_skip_an_actor_that_is_not_defined() -> None:
    assert _skip(ASSIGNED, {"key": "captain"}) == ["Actor 'captain' is not defined in the scenario"]


def test_skip_an_actor_that_is_not_assigned() -> None:
    assert _skip(ASSIGNED, {"key": "admin", "id": "1"}) == [
        "Actor 'admin' is not assigned to a user or role"
    ]


def test_skip_a_user_with_another_id() -> None:
    reasons = _skip(ASSIGNED, {"key": "admin", "id": "2"}, actors={"admin": {"id": "1"}})
    assert reasons == ["User is not allowed to perform as actor 'admin'"]


def test_skip_a_user_without_the_role() -> None:
    reasons = _skip(ASSIGNED, {"key": "staff", "id": "2", "roles": ["client"]})
    assert reasons == ["User is not allowed to perform as actor 'staff'"]


def test_allow_a_user_by_id_or_by_role() -> None:
    by_id = start(ASSIGNED, actors={"admin": {"id": "1"}})
    assert (
        step(by_id, "complete", {"key": "admin", "id": "1"}, timestamp=at(1))["current"]["key"]
        == "(done)"
    )
    by_role = start(ASSIGNED)
    user = {"key": "staff", "id": "9", "roles": ["ops"]}
    assert step(by_role, "complete", user, timestamp=at(1))["current"]["key"] == "(done)"


def test_skip_an_actor_that_may_not_take_the_action() -> None:
    assert _skip(ASSIGNED, {"key": "user"}) == [
        "Actor 'user' is not allowed to perform action 'complete'"
    ]


def test_skip_a_service_that_may_not_take_the_action() -> None:
    assert _skip(ASSIGNED, {"key": "service:mailer"}) == [
        "Service 'mailer' is not allowed to perform action 'complete'"
    ]


def test_a_service_named_in_by_may_take_an_open_action() -> None:
    document = {
        "actions": {"complete": {}},
        "states": {"initial": {"on": "complete", "by": "service:bot", "goto": "(done)"}},
    }
    done = step(start(document), "complete", {"key": "service:bot"}, timestamp=at(1))
    assert done["current"]["key"] == "(done)"


def test_skip_an_action_whose_if_is_false() -> None:
    document = {
        "vars": {"foo": "integer"},
        "actions": {"complete": {"if": {"<ref>": "vars.foo > `10`"}}},
        "states": {"initial": {"transitions": [{"on": "complete", "goto": "(done)"}]}},
    }
    assert _skip(document, {"key": "actor"}, vars={"foo": 5}) == [
        "Action 'complete' is not allowed due to if condition"
    ]


def test_skip_an_invalid_response_with_ajv_messages() -> None:
    document = {
        "actions": {
            "complete": {
                "response": {
                    "properties": {
                        "email": {"type": "string", "format": "email", "!required": True},
                        "age": {"type": "integer", "minimum": 18},
                    }
                }
            }
        },
        "states": SIMPLE["states"],
    }
    reasons = _skip(document, {"key": "actor"}, {"age": 12, "extra": 1})
    assert reasons == [
        "Response is invalid: data must have required property 'email'",
        "Response is invalid: data must NOT have additional properties",
        "Response is invalid: data/age must be >= 18",
    ]
    assert _skip(document, {"key": "actor"}, {"email": "nope"}) == [
        'Response is invalid: data/email must match format "email"'
    ]
    assert _skip(
        {**document, "actions": {"complete": {"response": "string"}}},
        {"key": "actor"},
        {"foo": "bar"},
    ) == ["Response is invalid: data must be string"]


def test_several_reasons_are_reported_together() -> None:
    reasons = _skip(
        ASSIGNED | {"actions": {"complete": {"actor": "admin", "if": False}}}, {"key": "user"}
    )
    assert reasons == [
        "Actor 'user' is not allowed to perform action 'complete'",
        "Action 'complete' is not allowed due to if condition",
    ]


def test_the_response_default_is_used_when_no_response_is_given() -> None:
    document = {
        "actions": {"complete": {"response": {"type": "string", "default": "default value"}}},
        "states": SIMPLE["states"],
    }
    done = step(start(document), "complete", {"key": "actor"}, timestamp=at(1))
    assert last_event(done)["response"] == "default value"
    given = step(start(document), "complete", {"key": "actor"}, "hello", timestamp=at(1))
    assert last_event(given)["response"] == "hello"


def test_no_response_is_left_out_of_the_event() -> None:
    done = step(start(SIMPLE), "complete", {"key": "actor"}, timestamp=at(1))
    assert "response" not in last_event(done)


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        ({"set": "title", "value": 42}, "Title is invalid: must be a string"),
        (
            {"set": "actors.client.name", "value": 42},
            "Actor 'client' is invalid: data/name must be string",
        ),
        (
            {"set": "actors.client.role", "value": "admin"},
            "Role of actor 'client' must not be changed",
        ),
        ({"set": "actors", "value": {}}, "Actor 'client' is missing"),
        ({"set": "actors.ghost", "value": {}}, "Actor 'ghost' is not defined in the scenario"),
        ({"set": "vars.nope", "value": 1}, "Variable 'nope' is not defined in the scenario"),
        ({"set": "vars.count", "value": "x"}, "Variable 'count' is invalid: data must be integer"),
        ({"set": "result", "value": 5}, "Result is invalid: data must be string"),
        (
            {"set": {"<ref>": "'scenario.title'"}, "value": "x"},
            "Not allowed to set 'scenario.title' through update instructions",
        ),
    ],
)
def test_skip_when_the_update_makes_the_process_invalid(
    update: dict[str, Any], reason: str
) -> None:
    document = {
        "actors": {"client": {"role": "client", "properties": {"name": "string"}}},
        "vars": {"count": "integer"},
        "result": "string",
        "actions": {"complete": {"update": update}},
        "states": SIMPLE["states"],
    }
    process = start(document)
    skipped = step(process, "complete", {"key": "client"}, timestamp=at(1))
    assert errors(skipped) == [reason]
    assert skipped["actors"] == process["actors"]
    assert skipped["vars"] == process["vars"]


def test_skip_when_no_transition_accepts_the_actor() -> None:
    document = {
        "actors": {"client": {}, "admin": {}},
        "states": {"initial": {"on": "complete", "by": "admin", "goto": "(done)"}},
        "actions": {"complete": {"actor": ["client", "admin"]}},
    }
    assert _skip(document, {"key": "client"}) == [
        "No transition found for action 'complete' in state 'initial' for actor 'client'"
    ]


def test_skip_when_no_transition_condition_holds_for_the_default_actor() -> None:
    document = {
        "states": {"initial": {"transitions": [{"on": "complete", "if": False, "goto": "(x)"}]}}
    }
    assert _skip(document, {"key": "actor"}) == [
        "No transition found for action 'complete' in state 'initial' for actor"
    ]


def test_a_failing_data_function_skips_the_step() -> None:
    document = {
        "actions": {"complete": {"update": {"set": "vars.x", "value": {"<ref>": "uuid()"}}}},
        "vars": {"x": "string"},
        "states": SIMPLE["states"],
    }
    skipped = step(start(document), "complete", {"key": "actor"}, timestamp=at(1))
    assert len(errors(skipped)) == 1
    assert "uuid()" in errors(skipped)[0]
    done = step(
        start(document), "complete", {"key": "actor"}, timestamp=at(1), new_uuid=lambda: "u-1"
    )
    assert done["vars"] == {"x": "u-1"}


def test_a_malformed_actor_is_a_programming_error() -> None:
    with pytest.raises(ScenarioError):
        step(start(SIMPLE), "complete", {"id": "x"}, timestamp=at(1))


# -- update instructions ---------------------------------------------------------------


def _updated(update: Any, response: Any = UNDEFINED, **document: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "actors": {"client": {"properties": {"name": "string", "tags": {"type": "array"}}}},
        "vars": {
            "list": {"type": "array"},
            "obj": {"type": "object", "additionalProperties": True},
            "n": "number",
        },
        "result": {},
        "actions": {"complete": {"update": update}},
        "states": SIMPLE["states"],
    }
    base.update(document)
    process = step(start(base), "complete", {"key": "client"}, response, timestamp=at(1))
    assert not last_event(process)["skipped"], last_event(process).get("errors")
    return process


def test_update_replace_writes_the_response_by_default() -> None:
    process = _updated("vars.obj", {"a": 1})
    assert process["vars"]["obj"] == {"a": 1}


def test_update_merge_lays_objects_over_and_concatenates_lists() -> None:
    merged = _updated(
        [
            {"set": "vars.obj", "value": {"a": 1, "b": 1}},
            {"set": "vars.obj", "value": {"b": 2}, "mode": "merge"},
            {"set": "vars.list", "value": [1]},
            {"set": "vars.list", "value": [2, 3], "mode": "merge"},
            {"set": "vars.n", "value": 1, "mode": "merge"},
        ]
    )
    assert merged["vars"] == {"obj": {"a": 1, "b": 2}, "list": [1, 2, 3], "n": 1}


def test_update_append_adds_to_a_list() -> None:
    appended = _updated(
        [
            {"set": "vars.list", "value": "a", "mode": "append"},
            {"set": "vars.list", "value": ["b"], "mode": "append"},
        ]
    )
    assert appended["vars"]["list"] == ["a", ["b"]]


def test_update_if_skips_an_instruction() -> None:
    process = _updated(
        [
            {"set": "vars.n", "value": 1, "if": {"<ref>": "current.response.go"}},
            {"set": "vars.obj", "value": {"x": True}, "if": {"<ref>": "!(current.response.go)"}},
        ],
        {"go": False},
    )
    assert process["vars"] == {"obj": {"x": True}}


def test_update_instructions_see_earlier_ones() -> None:
    process = _updated(
        [
            {"set": "vars.n", "value": 2},
            {"set": "vars.n", "value": {"<ref>": "vars.n * `10`"}},
        ]
    )
    assert process["vars"]["n"] == 20


def test_update_of_current_actor_writes_back_to_the_actor() -> None:
    process = _updated({"set": "current.actor", "mode": "merge"}, {"name": "Claire"})
    assert process["actors"]["client"] == {"title": "client", "name": "Claire"}
    nested = _updated({"set": "current.actor.name", "value": "Dot"})
    assert nested["actors"]["client"] == {"title": "client", "name": "Dot"}


def test_update_title_and_result() -> None:
    process = _updated(
        [{"set": "title", "value": "Renamed"}, {"set": "result", "value": {"ok": True}}]
    )
    assert process["title"] == "Renamed"
    assert process["result"] == {"ok": True}


def test_update_creates_actors_from_their_wildcard_schema() -> None:
    document = {
        "actors": {
            "host": {},
            "guest_*": {
                "title": "Guest",
                "properties": {"seat": {"type": "integer", "default": 1}},
            },
        },
        "actions": {"invite": {"update": {"set": "actors.guest_2", "value": {"id": "g2"}}}},
        "states": {"initial": {"on": "invite", "goto": "(done)"}},
    }
    process = step(start(document), "invite", {"key": "host"}, timestamp=at(1))
    assert process["actors"]["guest_2"] == {"title": "Guest 2", "seat": 1, "id": "g2"}


def test_the_log_uses_the_action_title_and_can_be_turned_off_or_customized() -> None:
    document = {
        "actions": {"go": {"title": "Go now", "description": "moves"}},
        "states": {
            "initial": {"on": "go", "goto": "second"},
            "second": {"transitions": [{"on": "quiet", "goto": "third", "log": False}]},
            "third": {
                "transitions": [
                    {
                        "on": "loud",
                        "goto": "(done)",
                        "log": {"title": {"<tpl>": "by {{ current.actor.key }}"}, "level": 2},
                    }
                ]
            },
        },
    }
    process = start(document)
    for i, action in enumerate(["go", "quiet", "loud"], start=1):
        process = step(process, action, {"key": "actor"}, timestamp=at(i))
    assert process["previous"] == [
        {
            "title": "Go now",
            "description": "moves",
            "timestamp": "2025-01-01T00:00:01.000Z",
            "actor": {"key": "actor"},
        },
        {
            "title": "by actor",
            "description": "",
            "level": 2,
            "timestamp": "2025-01-01T00:00:03.000Z",
            "actor": {"key": "actor"},
        },
    ]
    json.dumps(process)


def test_null_actions_follow_a_step_with_its_time_and_actor() -> None:
    document = {
        "states": {
            "initial": {"on": "submit", "goto": "check"},
            "check": {
                "transitions": [{"on": None, "goto": "(accepted)", "log": {"title": "auto"}}]
            },
        }
    }
    done = step(start(document), "submit", {"key": "actor"}, timestamp=at(7))
    assert done["current"]["key"] == "(accepted)"
    assert done["current"]["timestamp"] == "2025-01-01T00:00:07.000Z"
    assert [entry["title"] for entry in done["previous"]] == ["submit", "auto"]
    assert done["previous"][-1]["actor"] == {"key": "actor"}
    assert done["isRunning"] is False
    assert len(done["events"]) == 2


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"scenario": {"states": {}}, "actors": {}, "events": [{}], "current": {"key": "x"}},
        {"scenario": {"states": {"x": {}}}, "actors": {}, "events": [], "current": {"key": "x"}},
    ],
)
def test_something_that_is_not_a_process_raises(broken: dict[str, Any]) -> None:
    with pytest.raises(ProcessError):
        step(broken, "complete", {"key": "actor"}, timestamp=at(1))


def test_timestamps_are_javascript_dates() -> None:
    assert format_timestamp(datetime(2025, 3, 4, 5, 6, 7, 891999, tzinfo=UTC)) == (
        "2025-03-04T05:06:07.891Z"
    )
    assert format_timestamp(datetime(2025, 3, 4, 5, 6, 7)) == "2025-03-04T05:06:07.000Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2025, 3, 4, 7, 0, tzinfo=plus_two)) == (
        "2025-03-04T05:00:00.000Z"
    )
    assert parse_timestamp("2025-03-04T05:06:07.891Z") == datetime(
        2025, 3, 4, 5, 6, 7, 891000, tzinfo=UTC
    )
