"""LetsFlow's data functions: the JMESPath dialect (root `$`, bare numbers, the extra
functions), mustache without escaping, and `<select>`. Vectors are the ones LetsFlow's
jmespath fork documents."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from letsflow.data_functions import ExpressionError, apply_fn, ref, tpl

DATA: dict[str, Any] = {
    "name": "Alice",
    "age": 25,
    "map": {"a": 1, "b": 2, "c": 3},
    "list": [{"bar": 1}, {"bar": 10}],
    "foo": {"bar": 999},
    "baz": [1, 2, 3],
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("name", "Alice"),
        ("map.*", [1, 2, 3]),
        ("age >= 21", True),  # bare numbers are literals
        ("age < 21", False),
        ("16 + 26", 42),
        ("list[?bar==10]", [{"bar": 10}]),
        ("list[1].bar", 10),  # an index is still an index
        ("baz[0:2]", [1, 2]),
        ("$.baz[*].[@, $.foo.bar]", [[1, 999], [2, 999], [3, 999]]),
        ("if(age > `10`, 'large', 'small')", "large"),
        ("if(age > `30`, 'large')", None),
        ("range(5)", [0, 1, 2, 3, 4]),
        ("range(1, 5)", [1, 2, 3, 4]),
        ("range(1, 5, 'item_')", ["item_1", "item_2", "item_3", "item_4"]),
        (
            "to_object([['key1', 'value1'], ['key2', 'value2']])",
            {"key1": "value1", "key2": "value2"},
        ),
        ("json_serialize(map)", '{"a":1,"b":2,"c":3}'),
        ('json_parse(\'{"key":"value"}\')', {"key": "value"}),
        ("sha256('hello')", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        (
            "sha512('hello')",
            # the real digest; the fork's README prints a different second half
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
            "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
        ),
        ("regex_test('/^hello/', 'hello world')", True),
        ("regex_test('/^hello/', 'HELLO world')", False),
        ("regex_test('/^hello/i', 'HELLO world')", True),
        ("regex_match('/hello (\\\\w+)/', 'hello world')", ["hello world", "world"]),
        ("regex_match('/\\\\w+/g', 'hello world')", ["hello", "world"]),
        (
            "regex_match_all('/(\\\\w+)=(\\\\d+)/g', 'foo=24 bar=99')",
            [["foo=24", "foo", "24"], ["bar=99", "bar", "99"]],
        ),
        ("regex_replace('/world/', 'universe', 'hello world')", "hello universe"),
        ("regex_replace('/o/', '0', 'foo')", "f0o"),  # without g: the first match only
        ("regex_replace('/(\\\\w+)@(\\\\w+)/g', '$2 at $1', 'a@b c@d')", "b at a d at c"),
    ],
)
def test_the_jmespath_dialect(expression: str, expected: Any) -> None:
    assert ref(expression, DATA) == expected


def test_uuid_is_v5_with_a_name_and_from_the_given_source_without() -> None:
    named = ref("uuid('example')", {})
    assert named == ref("uuid('example', '00000000-0000-0000-0000-000000000000')", {})
    assert named[14] == "5"
    other = ref("uuid('example', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')", {})
    assert other != named and other[14] == "5"
    counter = itertools.count()
    assert ref("uuid()", {}, new_uuid=lambda: f"id-{next(counter)}") == "id-0"
    with pytest.raises(ExpressionError, match="random source"):
        ref("uuid()", {})  # never silently random inside a workflow


def test_bad_expressions_raise_a_scenario_error() -> None:
    for bad in ("a[", "nosuchfunction(a)", "regex_test('/(/', 'x')", "range('a')"):
        with pytest.raises(ExpressionError):
            ref(bad, DATA)


def test_templates_render_without_escaping() -> None:
    assert tpl("Hi {{name}} <b>{{missing}}</b>", DATA) == "Hi Alice <b></b>"
    assert tpl("{{#baz}}[{{.}}]{{/baz}}", DATA) == "[1][2][3]"
    value = apply_fn(
        {
            "<tpl>": {
                "template": "{{who}} & {{>sig}}",
                "view": {"who": {"<ref>": "name"}},
                "partials": {"sig": "co"},
            }
        },
        DATA,
    )
    assert value == "Alice & co"


def test_apply_fn_walks_values_and_select_picks_an_option() -> None:
    subject = {
        "title": {"<tpl>": "Quote for {{name}}"},
        "items": [{"<ref>": "age"}, "plain", 3],
        "size": {"<select>": {"$": {"<ref>": "name"}, "Alice": "mine", "*": "other"}},
        "fallback": {"<select>": {"$": {"<ref>": "age"}, "1": "one", "*": {"<ref>": "foo.bar"}}},
        "none": {"<select>": {"$": "x", "y": 1}},
    }
    assert apply_fn(subject, DATA) == {
        "title": "Quote for Alice",
        "items": [25, "plain", 3],
        "size": "mine",
        "fallback": 999,
        "none": None,
    }
