"""Actor schemas: every actor is an object with an ``id``, a ``title`` and a ``role``.

The engine assigns users to actors by ``id`` or ``role`` and shows the ``title``, so those
three properties are always declared (overriding any the author wrote, as LetsFlow does).
"""

from __future__ import annotations

from typing import Any

from letsflow.errors import Path
from letsflow.naming import key_to_title
from letsflow.schema import expand_schema, string_to_schema


def _role_schema() -> dict[str, Any]:
    """A role is one string or a list of them (a fresh copy per actor)."""
    return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def normalize_actors(actors: dict[str, Any], path: Path) -> None:
    """Normalize every actor schema of ``actors`` in place."""
    for key, actor in list(actors.items()):
        schema: dict[str, Any]
        if isinstance(actor, str):
            schema = string_to_schema(actor)
        elif actor is None:
            schema = {}
        else:
            schema = actor
        actors[key] = schema
        _normalize_actor(schema, key, (*path, key))


def _normalize_actor(schema: dict[str, Any], key: str, path: Path) -> None:
    if schema.get("title") is None:
        schema["title"] = key_to_title(key)
    if "$ref" in schema:
        return
    if schema.get("type") is None:
        schema["type"] = "object"
    schema["properties"] = {
        **(schema.get("properties") or {}),
        "id": "string",
        "title": "string",
        "role": _role_schema(),
    }
    expand_schema(schema, path)
