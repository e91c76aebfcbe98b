"""Shape checks on a scenario before it is normalized.

Normalization trusts the shapes it rewrites; these checks make sure it may, and turn a
bad scenario into a :class:`~letsflow.errors.ScenarioError` that names the spot (``path``)
instead of a ``KeyError`` deep inside. They follow LetsFlow's scenario JSON Schema
(v1.0) for structure, plus the rules LetsFlow only enforces later (what an update may
``set``, that ``goto`` names a state). A normalized scenario passes them too.
"""

from __future__ import annotations

from typing import Any

from letsflow.actions import SETTABLE, UPDATE_MODES
from letsflow.errors import Path, ScenarioError
from letsflow.fn import is_fn
from letsflow.naming import ANY_STATE, SCENARIO_SCHEMA, is_end_state_key
from letsflow.time_period import to_seconds

_STATE_LEVEL_TRANSITION = ("on", "after", "transitions")


def check_scenario(scenario: Any) -> None:
    """Raise :class:`ScenarioError` for the first structural problem found."""
    if not isinstance(scenario, dict):
        raise ScenarioError("a scenario is a mapping")
    for key in scenario:
        if not isinstance(key, str):
            raise ScenarioError(f"key {key!r} is not a string")

    schema = scenario.get("$schema")
    if schema is not None and schema != SCENARIO_SCHEMA:
        raise ScenarioError(
            f"unsupported schema {schema!r}; expected {SCENARIO_SCHEMA}", ("$schema",)
        )
    for key in ("id", "name", "version", "title", "description"):
        _optional_str(scenario, key, ())
    if scenario.get("name") is not None and scenario.get("version") is None:
        raise ScenarioError("a scenario with a name needs a version", ("version",))
    _optional_str_list(scenario, "tags", ())

    actors = _optional_map(scenario, "actors", ())
    for key, actor in actors.items():
        _check_actor(actor, ("actors", key))

    actions = _optional_map(scenario, "actions", ())
    for key, action in actions.items():
        _check_action(action, ("actions", key))

    if "states" not in scenario or scenario["states"] is None:
        raise ScenarioError("a scenario needs states", ("states",))
    states = _map(scenario["states"], ("states",))
    if "initial" not in states:
        raise ScenarioError("the states need an 'initial' state", ("states",))
    for key, state in states.items():
        _check_state(state, key, set(states), ("states", key))

    for key, schema_ in _optional_map(scenario, "vars", ()).items():
        _check_schema(schema_, ("vars", key))
    if scenario.get("result") is not None:
        _check_schema(scenario["result"], ("result",))


def _check_actor(actor: Any, path: Path) -> None:
    if actor is None or isinstance(actor, str):
        return
    _map(actor, path)
    _optional_str(actor, "title", path)
    if actor.get("properties") is not None:
        _map(actor["properties"], (*path, "properties"))
    if actor.get("role") is not None:
        _multi_string(actor["role"], (*path, "role"))


def _check_action(action: Any, path: Path) -> None:
    if action is None:
        return
    _map(action, path)
    _optional_str(action, "title", path)
    _optional_string_fn(action, "description", path)
    _optional_bool_fn(action, "if", path)

    actor = action.get("actor")
    valid_list = isinstance(actor, list) and all(isinstance(a, str) or is_fn(a) for a in actor)
    if actor is not None and not isinstance(actor, str) and not is_fn(actor) and not valid_list:
        raise ScenarioError(
            "actor is an actor key, a list of them or a data function", (*path, "actor")
        )

    response = action.get("response")
    if response is not None and not isinstance(response, str | dict):
        raise ScenarioError("a response is a schema or a type name", (*path, "response"))

    update = action.get("update")
    if update is None:
        return
    if isinstance(update, list):
        for i, item in enumerate(update):
            _check_update(item, (*path, "update", i))
    else:
        _check_update(update, (*path, "update"))


def _check_update(instruction: Any, path: Path) -> None:
    if isinstance(instruction, str):
        _check_settable(instruction, path)
        return
    _map(instruction, path)
    if "set" not in instruction or instruction["set"] is None:
        raise ScenarioError("an update instruction needs 'set'", (*path, "set"))
    target = instruction["set"]
    if isinstance(target, str):
        _check_settable(target, (*path, "set"))
    elif not is_fn(target):
        raise ScenarioError("'set' is a path or a data function", (*path, "set"))
    mode = instruction.get("mode")
    if mode is not None and mode not in UPDATE_MODES:
        raise ScenarioError(
            f"mode {mode!r} is not one of {', '.join(UPDATE_MODES)}", (*path, "mode")
        )
    _optional_bool_fn(instruction, "if", path)


def _check_settable(target: str, path: Path) -> None:
    if not SETTABLE.search(target):
        raise ScenarioError(
            f"cannot set {target!r}: only title, previous, vars, actors, result or current.actor",
            path,
        )


def _check_state(state: Any, key: str, keys: set[str], path: Path) -> None:
    end = is_end_state_key(key)
    if state is None:
        if end:
            return
        raise ScenarioError("a state needs 'on', 'after' or 'transitions'", path)
    _map(state, path)
    _optional_string_fn(state, "title", path)
    _optional_string_fn(state, "description", path)
    instructions = _optional_map(state, "instructions", path)
    for actor, text in instructions.items():
        if not isinstance(text, str) and not is_fn(text):
            raise ScenarioError(
                "an instruction is text or a data function", (*path, "instructions", actor)
            )
    _check_notify(state.get("notify"), (*path, "notify"))

    forms = [k for k in _STATE_LEVEL_TRANSITION if k in state]
    if end:
        for forbidden in (*_STATE_LEVEL_TRANSITION, "goto", "by"):
            if forbidden in state:
                raise ScenarioError(f"an end state cannot have '{forbidden}'", (*path, forbidden))
        if state.get("tag") is not None:
            _multi_string(state["tag"], (*path, "tag"))
        return
    if len(forms) > 1:
        raise ScenarioError(
            f"a state has only one of 'on', 'after' or 'transitions', not {forms}", path
        )
    if not forms:
        if key == ANY_STATE and "goto" not in state:
            return
        if "goto" in state:
            raise ScenarioError("'goto' without 'on' or 'after'", (*path, "goto"))
        raise ScenarioError("a state needs 'on', 'after' or 'transitions'", path)

    if forms == ["transitions"]:
        for simple in ("by", "goto", "log"):
            if simple in state:
                raise ScenarioError(f"'{simple}' belongs in the transitions", (*path, simple))
        transitions = state["transitions"]
        if not isinstance(transitions, list):
            raise ScenarioError("transitions are a list", (*path, "transitions"))
        for i, transition in enumerate(transitions):
            _map(transition, (*path, "transitions", i))
            _check_transition(transition, keys, (*path, "transitions", i))
    else:
        _check_transition(state, keys, path)


def _check_transition(transition: dict[str, Any], keys: set[str], path: Path) -> None:
    """A transition, or a state in simple form (which has the same keys)."""
    has_on, has_after = "on" in transition, "after" in transition
    if has_on == has_after:
        raise ScenarioError("a transition has either 'on' or 'after'", path)
    if "goto" not in transition:
        raise ScenarioError("a transition needs 'goto' (null to stay)", (*path, "goto"))
    goto = transition["goto"]
    if goto is not None:
        if not isinstance(goto, str):
            raise ScenarioError(
                f"goto is a state key or null, not {type(goto).__name__}", (*path, "goto")
            )
        if goto == ANY_STATE or (goto not in keys and not is_end_state_key(goto)):
            raise ScenarioError(f"goto {goto!r} is not a state", (*path, "goto"))

    if has_on:
        on = transition["on"]
        if on is not None and not isinstance(on, str):
            raise ScenarioError("'on' is an action key or null", (*path, "on"))
        if "by" in transition:
            if on is None:
                raise ScenarioError("a null action has no 'by'", (*path, "by"))
            _multi_string(transition["by"], (*path, "by"))
    else:
        if "by" in transition:
            raise ScenarioError("a timeout has no 'by'", (*path, "by"))
        to_seconds(transition["after"], (*path, "after"))

    _optional_bool_fn(transition, "if", path)
    log = transition.get("log")
    if log is not None and log is not False and not isinstance(log, dict):
        raise ScenarioError("log is an object or false", (*path, "log"))


def _check_notify(notify: Any, path: Path) -> None:
    if notify is None:
        return
    items = notify if isinstance(notify, list) else [notify]
    for i, item in enumerate(items):
        where = (*path, i) if isinstance(notify, list) else path
        if isinstance(item, str):
            continue
        _map(item, where)
        if not isinstance(item.get("service"), str):
            raise ScenarioError("a notify entry needs a service", (*where, "service"))
        if item.get("after") is not None:
            to_seconds(item["after"], (*where, "after"))
        _optional_bool_fn(item, "if", where)
        trigger = item.get("trigger")
        if trigger is not None and not isinstance(trigger, str) and not is_fn(trigger):
            raise ScenarioError("trigger is an action key or a data function", (*where, "trigger"))


def _check_schema(schema: Any, path: Path) -> None:
    if not isinstance(schema, str | dict | bool):
        raise ScenarioError("a schema is an object or a type name", path)


# -- small helpers --------------------------------------------------------------------


def _map(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"expected a mapping, got {_kind(value)}", path)
    return value


def _optional_map(container: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = container.get(key)
    return {} if value is None else _map(value, (*path, key))


def _optional_str(container: dict[str, Any], key: str, path: Path) -> None:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"expected a string, got {_kind(value)}", (*path, key))


def _optional_str_list(container: dict[str, Any], key: str, path: Path) -> None:
    value = container.get(key)
    if value is not None and (
        not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    ):
        raise ScenarioError("expected a list of strings", (*path, key))


def _optional_string_fn(container: dict[str, Any], key: str, path: Path) -> None:
    value = container.get(key)
    if value is not None and not isinstance(value, str) and not is_fn(value):
        raise ScenarioError(
            f"expected a string or a data function, got {_kind(value)}", (*path, key)
        )


def _optional_bool_fn(container: dict[str, Any], key: str, path: Path) -> None:
    value = container.get(key)
    if value is not None and not isinstance(value, bool) and not is_fn(value):
        raise ScenarioError(
            f"expected true, false or a data function, got {_kind(value)}", (*path, key)
        )


def _multi_string(value: Any, path: Path) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError("expected a string or a list of strings", path)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
