"""Properties: FEEL parsing and evaluation raise only the engine's own errors, and
evaluation stops within its bounds, whatever the input."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressions import ExpressionError, Limits
from expressions.feel.evaluator import evaluate_text

TOKENS = [
    "1",
    "0",
    "-1",
    "2.5",
    "1000000",
    '"a"',
    '""',
    "null",
    "true",
    "false",
    "x",
    "xs",
    "ctx",
    "+",
    "-",
    "*",
    "/",
    "**",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "between",
    "instance of",
    "number",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "..",
    "for",
    "i",
    "return",
    "some",
    "every",
    "satisfies",
    "if",
    "then",
    "else",
    "function",
    "item",
    "?",
    '@"2024-01-01"',
    '@"P1D"',
    "date",
    "time",
    "date and time",
    "duration",
    "sum",
    "count",
    "substring",
    "string length",
    "matches",
    "replace",
    "sort",
    "append",
    "flatten",
    "distinct values",
    "list contains",
    "get value",
    "context put",
    "range",
    "before",
    "floor",
    "decimal",
    "round half up",
    "abs",
    "sqrt",
    "log",
    "exp",
    "modulo",
    "years and months duration",
    "day of week",
    "now",
    "today",
    "string",
    "number",
]
VARIABLES: dict[str, Any] = {
    "x": Decimal(3),
    "xs": [Decimal(1), Decimal(2), Decimal(3)],
    "ctx": {"a": Decimal(1), "b": "text"},
}
SMALL = Limits(max_steps=5_000, max_collection=2_000, max_string=10_000, max_exponent=200)


def _evaluate(source: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(ExpressionError):
        evaluate_text(source, VARIABLES, limits=SMALL)
    assert time.perf_counter() - started < 2.0, source


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map(" ".join))
def test_token_soup_only_raises_engine_errors(source: str) -> None:
    _evaluate(source)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_only_raises_engine_errors(source: str) -> None:
    _evaluate(source)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_ranges_and_loops_are_bounded(a: int, b: int) -> None:
    _evaluate(f"for i in {a}..{b} return i * 2")
    _evaluate(f"count([{a}..{b}])")
    _evaluate(f"sum(for i in 1..{b % 10_000} return i)")
