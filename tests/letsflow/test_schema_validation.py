"""ajv v8 wording for JSON Schema errors (what LetsFlow puts in a skipped event)."""

from __future__ import annotations

from typing import Any

import pytest

from letsflow import schema_errors
from letsflow.schema_validation import errors_text


@pytest.mark.parametrize(
    ("schema", "value", "messages"),
    [
        ({"type": "string"}, 1, ["data must be string"]),
        ({"type": ["string", "null"]}, 1, ["data must be string,null"]),
        ({"type": "integer"}, 1.5, ["data must be integer"]),
        ({"type": "integer"}, 2.0, []),
        ({"enum": ["a", "b"]}, "c", ["data must be equal to one of the allowed values"]),
        ({"const": 1}, 2, ["data must be equal to constant"]),
        ({"type": "string", "format": "email"}, "x", ['data must match format "email"']),
        ({"type": "string", "format": "email"}, "a@example.com", []),
        ({"type": "string", "format": "uuid"}, "nope", ['data must match format "uuid"']),
        ({"type": "string", "format": "date"}, "2025-02-30", ['data must match format "date"']),
        ({"type": "string", "format": "date-time"}, "2025-01-01T00:00:00Z", []),
        (
            {"type": "string", "format": "date-time"},
            "2025-01-01T00:00:00",
            ['data must match format "date-time"'],
        ),
        ({"type": "string", "format": "uri"}, "https://example.com/a", []),
        ({"type": "string", "format": "uri"}, "not a uri", ['data must match format "uri"']),
        ({"type": "string", "format": "made-up"}, "anything", []),
        ({"type": "string", "pattern": "^a+$"}, "b", ['data must match pattern "^a+$"']),
        ({"minimum": 3}, 1, ["data must be >= 3"]),
        ({"maximum": 3}, 4, ["data must be <= 3"]),
        ({"exclusiveMinimum": 1.5}, 1, ["data must be > 1.5"]),
        ({"exclusiveMaximum": 3}, 3, ["data must be < 3"]),
        ({"multipleOf": 2}, 3, ["data must be multiple of 2"]),
        ({"minLength": 2}, "a", ["data must NOT have fewer than 2 characters"]),
        ({"maxLength": 1}, "ab", ["data must NOT have more than 1 characters"]),
        ({"minItems": 2}, [1], ["data must NOT have fewer than 2 items"]),
        ({"maxItems": 0}, [1], ["data must NOT have more than 0 items"]),
        ({"minProperties": 1}, {}, ["data must NOT have fewer than 1 properties"]),
        ({"maxProperties": 0}, {"a": 1}, ["data must NOT have more than 0 properties"]),
        (
            {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            ["a", "b", "a"],
            ["data must NOT have duplicate items (items ## 2 and 0 are identical)"],
        ),
        (
            {"uniqueItems": True},
            [{"a": 1}, {"a": 1}],
            ["data must NOT have duplicate items (items ## 0 and 1 are identical)"],
        ),
        ({"not": {"type": "string"}}, "a", ["data must NOT be valid"]),
        (
            {"anyOf": [{"type": "string"}, {"type": "number"}]},
            True,
            ["data must be string", "data must be number", "data must match a schema in anyOf"],
        ),
        (
            {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            1,
            ["data must match exactly one schema in oneOf"],
        ),
        ({"contains": {"type": "string"}}, [1], ["data must contain at least 1 valid item(s)"]),
        (
            {"prefixItems": [{"type": "string"}], "items": False},
            ["a", 1],
            ["data must NOT have more than 1 items"],
        ),
        (False, 1, ["data boolean schema is false"]),
        ({"type": "object", "nullable": True}, None, []),
        ({"type": "object"}, None, ["data must be object"]),
    ],
)
def test_ajv_messages(schema: Any, value: Any, messages: list[str]) -> None:
    assert schema_errors(schema, value) == messages


def test_one_message_per_missing_and_per_additional_property_in_ajv_order() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "address": {"type": "object", "properties": {"zip": {"type": "string"}}},
        },
        "required": ["name", "email", "phone"],
        "additionalProperties": False,
    }
    value = {"address": {"zip": 1234}, "x": 1, "y": 2}
    assert schema_errors(schema, value) == [
        "data must have required property 'name'",
        "data must have required property 'email'",
        "data must have required property 'phone'",
        "data must NOT have additional properties",
        "data must NOT have additional properties",
        "data/address/zip must be string",
    ]


def test_instance_paths_are_json_pointers() -> None:
    schema = {
        "type": "object",
        "properties": {"a/b": {"type": "array", "items": {"type": "string"}}},
    }
    assert schema_errors(schema, {"a/b": ["x", 2]}) == ["data/a~1b/1 must be string"]


def test_dependent_required() -> None:
    schema = {"dependentRequired": {"card": ["billing"]}}
    assert schema_errors(schema, {"card": 1}) == [
        "data must have property billing when property card is present"
    ]


def test_local_refs_resolve_and_remote_refs_are_never_fetched() -> None:
    local = {"$defs": {"name": {"type": "string"}}, "properties": {"n": {"$ref": "#/$defs/name"}}}
    assert schema_errors(local, {"n": 1}) == ["data/n must be string"]
    remote = {"$ref": "https://schemas.example.com/person"}
    assert schema_errors(remote, {}) == [
        "can't resolve reference https://schemas.example.com/person"
    ]


def test_an_unusable_schema_is_reported_not_raised() -> None:
    assert schema_errors({"type": "thing"}, 1) == ["schema is invalid: unknown type 'thing'"]


def test_empty_schemas_accept_anything() -> None:
    assert schema_errors({}, object()) == []
    assert schema_errors(True, None) == []


def test_errors_text_joins_like_ajv() -> None:
    assert errors_text(["data must be string", "data/x must be number"]) == (
        "data must be string, data/x must be number"
    )
