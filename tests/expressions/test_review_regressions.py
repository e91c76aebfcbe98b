"""Regressions from the expression-engine review: hangs, escapes and value conversion."""

from __future__ import annotations

import decimal
import time

import pytest

from bpmn_compiler.ir import Expression
from expressions import ExpressionError, compile_expression, juel
from expressions.feel.evaluator import evaluate_source, evaluate_text


def feel(source: str, **variables: object) -> object:
    return compile_expression(Expression(language="feel", source=source)).evaluate(variables)


@pytest.mark.parametrize(
    ("source", "variables"),
    [
        (
            'matches(email, "^([a-zA-Z0-9_\\\\-\\\\.]+)+@example\\\\.com$")',
            {"email": "a" * 30 + "@example.org"},
        ),
        ('matches(x, "(a|aa)*c")', {"x": "a" * 40}),
        ('replace(x, "(a+)+b", "z")', {"x": "a" * 40}),
    ],
)
def test_catastrophic_regexes_are_refused_fast(source: str, variables: dict[str, object]) -> None:
    started = time.perf_counter()
    result = evaluate_source(source, variables)
    assert result.value is None
    assert any("nested quantifiers" in w for w in result.warnings)
    assert time.perf_counter() - started < 0.5


def test_juel_bounded_repeat_of_a_quantified_group_is_refused() -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        juel.evaluate("${s.matches('(a+){,30}b')}", {"s": "a" * 28})
    assert time.perf_counter() - started < 0.5


def test_partial_never_contains_itself() -> None:
    assert feel("for i in 1..2 return partial") == [[], [[]]]


def test_nan_and_infinity_are_null() -> None:
    assert feel("x > 1", x=float("nan")) is None
    assert feel("x", x=float("inf")) is None


def test_huge_juel_integer_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionError):
        juel.parse("${" + "9" * 5000 + "}")


def test_plain_python_results() -> None:
    assert feel('duration("PT" + string(x) + "M")', x=15) == "PT15M"
    assert feel("x + 1", x=10**18) == 10**18 + 1  # exact, not a float
    assert feel("[1..3]") is None  # ranges have no JSON form


def test_thread_decimal_settings_do_not_leak() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert evaluate_text("1 / 3", {}) == decimal.Decimal("0.3333333333333333333333333333333333")


def test_date_ranges_outside_the_calendar_are_null() -> None:
    assert feel('for d in date("-0001-12-30")..date("-0001-12-31") return d') is None
