"""Creating a process from a scenario, and entering its states.

A process is a plain JSON dict (LetsFlow's process model, see the process schema):
``id, title, isRunning, tags, scenario, actors, vars, result, current, previous,
events``. It stays plain JSON because it crosses Temporal and HTTP boundaries and is
hashed; the engine never keeps state outside it. Every function here is pure: the clock
(``timestamp``) and randomness (``process_id``, ``new_uuid`` for ``uuid()`` in data
functions) come from the caller, so the same call inside a Temporal workflow replays to
the same process.

Entering a state (at start, after a step or a timeout) is one routine: evaluate the
state's data functions against the process, list the actions that may be taken and by
whom, then follow *null-action* transitions (``on: null``) that fire without anyone
acting, and mark the process ended when it reaches an end state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from letsflow.data_functions import apply_fn
from letsflow.errors import ProcessError
from letsflow.events import format_timestamp, with_hash
from letsflow.fn import is_fn
from letsflow.identity import scenario_id
from letsflow.js_compat import truthy
from letsflow.naming import SERVICE_PREFIX, is_end_state, wildcard_key
from letsflow.process_validation import validate_process

UuidFactory = Callable[[], str]


class _Undefined:
    """JavaScript's ``undefined``: "no value given", as opposed to JSON ``null``.

    A step without a response gets the response schema's default; a step whose response
    is ``null`` is something else, so the API needs a way to say "none at all".
    """

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Undefined:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Undefined:
        return self


UNDEFINED: Final = _Undefined()
"""The "no response given" marker for :func:`letsflow.step`."""


def current_state_key(process: Mapping[str, Any]) -> str:
    """The key of the state the process is in."""
    current = process.get("current")
    key = current.get("key") if isinstance(current, dict) else None
    if not isinstance(key, str):
        raise ProcessError("not a process: it has no current state")
    return key


def check_process(process: Any) -> dict[str, Any]:
    """``process`` if it has the shape :func:`instantiate` gives; else :class:`ProcessError`.

    Only the parts the engine relies on are checked: a scenario with states, actors as a
    map, a current state the scenario knows, and an event log.
    """
    if not isinstance(process, dict):
        raise ProcessError("not a process: expected an object")
    scenario = process.get("scenario")
    if not isinstance(scenario, dict) or not isinstance(scenario.get("states"), dict):
        raise ProcessError("not a process: it has no scenario with states")
    if not isinstance(process.get("actors"), dict):
        raise ProcessError("not a process: 'actors' is not an object")
    if not isinstance(process.get("events"), list) or not process["events"]:
        raise ProcessError("not a process: it has no events")
    key = current_state_key(process)
    if key not in scenario["states"]:
        raise ProcessError(f"State '{key}' not found in scenario")
    return process


def evaluate(value: Any, process: Mapping[str, Any], new_uuid: UuidFactory | None) -> Any:
    """``value`` with its data functions evaluated against the process."""
    return apply_fn(value, process, new_uuid=new_uuid)


# -- instantiate -------------------------------------------------------------------------


def instantiate(
    scenario: dict[str, Any],
    *,
    process_id: str,
    timestamp: datetime,
    actors: dict[str, Any] | None = None,
    vars: dict[str, Any] | None = None,
    new_uuid: UuidFactory | None = None,
) -> dict[str, Any]:
    """A new process for ``scenario`` (normalized, with or without its ``id``).

    Actors the scenario declares (except wildcards like ``person_*``) are created with
    their schema defaults; ``actors`` given at start (``{key: {id, ...}}``, keys may fill
    a wildcard) are merged in, ``vars`` over the variables' defaults. The first event
    records both when given, so :func:`letsflow.replay` can rebuild the process.

    Raises :class:`ProcessError` when the start instructions do not fit the scenario
    (``errors`` lists why, in LetsFlow's words).
    """
    if not isinstance(scenario, dict) or not isinstance(scenario.get("states"), dict):
        raise ProcessError("not a normalized scenario: it has no states")
    if "initial" not in scenario["states"]:
        raise ProcessError("State 'initial' not found in scenario")
    sid = scenario.get("id")
    if not isinstance(sid, str):
        sid = scenario_id(scenario)
    body = copy.deepcopy({k: v for k, v in scenario.items() if k != "id"})
    start_actors = copy.deepcopy(actors) if actors else {}
    start_vars = copy.deepcopy(vars) if vars else {}

    schemas = body.get("actors") or {}
    keys = [k for k in schemas if not k.endswith("*")]
    keys += [k for k in start_actors if k not in keys]
    process_actors: dict[str, Any] = {}
    for key in keys:
        given = start_actors.get(key)
        if given is not None and not isinstance(given, dict):
            raise ProcessError("Invalid start instructions", [f"Actor '{key}' must be an object"])
        actor = instantiate_actor(schemas, key, given or {})
        if actor is None:
            raise ProcessError(
                "Invalid start instructions", [f"Actor '{key}' not found in scenario"]
            )
        process_actors[key] = actor

    title = body.get("title")
    result = default_value(body.get("result")) if body.get("result") is not None else None
    event: dict[str, Any] = {"id": process_id, "timestamp": format_timestamp(timestamp)}
    event["scenario"] = sid
    if start_actors:
        event["actors"] = start_actors
    if start_vars:
        event["vars"] = start_vars

    process: dict[str, Any] = {
        "id": process_id,
        "title": title if title is not None else f"Process {process_id}",
        "isRunning": True,
        "tags": list(body.get("tags") or []),
        "scenario": {"id": sid, **body},
        "actors": process_actors,
        "vars": {**default_values(body.get("vars") or {}), **start_vars},
        "result": None if result is UNDEFINED else result,
        "current": {},
        "previous": [],
        "events": [with_hash(event)],
    }
    errors = validate_process(process, new_uuid=new_uuid)
    if errors:
        raise ProcessError("Invalid start instructions", errors)
    enter_state(process, "initial", event["timestamp"], new_uuid=new_uuid)
    return process


def instantiate_actor(
    schemas: Mapping[str, Any], key: str, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """An actor for ``key`` (declared, or filling a wildcard like ``person_*``), or None
    when the scenario has no schema for it.

    Title from the schema (``person 2`` for ``person_2``), then the schema's defaults,
    then ``values``; a role fixed by the scenario always wins, since roles decide who may
    act as the actor.
    """
    schema_key = key if key in schemas else wildcard_key(key)
    schema = schemas.get(schema_key)
    if not isinstance(schema, dict):
        return None
    if schema.get("title"):
        suffix = " " + key[len(schema_key) - 1 :] if schema_key.endswith("*") else ""
        title = f"{schema['title']}{suffix}"
    else:
        title = key.replace("_", " ", 1).strip()
    defaults = default_value(schema)
    actor: dict[str, Any] = {"title": title}
    if isinstance(defaults, dict):
        actor.update(defaults)
    actor.update(copy.deepcopy(dict(values)))
    if schema.get("role"):
        actor["role"] = copy.deepcopy(schema["role"])
    return actor


def default_values(schemas: Mapping[str, Any]) -> dict[str, Any]:
    """``{name: default}`` for the schemas in ``schemas`` that have a default."""
    out: dict[str, Any] = {}
    for name, schema in schemas.items():
        value = default_value(schema)
        if value is not UNDEFINED:
            out[name] = value
    return out


def default_value(schema: Any, base: Any = None, depth: int = 0) -> Any:
    """The value a schema implies when none is given, or :data:`UNDEFINED`.

    ``default``, else ``const``, else (for objects) the defaults of its properties when
    there are any. Local ``$ref``s (``#/...``) are followed; remote ones are not (the
    engine never fetches), so they imply nothing.
    """
    if not isinstance(schema, dict) or is_fn(schema) or depth > 32:
        return UNDEFINED
    base = schema if base is None else base
    if "$ref" in schema:
        target = _local_ref(schema["$ref"], base)
        return default_value(target, base, depth + 1) if target is not None else UNDEFINED
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    properties = schema.get("properties")
    if (schema.get("type") or "object") == "object" and isinstance(properties, dict):
        values = {}
        for name, sub in properties.items():
            value = default_value(sub, base, depth + 1)
            if value is not UNDEFINED:
                values[name] = value
        return values if values else UNDEFINED
    return UNDEFINED


def _local_ref(ref: Any, base: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    node = base
    for segment in filter(None, ref[1:].split("/")):
        part = segment.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# -- states and actions ------------------------------------------------------------------


def enter_state(
    process: dict[str, Any],
    key: str,
    timestamp: str,
    *,
    new_uuid: UuidFactory | None,
) -> None:
    """Make ``key`` the current state (in place), then follow null-action transitions.

    A null action (``on: null``) moves on as soon as its ``if`` holds. The states passed
    this way are remembered: a cycle of null actions stops at the state where it would
    repeat, rather than spinning forever inside a workflow task. Entering an end state
    stops the process and adds the state's tags.
    """
    visited: set[str] = set()
    while True:
        process["current"] = instantiate_state(process, key, timestamp, new_uuid=new_uuid)
        visited.add(key)
        transition = _null_transition(process, new_uuid)
        if transition is None:
            break
        goto = transition.get("goto")
        if not isinstance(goto, str) or goto in visited:
            break
        log_transition(process, transition, new_uuid=new_uuid)
        key = goto
    _mark_end(process)


def _null_transition(process: dict[str, Any], new_uuid: UuidFactory | None) -> Any:
    state = process["scenario"]["states"][process["current"]["key"]]
    for transition in state.get("transitions") or []:
        is_null_action = "on" in transition and transition["on"] is None
        if is_null_action and truthy(evaluate(transition.get("if", True), process, new_uuid)):
            return transition
    return None


def _mark_end(process: dict[str, Any]) -> None:
    state = process["scenario"]["states"][process["current"]["key"]]
    if not is_end_state(state):
        process["isRunning"] = True
        return
    process["isRunning"] = False
    tags = process["current"].get("tag", state.get("tag"))
    for tag in tags if isinstance(tags, list) else [tags] if isinstance(tags, str) else []:
        if isinstance(tag, str) and tag not in process["tags"]:
            process["tags"].append(tag)


def instantiate_state(
    process: dict[str, Any], key: str, timestamp: str, *, new_uuid: UuidFactory | None
) -> dict[str, Any]:
    """The ``current`` object for state ``key``: the state with its data functions
    evaluated, ``actions`` that may be taken now (with who may take them), and the
    ``notify`` entries whose ``if`` holds. Transitions stay in the scenario."""
    scenario = process["scenario"]
    scenario_state = scenario["states"].get(key)
    if not isinstance(scenario_state, dict):
        raise ProcessError(f"State '{key}' not found in scenario")
    raw = {k: v for k, v in scenario_state.items() if k not in ("transitions", "notify")}
    state = evaluate(raw, process, new_uuid)

    by_action: dict[str, list[str]] = {}
    for transition in scenario_state.get("transitions") or []:
        on = transition.get("on")
        if not isinstance(on, str):
            continue  # timeouts and null actions are not actions anyone takes
        if not truthy(evaluate(transition.get("if", True), process, new_uuid)):
            continue
        by_action.setdefault(on, []).extend(
            _as_list(evaluate(transition.get("by", ["*"]), process, new_uuid))
        )

    actions = []
    for on, by in by_action.items():
        definition = action_definition(scenario, key, on)
        if definition is None:
            raise ProcessError(
                f"Action '{on}' is used in state '{key}', but not defined in the scenario"
            )
        action = instantiate_action(process, on, definition, by=by, new_uuid=new_uuid)
        if action.pop("if"):
            actions.append(action)

    notify = []
    for entry in evaluate(scenario_state.get("notify") or [], process, new_uuid):
        if isinstance(entry, dict) and truthy(entry.get("if", True)):
            # a trigger nobody could name is left out, as LetsFlow leaves it (undefined)
            notify.append(
                {k: v for k, v in entry.items() if k != "if" and not (k == "trigger" and v is None)}
            )

    return {"key": key, "timestamp": timestamp, **state, "notify": notify, "actions": actions}


def action_definition(scenario: Mapping[str, Any], state: str, action: str) -> Any:
    """The scenario's definition of ``action`` in ``state``: ``"<state>.<action>"`` first
    (implicit actions are declared that way), then ``action``."""
    actions = scenario.get("actions") or {}
    return actions.get(f"{state}.{action}", actions.get(action))


def instantiate_action(
    process: Mapping[str, Any],
    key: str,
    definition: Mapping[str, Any],
    *,
    by: list[str] | None = None,
    filter_by: bool = True,
    new_uuid: UuidFactory | None = None,
) -> dict[str, Any]:
    """An action as listed in ``current.actions``, with ``if`` still on it.

    Data functions evaluated, ``update`` dropped, and ``actor`` made concrete: ``*`` is
    every process actor (never a service, except those the transitions' ``by`` names),
    ``person_*`` every ``person_<n>``, services stay, unknown keys go. With ``by`` (the
    transitions' actors) the list is narrowed to them unless ``filter_by`` is false.
    ``if`` becomes false when nobody is left to take the action.
    """
    body = {k: v for k, v in definition.items() if k != "update"}
    action: dict[str, Any] = {"key": key, **evaluate(body, process, new_uuid)}
    action["key"] = key
    actors = expand_actors(process, _as_list(action.get("actor")), by, filter_by=filter_by)
    action["actor"] = actors
    action["if"] = truthy(action.get("if", True)) and bool(actors)
    return action


def expand_actors(
    process: Mapping[str, Any], actors: list[Any], by: list[str] | None, *, filter_by: bool = True
) -> list[str]:
    """The actor keys (and ``service:<name>``s) an action's ``actor`` list stands for."""
    known = list(process["actors"])
    by_list = [b for b in by or [] if isinstance(b, str)]
    out: list[str] = []
    for actor in actors:
        if not isinstance(actor, str):
            continue
        if actor == "*":
            out.extend(known)
            out.extend(b for b in by_list if b.startswith(SERVICE_PREFIX))
        elif actor.startswith(SERVICE_PREFIX):
            out.append(actor)
        elif actor.endswith("*"):
            out.extend(k for k in known if wildcard_key(k) == actor)
        elif actor in process["actors"]:
            out.append(actor)
    if filter_by and by is not None and "*" not in by_list:
        out = [a for a in out if a in by_list or wildcard_key(a) in by_list]
    return list(dict.fromkeys(out))


def includes_actor(by: Any, key: str) -> bool:
    """Whether a transition's ``by`` lets actor ``key`` take it."""
    actors = _as_list(by)
    return key in actors or "*" in actors or wildcard_key(key) in actors


def log_transition(
    process: dict[str, Any], transition: Mapping[str, Any], *, new_uuid: UuidFactory | None
) -> None:
    """Append the transition's log entry to ``previous`` when its ``if`` holds.

    The entry is stamped with the last event's time and, for an action, its actor, so
    ``previous[-1].actor.key`` tells a scenario who acted last.
    """
    log = evaluate(transition.get("log"), process, new_uuid)
    if not isinstance(log, dict) or not truthy(log.get("if")):
        return
    event = process["events"][-1]
    entry = {k: v for k, v in log.items() if k != "if"}
    entry["timestamp"] = event["timestamp"]
    if "actor" in event:
        entry["actor"] = copy.deepcopy(event["actor"])
    process["previous"].append(entry)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
