"""FEEL core semantics: parsing, operators, three-valued logic, paths, filters, iteration,
functions, unary tests and ``instance of`` (the built-in library has its own tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from expressions import ExpressionSyntaxError, LimitExceeded, Limits
from expressions.feel.evaluator import evaluate_source, evaluate_text
from expressions.feel.parser import parse
from expressions.feel.values import FeelRange

D = Decimal


def feel(source: str, **variables: Any) -> Any:
    return evaluate_text(source, variables)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", D(7)),
        ("(1 + 2) * 3", D(9)),
        ("2 ** 3 ** 2", D(64)),  # left-associative
        ("10 ** -2", D("0.01")),
        ("-2 ** 2", D(4)),
        ("1 / 3", D("0.3333333333333333333333333333333333")),
        ("0.1 + 0.2", D("0.3")),
        ("1 / 0", None),
        ('"a" + "b"', "ab"),
        ('"a" + 1', None),
        ("null + 1", None),
        ("-(3)", D(-3)),
        (".5 + 1", D("1.5")),
    ],
)
def test_arithmetic(source: str, expected: Any) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true and null", None),
        ("false and null", False),
        ("true or null", True),
        ("false or null", None),
        ("1 and true", None),
        ("1 = 1", True),
        ("1 = null", False),
        ("null = null", True),
        ("1 != 2", True),
        ('1 < "a"', None),
        ('"a" < "b"', True),
        ("5 between 1 and 10", True),
        ("[1, 2] = [1, 2]", True),
        ("{a: 1} = {a: 1}", True),
        ("{a: 1} = {a: 2}", False),
    ],
)
def test_logic_and_comparison(source: str, expected: Any) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("5 in (1, 5, 9)", True),
        ("5 in (< 3, > 4)", True),
        ("5 in [1..5]", True),
        ("5 in [1..5)", False),
        ("5 in ]4..6[", True),
        ("5 in not(1, 2)", True),
        ("5 in [1, 2, 5]", True),
        ('"b" in [["f".."h"], ["a".."c"]]', True),
        ("5 in (? > 3)", True),
        ("5 in <= 5", True),
    ],
)
def test_in_and_unary_tests(source: str, expected: Any) -> None:
    assert feel(source) == expected


def test_names_paths_and_filters() -> None:
    order = {
        "items": [{"price": 3, "qty": 2}, {"price": 10, "qty": 1}],
        "customer": {"name": "Ada"},
    }
    assert feel("order.customer.name", order=order) == "Ada"
    assert feel("order.items.price", order=order) == [D(3), D(10)]
    assert feel("order.items[price > 5].qty", order=order) == [D(1)]
    assert feel("order.items[1].price", order=order) == D(3)
    assert feel("order.items[-1].price", order=order) == D(10)
    assert feel("[1, 2, 3][item >= 2]") == [D(2), D(3)]
    assert feel("[1, 2, 3][5]") is None
    assert feel("Monthly Salary * 12", **{"Monthly Salary": 100}) == D(1200)
    assert feel("missing") is None
    assert feel("{a: 1, b: a + 1}.b") == D(2)


def test_iteration_and_conditionals() -> None:
    assert feel("for x in [1, 2, 3] return x * 2") == [D(2), D(4), D(6)]
    assert feel("for x in 1..3, y in [10] return x + y") == [D(11), D(12), D(13)]
    assert feel("for i in 3..1 return i") == [D(3), D(2), D(1)]
    assert feel("for i in 0..4 return if i = 0 then 1 else partial[-1] * 2") == [
        D(1),
        D(2),
        D(4),
        D(8),
        D(16),
    ]
    assert feel("some x in [1, 5] satisfies x > 3") is True
    assert feel("every x in [1, 5] satisfies x > 3") is False
    assert feel('if 1 > 2 then "a" else "b"') == "b"
    assert feel('if null then "a" else "b"') == "b"


def test_user_functions_and_named_arguments() -> None:
    assert feel("(function(a, b) a - b)(5, 3)") == D(2)
    assert feel("{f: function(a, b) a - b, r: f(b: 5, a: 3)}.r") == D(-2)
    assert feel("{fact: function(n) if n <= 1 then 1 else n * fact(n - 1), r: fact(5)}.r") == D(120)


def test_instance_of() -> None:
    assert feel("1 instance of number") is True
    assert feel("null instance of Null") is True
    assert feel("[1, 2] instance of list<number>") is True
    assert feel('[1, "a"] instance of list<number>') is False
    assert feel("{a: 1} instance of context<a: number>") is True
    assert feel("1 instance of Any") is True


def test_ranges_are_values() -> None:
    assert feel("[1..10)") == FeelRange(D(1), D(10), True, False)
    assert feel("(< 10)") == FeelRange(None, D(10), False, False)
    assert feel("[1..10].end included") is True


def test_strings_escapes_and_comments() -> None:
    assert feel('"line\\nnext"') == "line\nnext"
    assert feel('"\\u00e9"') == "é"
    assert feel('"\\U01F40E"') == "\U0001f40e"
    assert feel("1 + /* two */ 2 // trailing") == D(3)


def test_warnings_explain_nulls() -> None:
    result = evaluate_source("a + 1", {})
    assert result.value is None
    assert any("no variable 'a'" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("source", "offset"),
    [("1 +", 3), ('"open', 0), ("(1 + 2", 6), ("if x then 1", 11), ("a ! b", 2)],
)
def test_syntax_errors_have_positions(source: str, offset: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        parse(source)
    assert err.value.position == offset


def test_limits_bound_work() -> None:
    with pytest.raises(LimitExceeded):
        evaluate_text("for x in 1..1000000000 return x", {})
    with pytest.raises(LimitExceeded):
        evaluate_text("count(for x in 1..5000, y in 1..5000 return 1)", {})
    with pytest.raises(LimitExceeded):
        evaluate_text("10 ** 100000", {})
    small = Limits(max_steps=50)
    with pytest.raises(LimitExceeded):
        evaluate_text("for x in 1..100 return x + 1", {}, limits=small)
    with pytest.raises(ExpressionSyntaxError):
        parse("(" * 500 + "1" + ")" * 500)
