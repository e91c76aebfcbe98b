"""Scenario ids and event hashes must equal LetsFlow's, byte for byte."""

from __future__ import annotations

import json
import math

import pytest

from letsflow import ScenarioError, event_hash, scenario_id, schema_namespace, stable_json
from letsflow.js_compat import number_to_string, parse_number
from tests.letsflow.corpus import LETSFLOW, needs_corpus

QUOTE_ID = "be31f8b3-c7d1-5aa6-90a9-19acae56285d"


def test_namespace_of_the_scenario_schema() -> None:
    namespace = schema_namespace("https://schemas.letsflow.io/v1.0/scenario")
    assert str(namespace) == "893ee6a3-2159-5176-879f-ad01cb8a85aa"


@needs_corpus
def test_id_of_the_core_test_scenario() -> None:
    normalized = json.loads((LETSFLOW / "core-test-quote-scenario.normalized.json").read_text())
    assert scenario_id(normalized) == QUOTE_ID
    # a stored id (right or wrong) does not take part in the id
    assert scenario_id({**normalized, "id": QUOTE_ID}) == QUOTE_ID
    assert scenario_id({"id": "x", **normalized}) == QUOTE_ID


def test_hash_of_an_instantiate_event() -> None:
    event = {
        "id": "00000000-0000-4000-8000-000000000000",
        "scenario": QUOTE_ID,
        "timestamp": "2025-01-01T00:00:00.000Z",
    }
    expected = "ac9e394e0c1752b51c1c893e58eda525eda1e648110e0b92df2228aca85e367f"
    assert event_hash(event) == expected
    assert event_hash({**event, "hash": expected}) == expected  # the hash is left out


def test_scenario_id_needs_a_schema() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_id({"title": "x"})
    assert err.value.path == ("$schema",)


def test_stable_json_sorts_keys_and_drops_whitespace() -> None:
    assert stable_json({"b": [1, {"d": None, "c": True}], "a": "x"}) == (
        '{"a":"x","b":[1,{"c":true,"d":null}]}'
    )


def test_stable_json_sorts_keys_by_utf16_code_units_like_javascript() -> None:
    # U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) but before it by code point
    assert stable_json({"\U0001f600": 1, "\uff5e": 2}) == '{"\U0001f600":1,"\uff5e":2}'


def test_stable_json_writes_text_like_json_stringify() -> None:
    assert (
        stable_json('zażółć \u2028 "q" \\ \n\t\x01') == '"zażółć \u2028 \\"q\\" \\\\ \\n\\t\\u0001"'
    )
    assert stable_json("\ud800") == '"\\ud800"'  # a lone surrogate is escaped


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (0.5, "0.5"),
        (100.0, "100"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123.456, "123.456"),
        (2.0**60, "1152921504606847000"),
        (-2.5e25, "-2.5e+25"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_numbers_are_written_like_javascript(value: float, text: str) -> None:
    assert number_to_string(value) == text
    assert stable_json(value) == text


def test_integers_beyond_the_safe_range_are_written_as_javascript_reads_them() -> None:
    assert stable_json(2**53 - 1) == "9007199254740991"
    assert stable_json(2**60) == "1152921504606847000"
    assert stable_json(math.inf) == "null"


def test_stable_json_refuses_what_is_not_json() -> None:
    with pytest.raises(ScenarioError) as err:
        stable_json({"a": [{1: "x"}]})
    assert err.value.path == ("a", 0)
    with pytest.raises(ScenarioError):
        stable_json({"a": object()})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("1.5", 1.5),
        ("1e3", 1000),
        ("0x1F", 31),
        ("0b101", 5),
        ("0o17", 15),
        (".5", 0.5),
        ("", 0),
        ("1_000", None),
        ("abc", None),
        ("Infinity", None),
    ],
)
def test_parse_number_follows_javascript_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value
