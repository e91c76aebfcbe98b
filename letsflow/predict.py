"""``predict``: the states a process will likely pass through (``?predict=true``).

A best-effort look ahead, as in LetsFlow: starting from the current state, take the
first transition that can be taken and follow it, until an end state, a dead end, or a
state the process has already been in with the same data. It runs real steps on a copy
flagged ``is_prediction``, which changes three things: responses are not validated (there
are none), update instructions write their ``stub`` instead of their value when they have
one, and the process is not validated afterwards. Scenarios can test ``is_prediction``
in their own conditions.

How the "first transition" is found: the state's action transitions in order, each tried
by every actor its ``by`` names (``*``: every process actor, plus the services the action
names), with no response; the first step that is not skipped wins. When no action moves
the process, the first pending timeout is taken. The clock does not move: predicted
steps are stamped with the current state's time (plus the timeout's delay).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any, Final

from letsflow.data_functions import apply_fn
from letsflow.events import format_timestamp, parse_timestamp
from letsflow.identity import stable_json
from letsflow.naming import SERVICE_PREFIX, is_end_state
from letsflow.process import UNDEFINED, action_definition, check_process
from letsflow.step import due_timeout, fire_timeout, perform

MAX_STATES: Final = 100
"""How many states a prediction lists at most (a guard against scenarios that loop while
changing their data, which the "seen before" check cannot catch)."""

_HIDDEN: Final = ("timestamp", "notify")


def predict(process: dict[str, Any], *, max_states: int = MAX_STATES) -> list[dict[str, Any]]:
    """The predicted states, the current one first: ``[{key, title, description,
    instructions, actions, ...}]`` (each a ``current`` without ``timestamp`` and
    ``notify``). Never raises on a looping scenario: the list stops at ``max_states``."""
    check_process(process)
    simulated = copy.deepcopy(process)
    simulated["is_prediction"] = True
    seen: set[str] = set()
    states: list[dict[str, Any]] = []
    fingerprint = _fingerprint(simulated)
    while fingerprint not in seen and len(states) < max_states:
        states.append(_as_predicted(simulated["current"]))
        seen.add(fingerprint)
        simulated = _advance(simulated)
        fingerprint = _fingerprint(simulated)

    key = simulated["current"]["key"]
    ended = is_end_state(simulated["scenario"]["states"][key])
    if not ended and states and states[-1]["key"] != key and len(states) < max_states:
        states.append(_as_predicted(simulated["current"]))  # show where a loop closes
    return states


def _advance(process: dict[str, Any]) -> dict[str, Any]:
    """``process`` one transition further, or ``process`` itself when it is stuck."""
    state_key = process["current"]["key"]
    state = process["scenario"]["states"][state_key]
    if is_end_state(state):
        return process
    when = process["current"]["timestamp"]
    tried: set[tuple[str, str]] = set()
    for transition in state.get("transitions") or []:
        action = transition.get("on")
        if not isinstance(action, str):
            continue
        for actor in _candidates(process, state_key, action, transition.get("by", ["*"])):
            if (action, actor) in tried:
                continue
            tried.add((action, actor))
            stepped = perform(
                process, action, {"key": actor}, UNDEFINED, timestamp=when, new_uuid=None
            )
            if not stepped["events"][-1].get("skipped"):
                return stepped
    pending = due_timeout(process, None, None)
    if pending is None:
        return process
    later = format_timestamp(parse_timestamp(when) + timedelta(seconds=pending["after"]))
    return fire_timeout(process, timestamp=later, new_uuid=None, force=True)


def _candidates(process: dict[str, Any], state_key: str, action: str, by: Any) -> list[str]:
    try:
        by = apply_fn(by, process)
    except ValueError:
        return []
    names = [b for b in (by if isinstance(by, list) else [by]) if isinstance(b, str)]
    if "*" not in names:
        return names
    definition = action_definition(process["scenario"], state_key, action) or {}
    declared = definition.get("actor")
    services = [
        a
        for a in (declared if isinstance(declared, list) else [])
        if isinstance(a, str) and a.startswith(SERVICE_PREFIX)
    ]
    return [*process["actors"], *services]


def _as_predicted(current: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in current.items() if k not in _HIDDEN}


def _fingerprint(process: dict[str, Any]) -> str:
    """What makes two moments of a process the same for prediction: its data and state."""
    return stable_json(
        {
            "title": process.get("title"),
            "tags": process.get("tags"),
            "actors": process.get("actors"),
            "vars": process.get("vars"),
            "result": process.get("result"),
            "current": process["current"]["key"],
        }
    )
