"""Camunda's typed variables, both ways, without a server.

Camunda's REST API carries every variable as ``{"value": …, "type": …, "valueInfo": {…}}``
(VariableValueDto); Baton's instances hold plain JSON values. ``to_python`` decodes what a
Camunda client sends, ``to_typed`` encodes what Baton holds the way Camunda answers it,
so a variable a worker reads back has the type it would have had on Camunda.

Where JSON cannot hold Camunda's value, the value is kept in the form JSON can carry, and
docs/camunda-rest.md says so: a ``Date`` is stored as its ISO 8601 text (and read back as
a ``String``); ``Object`` is read only in its JSON serialization (there is no JVM to
deserialize ``application/x-java-serialized-object``); ``Bytes`` and ``File`` are refused
until Baton stores binary variables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
SHORT_MIN, SHORT_MAX = -(2**15), 2**15 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

#: Camunda's date format ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (e.g. 2013-01-23T13:42:45.000+0200)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"

JSON_FORMAT = "application/json"


class VariableError(ValueError):
    """A variable Camunda's REST API would refuse; the message names the variable."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"variable {name!r}: {reason}")
        self.name = name
        self.reason = reason


def parse_date(text: str) -> datetime:
    """A date in Camunda's format; ISO 8601 (``Z``, ``+02:00``, no millis) is accepted
    too, since clients other than Camunda's own write it."""
    try:
        return datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ValueError(f"{text!r} is not a date as yyyy-MM-dd'T'HH:mm:ss.SSSZ") from err
    return parsed


def format_date(value: datetime) -> str:
    """``value`` in Camunda's format (milliseconds, ``+hhmm`` offset; naive is UTC)."""
    stamp = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return stamp + (value.strftime("%z") or "+0000")


def _integer(name: str, value: Any, low: int, high: int, kind: str) -> int:
    if isinstance(value, bool):
        raise VariableError(name, f"cannot convert {value!r} to {kind}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise VariableError(name, f"cannot convert {value!r} to {kind}") from None
    if not isinstance(value, int):
        raise VariableError(name, f"cannot convert {value!r} to {kind}")
    if not low <= value <= high:
        raise VariableError(name, f"{value} is out of the range of {kind} [{low}, {high}]")
    return value


def _double(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise VariableError(name, f"cannot convert {value!r} to Double")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VariableError(name, f"cannot convert {value!r} to Double") from None
    if not math.isfinite(number):
        raise VariableError(name, "NaN and infinities cannot be stored as JSON")
    return number


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise VariableError(name, f"cannot convert {value!r} to Boolean")


def _json_text(name: str, value: Any, kind: str) -> Any:
    """A Json (or JSON-serialized Object) value: Camunda sends the JSON as a string;
    an already-parsed object or array is taken as it is."""
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        raise VariableError(name, f"a {kind} value is a JSON string, not {type(value).__name__}")
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise VariableError(name, f"the {kind} value is not valid JSON ({err.msg})") from None


def _inferred(name: str, value: Any) -> Any:
    """An untyped value is kept as JSON gave it, as Camunda keeps the deserialized value."""
    if isinstance(value, float) and not math.isfinite(value):
        raise VariableError(name, "NaN and infinities cannot be stored as JSON")
    return value


def decode(name: str, typed: Any) -> Any:
    """One Camunda typed value as the plain value Baton stores."""
    if not isinstance(typed, Mapping):
        raise VariableError(name, 'expected an object {"value": …, "type": …}')
    value = typed.get("value")
    kind = typed.get("type")
    if kind is None or kind == "":
        return _inferred(name, value)
    if not isinstance(kind, str):
        raise VariableError(name, f"type must be a string, not {kind!r}")
    info = typed.get("valueInfo")
    info = {} if info is None else info
    if not isinstance(info, Mapping):
        raise VariableError(name, "valueInfo must be an object")
    lowered = kind.lower()
    if lowered == "null" or (value is None and lowered not in ("bytes", "file")):
        return None
    if lowered == "string":
        if not isinstance(value, str):
            raise VariableError(name, f"cannot convert {value!r} to String")
        return value
    if lowered == "integer":
        return _integer(name, value, INT_MIN, INT_MAX, "Integer")
    if lowered == "short":
        return _integer(name, value, SHORT_MIN, SHORT_MAX, "Short")
    if lowered == "long":
        return _integer(name, value, LONG_MIN, LONG_MAX, "Long")
    if lowered == "double":
        return _double(name, value)
    if lowered == "boolean":
        return _boolean(name, value)
    if lowered == "date":
        if not isinstance(value, str):
            raise VariableError(name, f"cannot convert {value!r} to Date")
        try:
            return parse_date(value).isoformat()
        except ValueError as err:
            raise VariableError(name, str(err)) from None
    if lowered == "json":
        return _json_text(name, value, "Json")
    if lowered == "object":
        data_format = info.get("serializationDataFormat") or JSON_FORMAT
        if data_format != JSON_FORMAT:
            raise VariableError(
                name,
                f"Object values serialized as {data_format!r} cannot be read (no JVM); "
                f"send them with serializationDataFormat {JSON_FORMAT!r} or as type Json",
            )
        return _json_text(name, value, "Object")
    if lowered in ("bytes", "file"):
        raise VariableError(name, f"type {kind} is not supported yet (binary variables)")
    raise VariableError(
        name,
        f"unknown type {kind!r}; one of String, Integer, Short, Long, Double, Boolean, "
        "Date, Json, Object, Null",
    )


def to_python(typed: Mapping[str, Any] | None) -> dict[str, Any]:
    """Camunda's ``variables`` map (name → typed value) as plain values; a
    ``VariableError`` names the first variable that cannot be read."""
    if typed is None:
        return {}
    if not isinstance(typed, Mapping):
        raise VariableError("variables", "expected an object of name → typed value")
    return {str(name): decode(str(name), value) for name, value in typed.items()}


def encode(value: Any) -> dict[str, Any]:
    """One plain value as Camunda returns it: ``str`` String, ``bool`` Boolean, ``int``
    Integer (Long outside 32 bits), ``float`` Double, ``None`` Null, objects and arrays
    Json (a serialized string, as Camunda Spin's Json type answers), a ``datetime`` Date."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        kind = "Integer" if INT_MIN <= value <= INT_MAX else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    if isinstance(value, datetime):
        return {"type": "Date", "value": format_date(value), "valueInfo": {}}
    return {
        "type": "Json",
        "value": json.dumps(value, separators=(",", ":"), default=str),
        "valueInfo": {},
    }


def to_typed(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Plain variables as Camunda's ``variables`` map (name → typed value)."""
    return {name: encode(value) for name, value in values.items()}
