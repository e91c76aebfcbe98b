"""Camunda's typed variables both ways (api/routes/camunda/variables.py), without a
server: what a Camunda client sends decodes to the plain value Baton stores, and what
Baton holds encodes as Camunda answers it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from api.routes.camunda import errors
from api.routes.camunda.variables import (
    VariableError,
    encode,
    format_date,
    parse_date,
    to_python,
    to_typed,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"value": "a", "type": "String"}, "a"),
        ({"value": 5, "type": "Integer"}, 5),
        ({"value": "5", "type": "integer"}, 5),
        ({"value": 7, "type": "Short"}, 7),
        ({"value": 2**40, "type": "Long"}, 2**40),
        ({"value": 1.5, "type": "Double"}, 1.5),
        ({"value": 2, "type": "Double"}, 2.0),
        ({"value": True, "type": "Boolean"}, True),
        ({"value": "false", "type": "Boolean"}, False),
        ({"value": None, "type": "Null"}, None),
        ({"value": None, "type": "String"}, None),
        ({"value": '{"a": [1, 2]}', "type": "Json"}, {"a": [1, 2]}),
        ({"value": [1], "type": "Json"}, [1]),
        (
            {
                "value": '{"x": 1}',
                "type": "Object",
                "valueInfo": {
                    "objectTypeName": "java.util.HashMap",
                    "serializationDataFormat": "application/json",
                },
            },
            {"x": 1},
        ),
        ({"value": "untyped"}, "untyped"),
        ({"value": {"k": 1}}, {"k": 1}),
        ({"value": 3, "type": None}, 3),
    ],
)
def test_to_python_decodes_each_type(typed: dict[str, Any], expected: Any) -> None:
    decoded = to_python({"v": typed})["v"]
    assert decoded == expected
    assert type(decoded) is type(expected)


def test_a_date_in_camundas_format_is_stored_as_iso_8601() -> None:
    decoded = to_python({"due": {"value": "2013-01-23T13:42:45.000+0200", "type": "Date"}})
    assert decoded["due"] == "2013-01-23T13:42:45+02:00"
    assert parse_date("2013-01-23T13:42:45Z") == datetime(2013, 1, 23, 13, 42, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ({"value": "abc", "type": "Integer"}, "Integer"),
        ({"value": 2**31, "type": "Integer"}, "range of Integer"),
        ({"value": 2**15, "type": "Short"}, "range of Short"),
        ({"value": True, "type": "Long"}, "Long"),
        ({"value": "x", "type": "Double"}, "Double"),
        ({"value": "yes", "type": "Boolean"}, "Boolean"),
        ({"value": 5, "type": "String"}, "String"),
        ({"value": "23.01.2013", "type": "Date"}, "yyyy-MM-dd"),
        ({"value": "{nope", "type": "Json"}, "not valid JSON"),
        (
            {
                "value": "rO0AB",
                "type": "Object",
                "valueInfo": {"serializationDataFormat": "application/x-java-serialized-object"},
            },
            "no JVM",
        ),
        ({"value": "AAE=", "type": "Bytes"}, "not supported"),
        ({"value": 1, "type": "Money"}, "unknown type 'Money'"),
        ("plain", "expected an object"),
        ({"value": 1, "type": "Integer", "valueInfo": []}, "valueInfo"),
    ],
)
def test_bad_input_names_the_variable(typed: Any, words: str) -> None:
    with pytest.raises(VariableError) as raised:
        to_python({"amount": typed})
    assert raised.value.name == "amount"
    assert "'amount'" in str(raised.value)
    assert words in str(raised.value)


def test_no_variables_is_empty() -> None:
    assert to_python(None) == {}
    assert to_python({}) == {}


def test_to_typed_answers_as_camunda_does() -> None:
    typed = to_typed(
        {
            "s": "a",
            "b": False,
            "i": 5,
            "l": 2**31,
            "d": 1.5,
            "n": None,
            "j": {"a": [1, 2]},
            "arr": [1],
        }
    )
    assert typed == {
        "s": {"type": "String", "value": "a", "valueInfo": {}},
        "b": {"type": "Boolean", "value": False, "valueInfo": {}},
        "i": {"type": "Integer", "value": 5, "valueInfo": {}},
        "l": {"type": "Long", "value": 2**31, "valueInfo": {}},
        "d": {"type": "Double", "value": 1.5, "valueInfo": {}},
        "n": {"type": "Null", "value": None, "valueInfo": {}},
        "j": {"type": "Json", "value": '{"a":[1,2]}', "valueInfo": {}},
        "arr": {"type": "Json", "value": "[1]", "valueInfo": {}},
    }


def test_round_trip_keeps_values() -> None:
    values = {"s": "a", "i": -(2**40), "j": {"x": None}, "f": 0.25, "t": True}
    assert to_python(to_typed(values)) == values


def test_dates_format_as_camunda() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_date(datetime(2013, 1, 23, 13, 42, 45, 7000, plus_two)) == (
        "2013-01-23T13:42:45.007+0200"
    )
    assert encode(datetime(2013, 1, 23))["value"] == "2013-01-23T00:00:00.000+0000"


def test_camunda_error_bodies() -> None:
    assert errors.body(400, "bad") == {"type": "InvalidRequestException", "message": "bad"}
    assert errors.status_of(422) == 400
    conflict = errors.body(409, "claimed", {"code": "TaskAlreadyClaimed"})
    assert conflict == {
        "type": "ProcessEngineException",
        "message": "claimed",
        "code": 0,
        "reason": "TaskAlreadyClaimed",
    }
    assert errors.body(403, "no", {"privilege": "deploy"})["type"] == "AuthorizationException"
    assert errors.applies("/engine-rest/deployment") and not errors.applies("/engine-restx")
