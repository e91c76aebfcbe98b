"""Who is acting: a user's actor in a process, and what an API key may touch.

These are the LetsFlow engine's rules around the core (``ValidationService``), kept pure
so the HTTP layer and the workflow share them. Authorization proper stays in
:func:`letsflow.step`: whichever actor is chosen here, the step still checks that the
user may act as it and records a skipped event if not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from letsflow.errors import ScenarioError
from letsflow.naming import SERVICE_PREFIX
from letsflow.process import action_definition, check_process, instantiate_action


def resolve_actor(
    process: dict[str, Any], action: str, user: Mapping[str, Any] | None
) -> str | None:
    """The actor key ``user`` (``{id, roles?}``) performs ``action`` as, or None.

    ``action`` is ``"<state>.<action>"`` or a bare action key of the current state. The
    candidates are the actors the current state lists for the action, in that order; a
    process actor matches the user by id, by a shared role, or (the engine's rule) when
    it has a role but no id. An actor with neither id nor role is assigned to no one and
    never matches. Exact matches (id or role) are preferred over the role-without-id
    rule: the engine takes the first candidate either way, but a candidate whose role
    the user lacks would only produce a skipped step while a later one would succeed.

    ``user`` None (an API key without ``As-Actor``) matches every process actor.
    """
    check_process(process)
    candidates = _candidates(process, action)
    actors = process["actors"]
    listed = [key for key in candidates if key in actors and isinstance(actors[key], dict)]
    if user is None:
        return listed[0] if listed else None
    for key in listed:
        if _exact_match(actors[key], user):
            return key
    for key in listed:
        if _lenient_match(actors[key]):
            return key
    return None


def _candidates(process: dict[str, Any], action: str) -> list[str]:
    """The actor list of the action in ``current.actions``; for an action the state has a
    transition on but did not list (its ``if`` was false when the state was entered,
    e.g. a condition on ``current.actor``), the action's own actor list."""
    current = process["current"]
    state_key = current["key"]
    names = [action]
    if action.startswith(f"{state_key}."):
        names.insert(0, action[len(state_key) + 1 :])
    listed = current.get("actions") or []
    for name in names:
        for entry in listed:
            if isinstance(entry, dict) and entry.get("key") == name:
                return [a for a in entry.get("actor") or [] if isinstance(a, str)]
    transitions = process["scenario"]["states"][state_key].get("transitions") or []
    for name in names:
        by = [b for t in transitions if t.get("on") == name for b in _as_list(t.get("by", ["*"]))]
        definition = action_definition(process["scenario"], state_key, name)
        if by and isinstance(definition, dict):
            try:
                instantiated = instantiate_action(process, name, {**definition, "if": True}, by=by)
            except ScenarioError:  # a data function failing on this process's data
                return []
            return list(instantiated["actor"])
    return []


def _roles(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def _exact_match(actor: Mapping[str, Any], user: Mapping[str, Any]) -> bool:
    actor_id = actor.get("id")
    if actor_id is not None and actor_id == user.get("id"):
        return True
    user_roles = set(_roles(user.get("roles")))
    return bool(user_roles.intersection(_roles(actor.get("role"))))


def _lenient_match(actor: Mapping[str, Any]) -> bool:
    """The engine's "no id, so anyone may try" rule, for actors that do have a role."""
    return actor.get("id") is None and bool(_roles(actor.get("role")))


def allowed_by_api_key(
    processes_scope: Sequence[Mapping[str, Any]] | None,
    service: str | None,
    *,
    scenario_id: str,
    scenario_name: str | None,
    actor: str | None,
    action: str | None,
) -> bool:
    """Whether an API key may touch a process of this scenario (as ``actor``, doing
    ``action``; None when the request does neither, e.g. reading the process).

    Docs-era keys carry ``processes: [{scenario, actors?, actions?}]``: some entry must
    name the scenario (by id or name; an entry without one names every scenario) and,
    where it lists them, the actor and the action. No ``processes`` means unrestricted.
    HEAD-era keys carry ``service``: such a key may act only as ``service:<service>``.
    A key with both must satisfy both.
    """
    if service is not None and actor is not None and actor != f"{SERVICE_PREFIX}{service}":
        return False
    if processes_scope is None:
        return True
    for entry in processes_scope:
        scenario = entry.get("scenario")
        if scenario and scenario not in (scenario_id, scenario_name):
            continue
        actors = entry.get("actors")
        if actor is not None and actors is not None and actor not in actors:
            continue
        actions = entry.get("actions")
        if action is not None and actions is not None and action not in actions:
            continue
        return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
