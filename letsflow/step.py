"""Moving a process on: an actor performs an action (``step``), or time passes (``timeout``).

Both return a *new* process and leave the input alone, so a workflow can keep the old
one if it needs to. Every step attempt is recorded, valid or not: an invalid one is
appended as a *skipped* event carrying the reasons (LetsFlow's exact messages) and
changes nothing else. The order of the checks follows LetsFlow, because clients see
the messages:

1. the action is offered in the current state, the actor exists, the user may act as
   that actor, the actor may take the action, the action's ``if`` holds, the response
   matches its schema;
2. then the update instructions run, the resulting process must still match the
   scenario's schemas, and a transition must accept this action by this actor.

Timeouts use the scenario's ``after`` transitions. The engine has no clock: the caller
(a Temporal timer, see :func:`next_timeout`) says when it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from letsflow.errors import ScenarioError
from letsflow.events import format_timestamp, last_hash, parse_timestamp, seconds_since, with_hash
from letsflow.js_compat import truthy
from letsflow.naming import SERVICE_PREFIX
from letsflow.process import (
    UNDEFINED,
    UuidFactory,
    action_definition,
    check_process,
    default_value,
    enter_state,
    evaluate,
    includes_actor,
    instantiate_action,
    log_transition,
)
from letsflow.process_validation import validate_process
from letsflow.schema_validation import schema_errors
from letsflow.update import apply_updates


def step(
    process: dict[str, Any],
    action: str,
    actor: Mapping[str, Any],
    response: Any = UNDEFINED,
    *,
    timestamp: datetime,
    new_uuid: UuidFactory | None = None,
) -> dict[str, Any]:
    """``process`` after ``actor`` performed ``action`` with ``response``.

    ``actor`` is ``{"key": <actor key or "service:<name>">, "id"?: <user id>,
    "roles"?: [...]}``; with an id or roles the user must match the process actor.
    ``response`` left out (or ``None``, as JavaScript's ``??`` treats ``null``) means "no
    response": the response schema's default is used, and without one the event records
    no response.
    An invalid step returns the input process plus a skipped event; the event's
    ``errors`` say why.
    """
    return perform(process, action, actor, response, timestamp=timestamp, new_uuid=new_uuid)


def perform(
    process: dict[str, Any],
    action: str,
    actor: Mapping[str, Any],
    response: Any,
    *,
    timestamp: datetime | str,
    new_uuid: UuidFactory | None,
    authorize: bool = True,
) -> dict[str, Any]:
    """:func:`step`, with the user check optional (``authorize=False``): a replay
    re-applies events whose user was checked when they happened."""
    check_process(process)
    if not isinstance(actor, Mapping) or not isinstance(actor.get("key"), str):
        raise ScenarioError("the actor of a step is an object with a string 'key'")
    when = timestamp if isinstance(timestamp, str) else format_timestamp(timestamp)
    state_key = process["current"]["key"]
    action = _bare_action(process, state_key, action)

    working = copy.deepcopy(process)
    definition = action_definition(working["scenario"], state_key, action)
    if response is None or response is UNDEFINED:
        response = _default_response(working, definition, new_uuid) if definition else UNDEFINED

    event: dict[str, Any] = {
        "previous": last_hash(working),
        "timestamp": when,
        "action": action,
        "actor": _event_actor(actor),
    }
    if response is not UNDEFINED:
        event["response"] = copy.deepcopy(response)
    event["skipped"] = False
    event = with_hash(event)
    working["events"].append(event)

    try:
        errors = _advance(
            working, state_key, action, actor, response, definition, authorize, new_uuid
        )
    except ScenarioError as exc:  # a data function that fails on this process's data
        errors = [exc.message]
    if errors:
        skipped = copy.deepcopy(process)
        skipped["events"].append(with_hash({**event, "skipped": True, "errors": errors}))
        return skipped
    return working


def _advance(
    process: dict[str, Any],
    state_key: str,
    action: str,
    actor: Mapping[str, Any],
    response: Any,
    definition: Any,
    authorize: bool,
    new_uuid: UuidFactory | None,
) -> list[str]:
    """Validate, update and transition ``process`` in place; the reasons to skip, if any."""
    actor_key: str = actor["key"]
    current = process["current"]
    if response is UNDEFINED:
        current.pop("response", None)
    else:
        current["response"] = copy.deepcopy(response)
    current["actor"] = {
        **copy.deepcopy(_as_dict(process["actors"].get(actor_key))),
        "key": actor_key,
    }
    instantiated = (
        instantiate_action(
            process,
            action,
            definition,
            by=_by_of(process, state_key, action, new_uuid),
            filter_by=False,
            new_uuid=new_uuid,
        )
        if isinstance(definition, dict)
        else None
    )
    # ``current.action`` is the action as ``current.actions`` listed it when the state was
    # entered (LetsFlow core, src/process/step.ts): an action the listing left out (its
    # ``if`` did not hold then) has none, so its default log title is null
    listed = next(
        (a for a in current.get("actions") or [] if isinstance(a, dict) and a.get("key") == action),
        None,
    )
    if listed is not None:
        current["action"] = copy.deepcopy(listed)
    else:
        current.pop("action", None)

    errors = _step_errors(process, state_key, action, actor, response, instantiated, authorize)
    if errors:
        return errors

    if not isinstance(definition, dict):
        # normalization declares every action a state reacts to; a hand-made scenario may not
        return [f"Action '{action}' is not defined in the scenario"]
    errors = apply_updates(
        process, list(definition.get("update") or []), actor_key, new_uuid=new_uuid
    )
    if errors:
        return errors
    if not process.get("is_prediction"):
        errors = validate_process(process, new_uuid=new_uuid)

    transition = _action_transition(process, state_key, action, actor_key, new_uuid)
    if transition is None:
        who = "" if actor_key == "actor" else f" '{actor_key}'"
        errors.append(
            f"No transition found for action '{action}' in state '{state_key}' for actor{who}"
        )
    if errors:
        return errors

    assert transition is not None
    log_transition(process, transition, new_uuid=new_uuid)
    goto = transition.get("goto")
    if isinstance(goto, str):
        enter_state(process, goto, process["events"][-1]["timestamp"], new_uuid=new_uuid)
    else:  # stay: the state's actions are listed afresh, its timer keeps running
        enter_state(process, state_key, current["timestamp"], new_uuid=new_uuid)
    return []


def _step_errors(
    process: dict[str, Any],
    state_key: str,
    action: str,
    actor: Mapping[str, Any],
    response: Any,
    instantiated: dict[str, Any] | None,
    authorize: bool,
) -> list[str]:
    errors: list[str] = []
    actor_key: str = actor["key"]
    is_service = actor_key.startswith(SERVICE_PREFIX)
    actors = process["actors"]
    transitions = process["scenario"]["states"][state_key].get("transitions") or []

    if not any(t.get("on") == action for t in transitions if "on" in t):
        errors.append(f"Action '{action}' is not allowed in state '{state_key}'")
    if not is_service and actor_key not in actors:
        errors.append(f"Actor '{actor_key}' is not defined in the scenario")
    if authorize and actor_key in actors and (actor.get("id") or actor.get("roles")):
        errors.extend(_user_errors(_as_dict(actors[actor_key]), actor))
    if (
        (actor_key in actors or is_service)
        and instantiated
        and actor_key not in instantiated["actor"]
    ):
        who = (
            f"Service '{actor_key[len(SERVICE_PREFIX) :]}'"
            if is_service
            else f"Actor '{actor_key}'"
        )
        errors.append(f"{who} is not allowed to perform action '{action}'")
    if instantiated and not instantiated["if"]:
        errors.append(f"Action '{action}' is not allowed due to if condition")
    schema = instantiated.get("response") if instantiated else None
    if not process.get("is_prediction") and _has_schema(schema):
        value = None if response is UNDEFINED else response
        errors.extend(f"Response is invalid: {message}" for message in schema_errors(schema, value))
    return errors


def _user_errors(process_actor: Mapping[str, Any], user: Mapping[str, Any]) -> list[str]:
    """May this user act as the process actor? By id when the actor has one, else by role."""
    key = user["key"]
    actor_id = process_actor.get("id")
    role = process_actor.get("role")
    errors: list[str] = []
    if not actor_id and not role:
        errors.append(f"Actor '{key}' is not assigned to a user or role")
    if actor_id and actor_id != user.get("id"):
        errors.append(f"User is not allowed to perform as actor '{key}'")
    if not actor_id and role:
        roles = [role] if isinstance(role, str) else list(role)
        user_roles = user.get("roles") or []
        if not any(r in user_roles for r in roles):
            errors.append(f"User is not allowed to perform as actor '{key}'")
    return errors


def _action_transition(
    process: dict[str, Any],
    state_key: str,
    action: str,
    actor_key: str,
    new_uuid: UuidFactory | None,
) -> dict[str, Any] | None:
    """The first transition on ``action`` whose ``if`` holds and whose ``by`` has the actor."""
    for transition in process["scenario"]["states"][state_key].get("transitions") or []:
        if "on" not in transition or transition["on"] != action:
            continue
        if not truthy(evaluate(transition.get("if", True), process, new_uuid)):
            continue
        if includes_actor(evaluate(transition.get("by", ["*"]), process, new_uuid), actor_key):
            return dict(transition)
    return None


def _by_of(
    process: dict[str, Any], state_key: str, action: str, new_uuid: UuidFactory | None
) -> list[str]:
    """Everyone the state's transitions on ``action`` name in ``by``: a service named there
    may take an action whose ``actor`` is ``*`` (LetsFlow notifies it, so it may reply)."""
    by: list[str] = []
    for transition in process["scenario"]["states"][state_key].get("transitions") or []:
        if transition.get("on") == action and "on" in transition:
            value = evaluate(transition.get("by", ["*"]), process, new_uuid)
            by.extend(
                value if isinstance(value, list) else [value] if isinstance(value, str) else []
            )
    return by


def _bare_action(process: Mapping[str, Any], state_key: str, action: str) -> str:
    """``"<state>.<action>"`` names the action ``<action>`` of the current state (the form
    implicit actions are declared in); a key that is itself an ``on`` stays as it is."""
    prefix = f"{state_key}."
    if not action.startswith(prefix):
        return action
    transitions = process["scenario"]["states"][state_key].get("transitions") or []
    if any(t.get("on") == action for t in transitions):
        return action
    return action[len(prefix) :]


def _default_response(
    process: dict[str, Any], definition: Mapping[str, Any], new_uuid: UuidFactory | None
) -> Any:
    schema = definition.get("response")
    try:
        schema = evaluate(schema, process, new_uuid)
    except ScenarioError:
        return UNDEFINED
    return default_value(schema)


def _event_actor(actor: Mapping[str, Any]) -> dict[str, Any]:
    """The actor as recorded in the event: who acted, without the user's roles."""
    out = {"key": actor["key"]}
    for name, value in actor.items():
        if name not in ("key", "roles") and value is not None:
            out[name] = copy.deepcopy(value)
    return out


def _has_schema(schema: Any) -> bool:
    return schema is False or (isinstance(schema, dict) and bool(schema))


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- timeouts ------------------------------------------------------------------------------


def timeout(
    process: dict[str, Any], *, timestamp: datetime, new_uuid: UuidFactory | None = None
) -> dict[str, Any]:
    """``process`` after the timeout due at ``timestamp``, or the input itself if none is.

    Due: an ``after`` transition of the current state whose ``if`` holds, whose delay
    has passed since the state was entered, and that has not fired in this stay yet;
    of those, the one with the smallest ``after``. Firing appends a timeout event, logs
    the transition when it asks to, and moves to its ``goto`` (``goto: null`` stays
    without resetting the state's timer).
    """
    return fire_timeout(process, timestamp=timestamp, new_uuid=new_uuid)


def fire_timeout(
    process: dict[str, Any],
    *,
    timestamp: datetime | str,
    new_uuid: UuidFactory | None,
    force: bool = False,
) -> dict[str, Any]:
    """:func:`timeout`; with ``force`` the first pending timeout fires whatever the time
    (used by prediction)."""
    check_process(process)
    when = timestamp if isinstance(timestamp, str) else format_timestamp(timestamp)
    current = process["current"]
    elapsed = seconds_since(current["timestamp"], parse_timestamp(when))
    transition = due_timeout(process, None if force else elapsed, new_uuid)
    if transition is None:
        return process
    updated = copy.deepcopy(process)
    updated["events"].append(with_hash({"previous": last_hash(updated), "timestamp": when}))
    log_transition(updated, transition, new_uuid=new_uuid)
    goto = transition.get("goto")
    if isinstance(goto, str):
        enter_state(updated, goto, when, new_uuid=new_uuid)
    return updated


def next_timeout(process: dict[str, Any], *, new_uuid: UuidFactory | None = None) -> float | None:
    """Seconds after ``current.timestamp`` at which the next timeout fires, or None.

    Set a timer for ``current.timestamp + next_timeout(process)``, call :func:`timeout`
    when it fires, and ask again after every change: the answer depends on the state,
    on timeouts already fired in it, and on ``if`` conditions over the process data.
    """
    check_process(process)
    if not process.get("isRunning", True):
        return None
    transition = due_timeout(process, None, new_uuid)
    return None if transition is None else float(transition["after"])


def due_timeout(
    process: Mapping[str, Any], elapsed: float | None, new_uuid: UuidFactory | None
) -> dict[str, Any] | None:
    """The pending timeout transition with the smallest ``after`` (not above ``elapsed``
    when given) whose ``if`` holds."""
    fired = _fired_in_state(process)
    state = process["scenario"]["states"][process["current"]["key"]]
    candidates = [
        t for t in state.get("transitions") or [] if isinstance(t.get("after"), int | float)
    ]
    for transition in sorted(candidates, key=lambda t: t["after"]):
        after = transition["after"]
        if fired is not None and after <= fired:
            continue
        if elapsed is not None and after > elapsed:
            break
        if truthy(evaluate(transition.get("if", True), process, new_uuid)):
            return dict(transition)
    return None


def _fired_in_state(process: Mapping[str, Any]) -> float | None:
    """How long after entering the current state its last timeout fired (None: none has).

    The state was entered by the first applied event stamped with ``current.timestamp``
    (a ``goto: null`` keeps that stamp); timeout events after it fired in this stay.
    """
    entered = process["current"]["timestamp"]
    events = process["events"]
    start = None
    for index, event in enumerate(events):
        if event.get("timestamp") == entered and not event.get("skipped"):
            start = index
            break
    if start is None:
        return None
    fired = None
    for event in events[start + 1 :]:
        if "scenario" not in event and "action" not in event:
            fired = seconds_since(entered, parse_timestamp(event["timestamp"]))
    return fired
