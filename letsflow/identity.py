"""Content addressing: the scenario id and the event hash, byte-compatible with LetsFlow.

LetsFlow derives both from ``fast-json-stable-stringify`` output: keys sorted, no
whitespace, JavaScript number and string formatting. A scenario stored here must get the
same id as in LetsFlow, and a process's event chain must verify on either side, so
:func:`stable_json` follows JavaScript's rules rather than ``json.dumps``'s.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from letsflow.errors import PathPart, ScenarioError
from letsflow.js_compat import number_to_string, utf16_order

_MAX_SAFE_INTEGER = 2**53 - 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def stable_json(value: Any) -> str:
    """Deterministic JSON text of ``value``, as ``fast-json-stable-stringify`` writes it.

    Keys are sorted the way JavaScript sorts strings (UTF-16 code units), numbers are
    written like ``String(number)`` (``1.0`` → ``1``), non-finite numbers become ``null``,
    non-ASCII text is kept as is and lone surrogates are escaped.
    """
    parts: list[str] = []
    _write(value, parts, ())
    return "".join(parts)


def _write(value: Any, out: list[str], path: tuple[PathPart, ...]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value) if abs(value) <= _MAX_SAFE_INTEGER else number_to_string(value))
    elif isinstance(value, float):
        out.append(number_to_string(value) if math.isfinite(value) else "null")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, (*path, i))
        out.append("]")
    elif isinstance(value, Mapping):
        out.append("{")
        keys = list(value)
        for key in keys:
            if not isinstance(key, str):
                raise ScenarioError(f"object key {key!r} is not a string", path)
        for i, key in enumerate(sorted(keys, key=utf16_order)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out, (*path, key))
        out.append("}")
    else:
        raise ScenarioError(f"{type(value).__name__} is not a JSON value", path)


def _string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def schema_namespace(schema_uri: str) -> uuid.UUID:
    """The UUIDv5 namespace for documents of one schema: ``uuidv5(NAMESPACE_URL, uri)``."""
    return uuid.uuid5(uuid.NAMESPACE_URL, schema_uri)


def scenario_id(normalized: Mapping[str, Any]) -> str:
    """The content address of a *normalized* scenario.

    ``uuidv5(stable_json(scenario without id), uuidv5(NAMESPACE_URL, scenario.$schema))``:
    storing the same content twice yields the same id, whatever ``id`` it carried.
    """
    schema = normalized.get("$schema")
    if not isinstance(schema, str):
        raise ScenarioError("a normalized scenario has a string $schema", ("$schema",))
    body = {k: v for k, v in normalized.items() if k != "id"}
    return str(uuid.uuid5(schema_namespace(schema), stable_json(body)))


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``stable_json(event without hash)``: one link of a process's chain."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(stable_json(body).encode("utf-8")).hexdigest()
