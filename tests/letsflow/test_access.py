"""resolve_actor (the engine's actor choice for a user) and API key restrictions."""

from __future__ import annotations

from typing import Any

import pytest

from letsflow import allowed_by_api_key, resolve_actor
from tests.letsflow.engine import start

DOCUMENT: dict[str, Any] = {
    "actors": {
        "client": {},
        "manager": {"role": "management"},
        "support": {"role": ["support", "admin"]},
        "nobody": {},
    },
    "actions": {"review": {"actor": ["manager", "support", "client"]}},
    "states": {
        "initial": {
            "transitions": [
                {"on": "review", "goto": "(done)"},
                {"on": "accept", "by": "client", "goto": "(done)"},
                {"on": "talk", "goto": None},
            ]
        }
    },
}


def _process(**actors: Any) -> dict[str, Any]:
    return start(DOCUMENT, actors=actors or {"client": {"id": "u1"}})


def test_a_user_is_the_actor_with_their_id() -> None:
    assert resolve_actor(_process(), "accept", {"id": "u1", "roles": []}) == "client"
    assert resolve_actor(_process(), "accept", {"id": "u2", "roles": []}) is None


def test_a_qualified_or_implicit_action_key_resolves_in_the_current_state() -> None:
    assert resolve_actor(_process(), "initial.accept", {"id": "u1"}) == "client"
    assert resolve_actor(_process(), "elsewhere.accept", {"id": "u1"}) is None


def test_the_first_listed_actor_the_user_matches_wins() -> None:
    user = {"id": "u9", "roles": ["support", "management"]}
    assert resolve_actor(_process(), "review", user) == "manager"
    assert resolve_actor(_process(), "review", {"id": "u9", "roles": ["admin"]}) == "support"


def test_an_exact_match_beats_a_role_actor_without_id() -> None:
    # the engine would pick "manager" (a role, no id) and the step would then be refused
    assert resolve_actor(_process(), "review", {"id": "u1", "roles": []}) == "client"


def test_a_role_actor_without_id_is_offered_to_anyone() -> None:
    # the engine's rule; the step itself then checks the role and skips if it is missing
    process = _process(client={})
    assert resolve_actor(process, "review", {"id": "u5", "roles": []}) == "manager"


def test_an_actor_without_id_or_role_never_matches() -> None:
    process = _process(client={})
    assert resolve_actor(process, "accept", {"id": "u5", "roles": ["client"]}) is None


def test_without_a_user_the_first_process_actor_listed() -> None:
    assert resolve_actor(_process(), "review", None) == "manager"


def test_unknown_actions_resolve_to_no_one() -> None:
    assert resolve_actor(_process(), "dance", {"id": "u1"}) is None


def test_an_action_hidden_by_its_condition_still_resolves() -> None:
    document = {
        "actors": {"host": {}},
        "actions": {"speak": {"if": {"<ref>": "current.actor.key == 'host'"}}},
        "states": {"initial": {"on": "speak", "goto": "(done)"}},
    }
    process = start(document, actors={"host": {"id": "h"}})
    assert process["current"]["actions"] == []  # no current.actor when the state was entered
    assert resolve_actor(process, "speak", {"id": "h"}) == "host"


SCOPE = [
    {"scenario": "quote", "actors": ["client"], "actions": ["accept", "reject"]},
    {"scenario": "11111111-1111-4111-8111-111111111111"},
]


@pytest.mark.parametrize(
    ("scenario_id", "name", "actor", "action", "allowed"),
    [
        ("x-id", "quote", "client", "accept", True),
        ("x-id", "quote", "client", None, True),
        ("x-id", "quote", None, None, True),
        ("x-id", "quote", "manager", "accept", False),
        ("x-id", "quote", "client", "cancel", False),
        ("11111111-1111-4111-8111-111111111111", None, "anyone", "anything", True),
        ("other", "other", None, None, False),
    ],
)
def test_api_key_process_scopes(
    scenario_id: str, name: str | None, actor: str | None, action: str | None, allowed: bool
) -> None:
    assert (
        allowed_by_api_key(
            SCOPE, None, scenario_id=scenario_id, scenario_name=name, actor=actor, action=action
        )
        is allowed
    )


def test_api_keys_without_scope_are_unrestricted_and_a_scope_without_scenario_is_any() -> None:
    assert allowed_by_api_key(
        None, None, scenario_id="s", scenario_name=None, actor="a", action="b"
    )
    assert allowed_by_api_key(
        [{"actors": ["a"]}], None, scenario_id="s", scenario_name=None, actor="a", action="b"
    )
    assert not allowed_by_api_key(
        [], None, scenario_id="s", scenario_name=None, actor=None, action=None
    )


def test_a_service_key_acts_only_as_its_service() -> None:
    kwargs: dict[str, Any] = {"scenario_id": "s", "scenario_name": None, "action": "reply"}
    assert allowed_by_api_key(None, "mailer", actor="service:mailer", **kwargs)
    assert allowed_by_api_key(None, "mailer", actor=None, **kwargs)
    assert not allowed_by_api_key(None, "mailer", actor="client", **kwargs)
    assert not allowed_by_api_key(None, "mailer", actor="service:sms", **kwargs)
    assert not allowed_by_api_key(SCOPE, "mailer", actor="service:mailer", **kwargs)
