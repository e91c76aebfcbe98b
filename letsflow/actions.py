"""Actions: defaults, update instructions in full form, and implicit actions.

An action a state reacts to (``on: accept``) need not be declared; normalization then
declares it as ``"<state>.<action>"``, which is also the key the engine looks up first
when a step comes in. Update instructions are spelled out so the engine applies them
without defaults of its own.
"""

from __future__ import annotations

import re
from typing import Any, Final

from letsflow.errors import Path, ScenarioError
from letsflow.fn import REF, is_fn
from letsflow.js_compat import coalesce, set_default
from letsflow.naming import SERVICE_PREFIX, is_end_state, key_to_title
from letsflow.schema import expand_schema, string_to_schema

UPDATE_MODES: Final = ("replace", "merge", "append")

SETTABLE: Final = re.compile(r"^title|previous$|^(vars|actors|result|current\.actor)(\.|$)")
"""What an update instruction may ``set`` (LetsFlow's rule, kept verbatim)."""

_TRAILING_DIGITS = re.compile(r"\d+\Z", re.ASCII)


def normalize_actions(actions: dict[str, Any], path: Path) -> None:
    """Normalize every action of ``actions`` in place (a null action becomes ``{}``)."""
    for key in list(actions):
        if actions[key] is None:
            actions[key] = {}
        normalize_action(actions[key], key, (*path, key))


def normalize_action(action: dict[str, Any], key: str, path: Path) -> None:
    """Fill in an action's defaults in place."""
    set_default(action, "title", key_to_title(key))
    set_default(action, "description", "")
    set_default(action, "if", True)

    set_default(action, "actor", ["*"])
    if not isinstance(action["actor"], list) and not is_fn(action["actor"]):
        action["actor"] = [action["actor"]]

    set_default(action, "response", {})
    if isinstance(action["response"], str):
        action["response"] = string_to_schema(action["response"])
    response = action["response"]
    if isinstance(response, dict) and response and not is_fn(response):
        expand_schema(response, (*path, "response"))

    action["update"] = normalize_update(action.get("update"), (*path, "update"))


def normalize_update(update: Any, path: Path) -> list[dict[str, Any]]:
    """Update instructions in full form: ``{set, value, stub, mode, if}`` each.

    A string is shorthand for ``{set: <string>}``; ``value`` defaults to the response.
    Other keys of an instruction are dropped, as in LetsFlow.
    """
    if update is None:
        return []
    items = update if isinstance(update, list) else [update]
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        where = (*path, i) if isinstance(update, list) else path
        instruction = {"set": item} if isinstance(item, str) else item
        if not isinstance(instruction, dict):
            raise ScenarioError("an update instruction is a string or an object", where)
        out.append(
            {
                "set": instruction.get("set"),
                "value": coalesce(instruction.get("value"), {REF: "current.response"}),
                "stub": instruction.get("stub"),
                "mode": coalesce(instruction.get("mode"), "replace"),
                "if": coalesce(instruction.get("if"), True),
            }
        )
    return out


def add_implicit_actions(scenario: dict[str, Any]) -> None:
    """Declare ``"<state>.<action>"`` for every undeclared action a transition is on.

    Its actors are those the transitions allow (``by``); ``*`` means every actor, and
    never a service. An action already declared as ``<action>`` or ``<state>.<action>``
    is left alone.
    """
    actions: dict[str, Any] = scenario["actions"]
    all_actors = list(scenario["actors"])
    implicit: dict[str, list[str]] = {}
    titles: dict[str, str] = {}

    for state_key, state in scenario["states"].items():
        if is_end_state(state):
            continue
        for transition in state["transitions"]:
            on = transition.get("on")
            if on is None or on in actions or f"{state_key}.{on}" in actions:
                continue
            key = f"{state_key}.{on}"
            titles[key] = key_to_title(on)
            implicit.setdefault(key, []).extend(_allowed_actors(transition["by"], all_actors))

    for key, actors in implicit.items():
        actions[key] = {
            "title": titles[key],
            "description": "",
            "if": True,
            "actor": list(dict.fromkeys(actors)),
            "response": {},
            "update": [],
        }


def _allowed_actors(by: list[str], all_actors: list[str]) -> list[str]:
    if "*" in by:
        actors = list(all_actors)
    else:
        actors = [a for a in all_actors if a in by or _TRAILING_DIGITS.sub("*", a, count=1) in by]
    services = [b for b in by if b.startswith(SERVICE_PREFIX) and b not in all_actors]
    return actors + services
