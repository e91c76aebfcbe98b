"""Run FEEL cases in the flattened DMN TCK format (``baton feel-tck``).

Each case is one expression, its variables and the expected value (encoding in
../shared/corpora/feel-tck/README.md). A case passes when the result, after the DMN
coercion to the decision's ``typeRef``, equals the expected value with the same type.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from expressions.errors import ExpressionError
from expressions.feel import temporal
from expressions.feel.evaluator import evaluate_source
from expressions.feel.values import FeelRange, equals, type_name

_TYPED = {
    "date": temporal.parse_date,
    "time": temporal.parse_time,
    "dateTime": temporal.parse_date_and_time,
    "duration": temporal.parse_duration,
}

#: DMN typeRef → FEEL type name, for the coercion DMN applies to a decision's result.
_TYPEREFS = {
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "dateTime": "date and time",
    "date and time": "date and time",
    "dayTimeDuration": "days and time duration",
    "days and time duration": "days and time duration",
    "yearMonthDuration": "years and months duration",
    "years and months duration": "years and months duration",
    "context": "context",
}


def decode(value: Any) -> Any:
    """TCK JSON encoding → FEEL value."""
    if isinstance(value, dict):
        if set(value) == {"type", "value"} and value["type"] in _TYPED:
            return _TYPED[value["type"]](str(value["value"]))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def coerce(value: Any, type_ref: str | None) -> Any:
    """DMN result coercion: singleton lists unwrap; a value of another type becomes null."""
    expected = _TYPEREFS.get(type_ref or "")
    if expected is None:
        return value
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or type_name(value) == expected:
        return value
    return None


def same(result: Any, expected: Any) -> bool:
    """Equal and of the same FEEL type, recursively (a date is not a date-time)."""
    if expected is None or result is None:
        return expected is None and result is None
    if type_name(result) != type_name(expected):
        return False
    if isinstance(expected, list):
        return len(result) == len(expected) and all(
            same(r, e) for r, e in zip(result, expected, strict=True)
        )
    if isinstance(expected, dict):
        return result.keys() == expected.keys() and all(
            same(result[k], expected[k]) for k in expected
        )
    if isinstance(expected, dt.time | dt.datetime) and not temporal.is_temporal(result):
        return False
    if isinstance(expected, FeelRange):
        return equals(result, expected) is True
    if isinstance(expected, Decimal) and isinstance(result, Decimal) and result != expected:
        return _rounded_equal(result, expected)
    return equals(result, expected) is True


def _rounded_equal(result: Decimal, expected: Decimal) -> bool:
    """Many TCK expectations are printed with fewer digits than FEEL's 34 (``exp(4)`` is
    given as 54.59815003): equal when the result rounds to the expected digits."""
    exponent = expected.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return False
    try:
        return result.quantize(Decimal(1).scaleb(exponent)) == expected
    except ArithmeticError:
        return False


@dataclass
class CaseResult:
    id: str
    expression: str
    expected: Any
    actual: Any
    passed: bool
    error: str | None = None
    tags: list[str] = field(default_factory=list)


class BadCase(ValueError):
    """A line of the cases file that is not a case: names the file and line."""


#: what every case line must carry
REQUIRED = ("id", "expression", "expected")


def load(path: Path) -> Iterator[dict[str, Any]]:
    """The cases of a JSON-lines file; a line that is not a case raises ``BadCase``."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line, parse_float=Decimal, parse_int=Decimal)
            except ValueError as exc:
                raise BadCase(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(case, dict):
                raise BadCase(f"{path}:{number}: a case is a JSON object")
            missing = [key for key in REQUIRED if key not in case]
            if missing:
                raise BadCase(f"{path}:{number}: the case has no {', '.join(missing)}")
            yield case


def run_case(case: dict[str, Any], now: dt.datetime) -> CaseResult:
    error = None
    try:
        expected = decode(case["expected"])
    except Exception as exc:
        expected = case["expected"]
        error = f"crash decoding the expected value: {exc!r}"
    try:
        context = decode(case.get("context") or {})
        outcome = evaluate_source(case["expression"], context, now=now)
        actual = coerce(outcome.value, case.get("typeRef"))
        if outcome.warnings and actual is None:
            error = "; ".join(outcome.warnings[:3])
    except ExpressionError as exc:
        actual, error = None, error or f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        actual, error = None, f"crash {type(exc).__name__}: {exc}"
    passed = same(actual, expected) and not (error or "").startswith("crash")
    return CaseResult(
        id=case["id"],
        expression=case["expression"],
        expected=expected,
        actual=actual,
        passed=passed,
        error=error,
        tags=list(case.get("tags", [])),
    )


@dataclass
class Summary:
    passed: int = 0
    failed: int = 0
    non_null_passed: int = 0
    non_null: int = 0
    crashed: int = 0
    c8_passed: int = 0
    c8_total: int = 0

    def add(self, result: CaseResult) -> None:
        self.passed += result.passed
        self.failed += not result.passed
        if result.expected is not None:
            self.non_null += 1
            self.non_null_passed += result.passed
        if result.error and result.error.startswith("crash"):
            self.crashed += 1
        if "ref:c8-pass" in result.tags:
            self.c8_total += 1
            self.c8_passed += result.passed

    def closing_line(self) -> str:
        return (
            f"feel-tck: {self.passed} passed, {self.failed} failed "
            f"(non-null: {self.non_null_passed} of {self.non_null})"
        )


def run(cases: Iterable[dict[str, Any]], now: dt.datetime | None = None) -> Iterator[CaseResult]:
    moment = now or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for case in cases:
        yield run_case(case, moment)
