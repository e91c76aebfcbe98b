"""JSON Schema validation that words its errors the way LetsFlow's validator (ajv v8) does.

A skipped step carries LetsFlow's error text, e.g. ``Response is invalid: data must have
required property 'email'``, and API clients and the scenario tests match on that text.
We validate with :mod:`jsonschema` (draft 2020-12, like LetsFlow's ``Ajv2020``) and
rewrite each error into ajv's wording: ``data<instancePath> <message>``, one entry per
ajv error with ``allErrors`` on (so one per missing property and one per additional
property), in the order ajv reports them.

Also as in ajv: ``nullable: true`` lets ``null`` through a ``type`` check, formats are
asserted (those ajv-formats knows; unknown formats pass), and no schema is ever fetched:
a ``$ref`` outside the document is reported as unresolvable, since a validator that goes
to the network cannot run inside a Temporal workflow.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from jsonschema import (  # type: ignore[import-untyped]
    Draft202012Validator,
    FormatChecker,
    validators,
)
from jsonschema import exceptions as jsonschema_errors
from referencing import Registry
from referencing.exceptions import Unresolvable

from letsflow.errors import json_pointer
from letsflow.identity import stable_json
from letsflow.js_compat import number_to_string

DATA_VAR: Final = "data"
"""The name ajv gives the validated value in its messages."""

# ajv evaluates ``type`` first, then keywords that apply to any type, then the keywords of
# each type group (number, string, array, object), then ``unevaluated*``; within a group
# in the order its vocabularies define them. Errors are reported in that order.
_KEYWORD_ORDER: Final = (
    "type",
    "nullable",
    "$ref",
    "$dynamicRef",
    "const",
    "enum",
    "not",
    "anyOf",
    "oneOf",
    "allOf",
    "if",
    "then",
    "else",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "multipleOf",
    "maxLength",
    "minLength",
    "pattern",
    "format",
    "maxItems",
    "minItems",
    "uniqueItems",
    "prefixItems",
    "items",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "propertyNames",
    "additionalProperties",
    "dependencies",
    "properties",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_RANK: Final = {keyword: i for i, keyword in enumerate(_KEYWORD_ORDER)}
_NAMED_CHILDREN: Final = ("properties", "patternProperties", "dependentSchemas", "$defs")
_INDEXED_CHILDREN: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
_SINGLE_CHILD: Final = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_SCALAR_TYPES: Final = frozenset({"string", "number", "integer", "boolean", "null"})


def schema_errors(schema: Any, instance: Any) -> list[str]:
    """ajv's messages for ``instance`` against ``schema``, one per error (empty if valid).

    Each reads ``data<pointer> <message>``, e.g. ``data/email must match format "email"``.
    A schema that cannot be used (an unknown type name, an unresolvable ``$ref``) yields
    one message saying so rather than raising: to the caller it is a reason to refuse
    the value, the same as an invalid one.
    """
    if schema is True or (isinstance(schema, dict) and not schema):
        return []
    if not isinstance(schema, dict | bool):
        return [f"schema is invalid: {type(schema).__name__} is not a schema"]
    text = stable_json(schema)
    try:
        validator = _compiled(text)
        raw = list(validator.iter_errors(instance))
    except Unresolvable as exc:
        return [f"can't resolve reference {getattr(exc, 'ref', exc)}"]
    except jsonschema_errors.UnknownType as exc:
        return [f"schema is invalid: unknown type '{exc.type}'"]
    except (jsonschema_errors.SchemaError, re.error) as exc:
        return [f"schema is invalid: {getattr(exc, 'message', exc)}"]
    root = json.loads(text)
    ordered = sorted(raw, key=lambda error: _order(root, list(error.relative_schema_path)))
    return [f"{DATA_VAR}{json_pointer(path)} {message}" for path, message in _ajv(ordered)]


def errors_text(messages: Iterable[str]) -> str:
    """ajv's ``errorsText()``: the messages joined with ``", "``."""
    return ", ".join(messages)


# -- validator construction ----------------------------------------------------------------


def _type_or_null(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """``type`` honouring OpenAPI's ``nullable: true`` (ajv supports it natively)."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from _BASE_TYPE(validator, types, instance, schema)


_BASE_TYPE: Final = Draft202012Validator.VALIDATORS["type"]
_Validator = validators.extend(Draft202012Validator, {"type": _type_or_null})


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> Any:
    """One validator per distinct schema (keyed by its stable JSON text)."""
    schema = json.loads(text)
    return _Validator(schema, registry=Registry(), format_checker=_FORMATS)


# -- formats (the ajv-formats set, in its "full" flavour) ---------------------------------

_FORMATS: Final = FormatChecker(formats=())

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_TIME = re.compile(
    r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(z|[+-]\d{2}(?::?\d{2})?)?\Z", re.ASCII | re.IGNORECASE
)
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(
    r"(?=.{1,253}\.?\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?\Z",
    re.IGNORECASE,
)
_UUID = re.compile(r"(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\Z", re.IGNORECASE)
_URI = re.compile(r"[a-z][a-z0-9+.-]*:[^\s\"<>\\^`{|}]*\Z", re.IGNORECASE)
_URI_REFERENCE = re.compile(r"[^\s\"<>\\^`{|}]*\Z")
_JSON_POINTER = re.compile(r"(?:/(?:[^~/]|~0|~1)*)*\Z")
_RELATIVE_JSON_POINTER = re.compile(r"(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)\Z")
_DURATION = re.compile(
    r"P(?!\Z)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|(\d+W)?)\Z", re.ASCII
)
_BYTE = re.compile(r"(?:[a-z0-9+/]{4})*(?:[a-z0-9+/]{2}==|[a-z0-9+/]{3}=)?\Z", re.IGNORECASE)


def _string_format(name: str) -> Callable[[Callable[[str], bool]], Callable[[Any], bool]]:
    """Register a check for strings; other types pass, as in ajv."""

    def register(check: Callable[[str], bool]) -> Callable[[Any], bool]:
        def checker(instance: Any) -> bool:
            return not isinstance(instance, str) or check(instance)

        _FORMATS.checks(name)(checker)
        return checker

    return register


def _valid_date(text: str) -> bool:
    match = _DATE.match(text)
    if not match:
        return False
    try:
        datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def _valid_time(text: str, *, zone_required: bool = False) -> bool:
    match = _TIME.match(text)
    if not match or (zone_required and not match.group(4)):
        return False
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3))
    return hour <= 23 and minute <= 59 and second <= 60  # 60: a leap second


def _valid_date_time(text: str) -> bool:
    parts = re.split(r"[tT\s]", text, maxsplit=1)
    return len(parts) == 2 and _valid_date(parts[0]) and _valid_time(parts[1], zone_required=True)


def _valid_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _valid_regex(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


for _name, _check in (
    ("date", _valid_date),
    ("time", _valid_time),
    ("date-time", _valid_date_time),
    ("email", lambda text: _EMAIL.match(text) is not None),
    ("hostname", lambda text: _HOSTNAME.match(text) is not None),
    ("ipv4", _valid_ipv4),
    ("ipv6", _valid_ipv6),
    ("uuid", lambda text: _UUID.match(text) is not None),
    ("uri", lambda text: _URI.match(text) is not None),
    ("url", lambda text: _URI.match(text) is not None),
    ("uri-reference", lambda text: _URI_REFERENCE.match(text) is not None),
    ("json-pointer", lambda text: _JSON_POINTER.match(text) is not None),
    ("relative-json-pointer", lambda text: _RELATIVE_JSON_POINTER.match(text) is not None),
    ("duration", lambda text: _DURATION.match(text) is not None),
    ("byte", lambda text: _BYTE.match(text) is not None),
    ("regex", _valid_regex),
):
    _string_format(_name)(_check)


# -- ordering ------------------------------------------------------------------------------


def _order(root: Any, schema_path: list[Any]) -> list[int]:
    """Sort key: the ajv rank of each keyword along the schema path, and the position of
    each named or indexed child in its parent, so ajv's order comes out; the walk stops
    at a ``$ref`` (the rest keeps jsonschema's order, which the stable sort preserves)."""
    key: list[int] = []
    node = root
    i = 0
    while i < len(schema_path):
        keyword = schema_path[i]
        key.append(_RANK.get(keyword, len(_RANK)) if isinstance(keyword, str) else len(_RANK))
        child = node.get(keyword) if isinstance(node, dict) and isinstance(keyword, str) else None
        if keyword in _NAMED_CHILDREN and i + 1 < len(schema_path) and isinstance(child, dict):
            names = list(child)
            name = schema_path[i + 1]
            key.append(names.index(name) if name in names else len(names))
            node = child.get(name)
            i += 2
        elif keyword in _INDEXED_CHILDREN and i + 1 < len(schema_path) and isinstance(child, list):
            index = schema_path[i + 1]
            key.append(index if isinstance(index, int) else 0)
            node = child[index] if isinstance(index, int) and index < len(child) else None
            i += 2
        elif keyword in _SINGLE_CHILD:
            node = child
            i += 1
        else:
            break
    return key


# -- wording -------------------------------------------------------------------------------


def _ajv(errors: Iterable[Any]) -> Iterator[tuple[list[Any], str]]:
    """(instance path, ajv message) for each jsonschema error, expanded where ajv reports
    one error per property and jsonschema one per keyword."""
    pending: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        path = list(error.absolute_path)
        keyword = error.validator
        if keyword in ("anyOf", "oneOf") and error.context:
            branches = sorted(
                error.context,
                key=lambda sub: (
                    sub.relative_schema_path[0] if sub.relative_schema_path else 0,
                    _order(_branch(error), list(sub.relative_schema_path)[1:]),
                ),
            )
            yield from _ajv(branches)
        if keyword == "additionalProperties":
            for _extra in _additional(error.instance, error.schema):
                yield path, "must NOT have additional properties"
            continue
        if keyword in ("required", "dependentRequired"):
            slot = (keyword, id(error.schema), tuple(path))
            queue = pending.setdefault(slot, _missing(keyword, error.instance, error.schema))
            detail = queue.pop(0) if queue else ""
            yield path, _required_message(keyword, detail, error.schema)
            continue
        if "propertyNames" in list(error.relative_schema_path):
            yield path, "property name must be valid"
            continue
        yield path, _message(keyword, error)


def _branch(error: Any) -> Any:
    return error.schema.get(error.validator) if isinstance(error.schema, dict) else None


def _additional(instance: Any, schema: Any) -> list[str]:
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return []
    declared = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    return [
        name
        for name in instance
        if name not in declared and not any(re.search(pattern, name) for pattern in patterns)
    ]


def _missing(keyword: str, instance: Any, schema: Any) -> list[str]:
    """The details jsonschema's per-item errors stand for, in its order: each missing
    property (``required``), or ``"<property>\\0<dep>"`` per missing dependency."""
    if not isinstance(instance, dict) or not isinstance(schema, dict):
        return []
    if keyword == "required":
        return [name for name in schema.get("required") or [] if name not in instance]
    out: list[str] = []
    for name, deps in (schema.get("dependentRequired") or {}).items():
        if name in instance:
            out.extend(f"{name}\0{dep}" for dep in deps if dep not in instance)
    return out


def _required_message(keyword: str, detail: str, schema: Any) -> str:
    if keyword == "required":
        return f"must have required property '{detail}'"
    name = detail.split("\0", 1)[0]
    deps = (schema.get("dependentRequired") or {}).get(name, []) if isinstance(schema, dict) else []
    noun = "property" if len(deps) == 1 else "properties"
    return f"must have {noun} {', '.join(deps)} when property {name} is present"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number_to_string(value)


_LIMITS: Final = {
    "maximum": "must be <= {}",
    "minimum": "must be >= {}",
    "exclusiveMaximum": "must be < {}",
    "exclusiveMinimum": "must be > {}",
    "multipleOf": "must be multiple of {}",
    "maxLength": "must NOT have more than {} characters",
    "minLength": "must NOT have fewer than {} characters",
    "maxItems": "must NOT have more than {} items",
    "minItems": "must NOT have fewer than {} items",
    "maxProperties": "must NOT have more than {} properties",
    "minProperties": "must NOT have fewer than {} properties",
}
_FIXED: Final = {
    "enum": "must be equal to one of the allowed values",
    "const": "must be equal to constant",
    "not": "must NOT be valid",
    "anyOf": "must match a schema in anyOf",
    "oneOf": "must match exactly one schema in oneOf",
    "unevaluatedProperties": "must NOT have unevaluated properties",
    None: "boolean schema is false",
}


def _message(keyword: Any, error: Any) -> str:
    value = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword == "type":
        types = [value] if isinstance(value, str) else list(value)
        if schema.get("nullable") is True and "null" not in types:
            types.append("null")
        return f"must be {','.join(str(t) for t in types)}"
    if keyword in _LIMITS:
        return _LIMITS[keyword].format(_number(value))
    if keyword in _FIXED:
        return _FIXED[keyword]
    if keyword == "format":
        return f'must match format "{value}"'
    if keyword == "pattern":
        return f'must match pattern "{value}"'
    if keyword == "uniqueItems":
        return _duplicates(error.instance, schema)
    if keyword == "contains":
        if error.message.startswith("Too many"):
            return f"must contain at most {_number(schema.get('maxContains'))} valid item(s)"
        return f"must contain at least {_number(schema.get('minContains', 1))} valid item(s)"
    if keyword in ("items", "unevaluatedItems"):
        return f"must NOT have more than {len(schema.get('prefixItems') or [])} items"
    return str(error.message)


def _duplicates(items: Any, schema: dict[str, Any]) -> str:
    """ajv names the first duplicate pair it meets; it scans from the end, and for arrays
    of scalars (by the items schema) reports the later index first."""
    if not isinstance(items, list):
        return "must NOT have duplicate items"
    item_type = (
        (schema.get("items") or {}).get("type") if isinstance(schema.get("items"), dict) else None
    )
    scalar = isinstance(item_type, str) and item_type in _SCALAR_TYPES
    keys = [stable_json(item) for item in items]
    if scalar:
        seen: dict[str, int] = {}
        for i in range(len(keys) - 1, -1, -1):
            if keys[i] in seen:
                j = seen[keys[i]]
                return f"must NOT have duplicate items (items ## {j} and {i} are identical)"
            seen[keys[i]] = i
    else:
        for i in range(len(keys) - 1, -1, -1):
            for j in range(i - 1, -1, -1):
                if keys[i] == keys[j]:
                    return f"must NOT have duplicate items (items ## {j} and {i} are identical)"
    return "must NOT have duplicate items"
