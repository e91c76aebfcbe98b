"""Update instructions: how an action writes its response into the process.

Each instruction of the action (normalized to ``{set, value, stub, mode, if}``) is
evaluated against the process as it is at that moment, so later instructions see what
earlier ones wrote. ``set`` is a plain dot path (not JMESPath) limited to what a scenario
may own: the title, the log, ``vars``, ``actors``, ``result`` and the acting actor. The
modes:

* ``replace`` (default) writes the value;
* ``merge`` concatenates two lists, or lays an object over the one there (JavaScript's
  ``{...old, ...new}``; ``null`` spreads to nothing);
* ``append`` adds the value to the list there (a missing or non-list value becomes a
  one-item list).

Writing ``current.actor`` writes back to that actor in ``actors``; an actor key that
appears through ``actors`` (``person_3``) is created from its (wildcard) schema.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from letsflow.actions import SETTABLE
from letsflow.js_compat import truthy
from letsflow.process import UNDEFINED, evaluate, instantiate_actor


def apply_updates(
    process: dict[str, Any],
    instructions: list[Any],
    actor_key: str,
    *,
    new_uuid: Callable[[], str] | None,
) -> list[str]:
    """Apply ``instructions`` to ``process`` in place; the reasons it could not (empty when
    all went well). A ``set`` outside the allowed paths (possible when ``set`` is itself
    a data function) is a reason to skip the step, not a crash of the workflow."""
    prediction = bool(process.get("is_prediction"))
    for raw in instructions:
        instruction = evaluate(raw, process, new_uuid)
        if not isinstance(instruction, dict) or not truthy(instruction.get("if", True)):
            continue
        path = instruction.get("set")
        if not isinstance(path, str) or not SETTABLE.search(path):
            return [f"Not allowed to set '{path}' through update instructions"]
        value = instruction.get("value")
        if prediction and instruction.get("stub") is not None:
            value = instruction["stub"]
        _update(
            process, path, copy.deepcopy(value), instruction.get("mode") or "replace", actor_key
        )
    return []


def _update(process: dict[str, Any], path: str, value: Any, mode: str, actor_key: str) -> None:
    existing = set(process["actors"]) if isinstance(process.get("actors"), dict) else set()
    if mode == "merge":
        value = _merge(get_path(process, path), value)
    elif mode == "append":
        current = get_path(process, path)
        value = [*current, value] if isinstance(current, list) else [value]
    set_path(process, path, value)

    actors = process.get("actors")
    if not isinstance(actors, dict):
        return
    current_actor = process["current"].get("actor")
    if (
        (path == "current.actor" or path.startswith("current.actor."))
        and actor_key in actors
        and isinstance(current_actor, dict)
    ):
        actors[actor_key] = {k: v for k, v in current_actor.items() if k != "key"}

    schemas = process["scenario"].get("actors") or {}
    for key in [k for k in actors if k not in existing]:
        values = actors[key]
        if values is None or isinstance(values, dict):
            created = instantiate_actor(schemas, key, values or {})
            if created is not None:  # no schema: validation reports the unknown actor
                actors[key] = created


def _merge(current: Any, value: Any) -> Any:
    if isinstance(current, list) and isinstance(value, list):
        return [*current, *value]
    if _is_js_object(current) and _is_js_object(value):
        return {**_spread(current), **_spread(value)}
    return value


def _is_js_object(value: Any) -> bool:
    """``typeof value === 'object'``: objects, arrays and null."""
    return value is None or isinstance(value, dict | list)


def _spread(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def get_path(root: Any, path: str) -> Any:
    """The value at dot path ``path``, or :data:`UNDEFINED`."""
    node = root
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return UNDEFINED
    return node


def set_path(root: dict[str, Any], path: str, value: Any) -> None:
    """Write ``value`` at dot path ``path``, creating objects on the way."""
    parts = path.split(".")
    node: Any = root
    for part in parts[:-1]:
        child = _child(node, part)
        if not isinstance(child, dict | list):
            child = {}
            _assign(node, part, child)
        node = child
    _assign(node, parts[-1], value)


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def _assign(node: Any, part: str, value: Any) -> None:
    if isinstance(node, list) and part.isdigit():
        index = int(part)
        node.extend([None] * (index + 1 - len(node)))
        node[index] = value
    elif isinstance(node, dict):
        node[part] = value
