"""Notify: which services hear of a state, when, and which action their reply triggers.

Entries are spelled out as ``{service, after, if, trigger[, message]}``. When the author
names no ``trigger``, it is the one action the service may perform in that state (none if
there are several). A service that may act in a state but is not notified gets an entry
anyway: otherwise the process would wait for a reply to a message never sent.
"""

from __future__ import annotations

from typing import Any

from letsflow.errors import Path, ScenarioError
from letsflow.js_compat import coalesce, truthy
from letsflow.naming import SERVICE_PREFIX, is_end_state
from letsflow.time_period import to_seconds


def normalize_notify(notify: Any, path: Path) -> list[dict[str, Any]]:
    """The full form of a state's ``notify`` (a string, an object, or a list of those).

    ``trigger`` stays null here when not given; :func:`resolve_notify` fills it in once
    the state's transitions (including those of ``"*"``) are final.
    """
    if not truthy(notify):
        return []
    items = notify if isinstance(notify, list) else [notify]
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        where = (*path, i) if isinstance(notify, list) else path
        entry = {"service": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("service"), str):
            raise ScenarioError("a notify entry is a service name or {service, ...}", where)
        normalized = {
            "service": entry["service"].replace(SERVICE_PREFIX, "", 1),
            "after": to_seconds(coalesce(entry.get("after"), 0), (*where, "after")),
            "if": coalesce(entry.get("if"), True),
            "trigger": entry.get("trigger"),
        }
        if truthy(entry.get("message")):
            normalized["message"] = entry["message"]
        out.append(normalized)
    return out


def service_actions(
    state_key: str, state: dict[str, Any], actions: dict[str, Any]
) -> dict[str, list[str]]:
    """Per service (without the ``service:`` prefix), the actions it may perform in the state.

    A service may act when a transition names it in ``by``, or when the transition is open
    to all (``by: *``) and the action's own ``actor`` list names it.
    """
    found: dict[str, list[str]] = {}
    if is_end_state(state):
        return found
    for transition in state["transitions"]:
        on = transition.get("on")
        if on is None:
            continue
        by: list[str] = transition["by"]
        if "*" in by:
            action = actions.get(f"{state_key}.{on}") or actions.get(on) or {}
            actors = action.get("actor")
            candidates = actors if isinstance(actors, list) else []
        else:
            candidates = by
        for actor in candidates:
            if isinstance(actor, str) and actor.startswith(SERVICE_PREFIX):
                performed = found.setdefault(actor[len(SERVICE_PREFIX) :], [])
                if on not in performed:
                    performed.append(on)
    return found


def resolve_notify(states: dict[str, Any], actions: dict[str, Any]) -> None:
    """Fill in missing triggers, and notify services that may act but are not notified."""
    for key, state in states.items():
        per_service = service_actions(key, state, actions)
        notify: list[dict[str, Any]] = state["notify"]
        for entry in notify:
            if entry["trigger"] is None:
                entry["trigger"] = _single(per_service.get(entry["service"], []))
        notified = {entry["service"] for entry in notify}
        for service, performed in per_service.items():
            if service not in notified:
                notify.append(
                    {"service": service, "after": 0, "if": True, "trigger": _single(performed)}
                )


def _single(performed: list[str]) -> str | None:
    return performed[0] if len(performed) == 1 else None
