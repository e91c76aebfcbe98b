"""Reading and writing scenario YAML: LetsFlow's tags and YAML 1.2 scalars."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from letsflow import ScenarioError, dump_yaml, load_yaml
from letsflow.yaml_tags import MAX_ALIASES
from tests.conftest import ROOT
from tests.letsflow.corpus import EXAMPLES, LETSFLOW, needs_corpus

FN_SCHEMA = "https://schemas.letsflow.io/v1.0/fn"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!ref actors.client", {"<ref>": "actors.client"}),
        ("!ref abc > 0", {"<ref>": "abc > 0"}),
        ("!ref 5", {"<ref>": "5"}),
        ("!tpl 'Hi {{ name }}'", {"<tpl>": "Hi {{ name }}"}),
        ("!tpl |\n  a\n  b\n", {"<tpl>": "a\nb\n"}),
        (
            "!tpl\n  template: '{{> p}}'\n  partials: {p: x}\n",
            {"<tpl>": {"template": "{{> p}}", "partials": {"p": "x"}}},
        ),
        (
            "!select\n  $: !ref vars.x\n  true: yes\n  '*': no\n",
            {"<select>": {"$": {"<ref>": "vars.x"}, "true": "yes", "*": "no"}},
        ),
        ("!fn string", {"oneOf": [{"type": "string"}, {"$ref": FN_SCHEMA}]}),
        ("!fn {type: number}", {"oneOf": [{"type": "number"}, {"$ref": FN_SCHEMA}]}),
        ("!const abc", {"const": "abc"}),
        ("!const 10", {"const": 10}),
        ("!const true", {"const": True}),
        ("!const ~", {"const": None}),
        ("!enum [a, 1, true]", {"enum": ["a", 1, True]}),
        ("!default abc", {"default": "abc", "type": "string"}),
        ("!default 'Acme Inc.'", {"default": "Acme Inc.", "type": "string"}),
        ("!default true", {"default": True, "type": "boolean"}),
        ("!default 22", {"default": 22, "type": "integer"}),
        ("!default 2.5", {"default": 2.5, "type": "number"}),
        ("!default ~", {"default": None}),
        ("!format email", {"type": "string", "format": "email"}),
        ("!pattern '^[a-z]+$'", {"type": "string", "pattern": "^[a-z]+$"}),
        ("!required string", {"type": "string", "!required": True}),
        ("!required", {"!required": True}),
        (
            "!required\n  type: array\n  items: string\n",
            {"type": "array", "items": "string", "!required": True},
        ),
        ("!merge current.actor", {"mode": "merge", "set": "current.actor"}),
        ("!append result", {"mode": "append", "set": "result"}),
    ],
)
def test_tags(text: str, expected: Any) -> None:
    assert load_yaml(text) == expected


def test_scalars_follow_yaml_1_2_not_1_1() -> None:
    data = load_yaml(
        "on: yes\noff: no\ndate: 2025-01-01\ntime: 12:30\noctal: 012\no: 0o17\nhex: 0x1F\n"
        "exp: 1e3\nfloat: 1.5\nnothing: ~\nempty:\nbool: True\nstr: '1'\n"
    )
    assert data == {
        "on": "yes",
        "off": "no",
        "date": "2025-01-01",
        "time": "12:30",
        "octal": 12,
        "o": 15,
        "hex": 31,
        "exp": 1000,
        "float": 1.5,
        "nothing": None,
        "empty": None,
        "bool": True,
        "str": "1",
    }


def test_mapping_keys_become_strings_like_in_javascript() -> None:
    # a null key (`~:` or `null:`) is the empty string, as in JavaScript's `yaml` package
    assert load_yaml("{1: a, true: b, ~: c, 1.5: d, false: e}") == {
        "1": "a",
        "true": "b",
        "": "c",
        "1.5": "d",
        "false": "e",
    }


def test_merge_keys() -> None:
    data = load_yaml("a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  y: 3\n")
    assert data == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}}
    assert list(data["b"]) == ["x", "y"]


def test_json_text_is_read_too() -> None:
    assert load_yaml('{\n\t"a": 1,\n\t"on": [1.5, true, null, "x"]\n}') == {
        "a": 1,
        "on": [1.5, True, None, "x"],
    }
    assert load_yaml(b'\xef\xbb\xbf{"a": "\\u00e9"}') == {"a": "é"}
    assert load_yaml("{a: !ref x}") == {"a": {"<ref>": "x"}}  # flow YAML, not JSON


def test_empty_document() -> None:
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a: [1\n", "expected ',' or ']'", 2),
        ("a: !ref {x: 1}\n", "!ref takes a scalar", 1),
        ("a: !select x\n", "!select takes a mapping", 1),
        ("a: !enum x\n", "!enum takes a sequence", 1),
        ("a: !!binary aGVsbG8=\n", "could not determine a constructor", 1),
        ("a: !nope x\n", "could not determine a constructor", 1),
        ("? [a]\n: 1\n", "mapping keys must be scalars", 1),
        ("a: 1\n---\nb: 2\n", "expected a single document", 2),
    ],
)
def test_errors_say_where(text: str, message: str, line: int) -> None:
    with pytest.raises(ScenarioError) as err:
        load_yaml(text)
    assert message in err.value.message
    assert err.value.line == line
    assert f"line {line}" in str(err.value)


def test_alias_bombs_are_refused() -> None:
    text = "a: &a [x]\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ScenarioError, match="aliases"):
        load_yaml(text)


def test_dump_writes_data_functions_as_tags() -> None:
    data = {
        "a": {"<ref>": "actors.client"},
        "b": {"<ref>": "!not a tag"},
        "c": {"<tpl>": "Hi {{ name }},\nbye\n"},
        "d": {"<tpl>": {"template": "x", "view": {"<ref>": "vars"}}},
        "e": {"<select>": {"$": {"<ref>": "vars.x"}, "true": "yes", "*": "no"}},
        "f": {"<ref>": "x", "other": 1},
    }
    text = dump_yaml(data)
    assert "a: !ref actors.client\n" in text
    assert "b: !ref '!not a tag'\n" in text
    assert "c: !tpl |\n  Hi {{ name }},\n  bye\n" in text
    assert "d: !tpl\n" in text
    assert "e: !select\n" in text
    assert "f:\n  <ref>: x\n  other: 1\n" in text  # not a data function: a plain mapping
    assert load_yaml(text) == data


def test_dump_keeps_key_order_and_quotes_what_a_yaml_1_1_reader_would_misread() -> None:
    data = {"z": 1, "on": "yes", "a": "2025-01-01", "n": "012", "o": "0o17", "f": 2.0, "u": "ł"}
    text = dump_yaml(data)
    assert [line.split(":")[0].strip("'") for line in text.splitlines()] == list(data)
    assert "'yes'" in text and "'2025-01-01'" in text and "'0o17'" in text
    assert "f: 2\n" in text and "u: ł\n" in text
    assert load_yaml(text) == data


def test_dump_does_not_write_anchors_for_shared_values() -> None:
    shared = {"x": 1}
    text = dump_yaml({"a": shared, "b": shared})
    assert "&" not in text and "*" not in text


@needs_corpus
@pytest.mark.parametrize("name", [*EXAMPLES, "core-test-quote-scenario"])
def test_corpus_round_trips_through_dump(name: str) -> None:
    data = load_yaml((LETSFLOW / f"{name}.yaml").read_text())
    assert load_yaml(dump_yaml(data)) == data


def test_importing_the_package_does_not_import_pyyaml() -> None:
    """Workflow code imports ``letsflow`` for normalize/ids; PyYAML loads only on use."""
    code = (
        "import sys, letsflow; "
        "letsflow.normalize({'states': {'initial': {'on': 'a', 'goto': None}}}); "
        "assert 'yaml' not in sys.modules; "
        "letsflow.load_yaml('a: 1'); "
        "assert 'yaml' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
