"""LetsFlow's simplified JSON Schema, expanded to plain JSON Schema.

Scenario authors write ``name: string``, ``items: string`` or ``email: !required string``;
the engine validates actors, vars, results and responses with a standard validator. This
module rewrites the shorthand in place, the way LetsFlow does, so the normalized document
(and therefore the scenario id) is the same:

* a string is a type, or a ``$ref`` when it starts with ``http:``, ``https:`` or ``#``;
* a missing ``type`` is inferred from ``const``, ``enum``, ``items`` or the object keywords;
* objects are closed (``additionalProperties: false``) unless they say otherwise;
* ``"!required": true`` on a property moves the property's name into the parent's
  ``required`` list.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any, Final

from letsflow.errors import Path, PathPart, ScenarioError
from letsflow.fn import is_fn
from letsflow.js_compat import truthy, typeof
from letsflow.naming import key_to_title

REQUIRED_FLAG: Final = "!required"
"""Marker the ``!required`` YAML tag leaves on a property schema."""

_REF_SHORTHAND = re.compile(r"https?:|#")
_COMBINATORS = ("allOf", "oneOf", "anyOf")
_OBJECT_KEYWORDS = ("properties", "patternProperties", "additionalProperties")


def string_to_schema(text: str) -> dict[str, Any]:
    """``"string"`` → ``{"type": "string"}``; ``"#/$defs/x"`` or a URL → ``{"$ref": ...}``."""
    return {"$ref": text} if _REF_SHORTHAND.match(text) else {"type": text}


def normalize_schema(schema: Any, path: Sequence[PathPart] = ()) -> dict[str, Any]:
    """A normalized copy of a (simplified) schema; the input is left untouched."""
    if isinstance(schema, str):
        return string_to_schema(schema)
    if not isinstance(schema, dict):
        raise ScenarioError("a schema is an object or a type name", path)
    result = copy.deepcopy(schema)
    expand_schema(result, tuple(path))
    return result


def expand_schema(schema: dict[str, Any], path: Path) -> None:
    """Normalize ``schema`` in place (the caller owns it)."""
    schema.pop(REQUIRED_FLAG, None)

    for keyword in _COMBINATORS:
        if keyword in schema:
            schema[keyword] = _expand_list(schema[keyword], (*path, keyword))

    if "$ref" in schema:
        return

    _infer_type(schema)

    if truthy(schema.get("properties")):
        required = expand_schemas(
            _mapping(schema["properties"], (*path, "properties")), (*path, "properties")
        )
        if required:
            existing = schema.get("required") or []
            schema["required"] = list(dict.fromkeys([*existing, *required]))

    for keyword in ("definitions", "$defs"):
        if truthy(schema.get(keyword)):
            expand_schemas(_mapping(schema[keyword], (*path, keyword)), (*path, keyword))

    for keyword in ("items", "additionalProperties"):
        value = schema.get(keyword)
        if isinstance(value, str):
            schema[keyword] = string_to_schema(value)
        elif isinstance(value, dict):
            expand_schema(value, (*path, keyword))

    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for key, value in patterns.items():
            if isinstance(value, str):
                patterns[key] = string_to_schema(value)
            elif isinstance(value, dict):
                expand_schema(value, (*path, "patternProperties", key))

    if schema.get("type") == "object" and schema.get("additionalProperties") is None:
        schema["additionalProperties"] = False


def expand_schemas(schemas: dict[str, Any], path: Path, *, set_title: bool = False) -> list[str]:
    """Normalize a map of named schemas in place; return the names flagged ``!required``.

    ``set_title`` gives each schema a title from its key (used for ``vars``).
    """
    required: list[str] = []
    for key, value in list(schemas.items()):
        where = (*path, key)
        if isinstance(value, str):
            schemas[key] = string_to_schema(value)
            if set_title:
                schemas[key]["title"] = key_to_title(key)
            continue
        if isinstance(value, bool) or is_fn(value):
            continue  # a boolean schema, or a schema computed per process
        if not isinstance(value, dict):
            raise ScenarioError("a schema is an object or a type name", where)
        if truthy(value.get(REQUIRED_FLAG)):
            required.append(key)
        expand_schema(value, where)
        if set_title and value.get("title") is None:
            value["title"] = key_to_title(key)
    return required


def _expand_list(schemas: Any, path: Path) -> list[Any]:
    if not isinstance(schemas, list):
        raise ScenarioError("must be a list of schemas", path)
    out: list[Any] = []
    for i, item in enumerate(schemas):
        if isinstance(item, str):
            out.append(string_to_schema(item))
        else:
            if isinstance(item, dict):
                expand_schema(item, (*path, i))
            out.append(item)
    return out


def _infer_type(schema: dict[str, Any]) -> None:
    """Fill in ``type`` from the other keywords (LetsFlow's order of precedence)."""
    if truthy(schema.get("type")) or "$ref" in schema:
        return
    if "const" in schema:
        schema["type"] = typeof(schema["const"])
        return
    if "enum" in schema and isinstance(schema["enum"], list):
        types = list(dict.fromkeys(typeof(item) for item in schema["enum"]))
        schema["type"] = types[0] if len(types) == 1 else types
    if "items" in schema:
        schema["type"] = "array"
        return
    if any(keyword in schema for keyword in _OBJECT_KEYWORDS):
        schema["type"] = "object"


def _mapping(value: Any, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError("must be a map of schemas", path)
    return value
