"""States: every state in full form, ``"*"`` merged in, end states made explicit.

The engine only reads ``transitions``: the simple forms (``on``/``by``/``goto`` or
``after``/``goto`` on the state itself) become one transition, ``after`` becomes
seconds, and each transition says what it writes to the process log. End states that
transitions merely point at (``goto: (done)``) are declared, each tagging the process.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from letsflow.errors import Path
from letsflow.fn import REF
from letsflow.js_compat import coalesce, set_default, truthy
from letsflow.naming import (
    ANY_STATE,
    end_state_title,
    is_end_state,
    is_end_state_key,
    key_to_title,
)
from letsflow.notify import normalize_notify
from letsflow.time_period import to_seconds

SIMPLE_FORM_KEYS: Final = ("on", "by", "after", "goto", "log")
"""State-level keys that describe its single transition; moved into ``transitions``."""


def normalize_states(states: dict[str, Any], path: Path) -> None:
    """Normalize every state in place, then merge ``"*"`` into the others and drop it."""
    for key in list(states):
        if states[key] is None:
            states[key] = {}
        _normalize_state(states[key], key, (*path, key))

    if ANY_STATE in states:
        partial = states.pop(ANY_STATE)
        for state in states.values():
            _merge_partial(state, partial)


def _normalize_state(state: dict[str, Any], key: str, path: Path) -> None:
    set_default(state, "title", key_to_title(key))
    set_default(state, "description", "")
    set_default(state, "instructions", {})

    if is_end_state(state) and key != ANY_STATE:
        set_default(state, "tag", [key])
        if not isinstance(state["tag"], list):
            state["tag"] = [state["tag"]]
    else:
        state["transitions"] = _transitions(state, path)
        for simple in SIMPLE_FORM_KEYS:
            state.pop(simple, None)

    state["notify"] = normalize_notify(state.get("notify"), (*path, "notify"))


def _transitions(state: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    if "on" in state:
        by = state.get("by")
        return [
            {
                "on": state["on"],
                "by": by if isinstance(by, list) else [coalesce(by, "*")],
                "if": True,
                "goto": state["goto"],
                "log": _log(state["on"] is not None, state.get("log")),
            }
        ]
    if "after" in state:
        return [
            {
                "after": to_seconds(state["after"], (*path, "after")),
                "if": True,
                "goto": state["goto"],
                "log": _log(False, state.get("log")),
            }
        ]

    if "transitions" not in state:
        return []  # the "*" state may add only instructions or notify
    transitions: list[dict[str, Any]] = state["transitions"]
    for i, transition in enumerate(transitions):
        if "after" in transition:
            transition["after"] = to_seconds(
                transition["after"], (*path, "transitions", i, "after")
            )
        if "on" in transition and not isinstance(transition.get("by"), list):
            transition["by"] = [coalesce(transition.get("by"), "*")]
        set_default(transition, "if", True)
        is_action = "on" in transition and transition["on"] is not None
        transition["log"] = _log(is_action, transition.get("log"))
    return transitions


def _log(is_action: bool, log: Any) -> dict[str, Any]:
    """The log entry a transition writes to ``previous``.

    Actions are logged with the action's title and description unless ``log: false``;
    timeouts (and null actions) only when a ``log`` is given.
    """
    extra = log if isinstance(log, dict) else {}
    if is_action:
        if log is False:
            return {"title": "", "description": "", "if": False}
        return {
            "title": {REF: "current.action.title"},
            "description": {REF: "current.action.description"},
            "if": True,
            **extra,
        }
    return {"title": "", "description": "", "if": truthy(log), **extra}


def _merge_partial(state: dict[str, Any], partial: dict[str, Any]) -> None:
    """Merge the ``"*"`` state into ``state``: its transitions go last, its instructions
    and notify entries are added, and its other keys fill what the state lacks.

    End states take no transitions from ``"*"`` (they would stop being end states).
    """
    extra = copy.deepcopy(partial)
    end_state = is_end_state(state)
    if not end_state and "transitions" in extra:
        state["transitions"].extend(extra["transitions"])
    state["instructions"] = {**extra["instructions"], **state["instructions"]}
    state["notify"].extend(extra["notify"])
    for key, value in extra.items():
        if key not in state and not (end_state and key == "transitions"):
            state[key] = value


def add_implicit_end_states(states: dict[str, Any]) -> None:
    """Declare each ``(name)`` state that a transition goes to but no one declared."""
    targets = [
        transition.get("goto")
        for state in states.values()
        if not is_end_state(state)
        for transition in state["transitions"]
    ]
    for goto in targets:
        if isinstance(goto, str) and is_end_state_key(goto) and goto not in states:
            states[goto] = {
                "title": end_state_title(goto),
                "description": "",
                "instructions": {},
                "notify": [],
                "tag": [goto],
            }
