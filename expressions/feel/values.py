"""FEEL values as Python values: the one model every part of the engine shares.

=========================  ===========================================================
FEEL type                  Python representation
=========================  ===========================================================
null                       ``None``
boolean                    ``bool``
number                     ``decimal.Decimal`` (never int/float inside the engine;
                           :func:`to_feel` converts inputs at the boundary)
string                     ``str``
list                       ``list``
context                    ``dict[str, Any]`` (insertion-ordered)
date                       ``datetime.date`` (exactly ``date``, not ``datetime``)
time                       ``datetime.time`` (tzinfo: None, ``datetime.timezone`` offset
                           or ``zoneinfo.ZoneInfo``)
date and time              ``datetime.datetime`` (naive = no zone; aware = offset/zone)
days and time duration     :class:`temporal.DayTimeDuration`
years and months duration  :class:`temporal.YearMonthDuration`
range                      :class:`FeelRange`
function                   :class:`FeelFunction`
=========================  ===========================================================

Arithmetic on numbers uses :data:`DECIMAL` (34 significant digits, half-even: IEEE
754-2008 Decimal128, as the DMN spec requires).
"""

from __future__ import annotations

import decimal
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DECIMAL = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


@dataclass(frozen=True)
class FeelRange:
    """``[1..10]``, ``(a..b]``, and the open-ended ranges of unary tests (``< 5`` is
    ``FeelRange(None, 5, False, False)`` with ``start`` None meaning unbounded)."""

    start: Any
    end: Any
    start_included: bool
    end_included: bool


class FeelFunction(ABC):
    """A callable FEEL value: a built-in or a user-defined ``function(a, b) a + b``."""

    name: str = "anonymous"
    params: tuple[str, ...] = ()

    @abstractmethod
    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        """Call with positional or named arguments; returns a FEEL value (None on error)."""


def call(fn: Any, *args: Any) -> Any:
    """Call a FEEL function value with positional arguments (for built-ins like ``sort``)."""
    if not isinstance(fn, FeelFunction):
        return None
    return fn.invoke(list(args))


# ---------------------------------------------------------------- conversion


def to_feel(value: Any) -> Any:
    """Convert a Python/JSON value into the FEEL model (ints and floats become Decimal)."""
    if value is None or isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None  # NaN and infinities are not FEEL numbers
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_feel(v) for v in value]
    return value


def to_python(value: Any) -> Any:
    """Convert a FEEL value to the plain, JSON-friendly values process variables hold:
    integral numbers become (exact) ints, others floats; durations their ISO-8601 text;
    dates and times stay ``datetime`` values; ranges and functions have no JSON form and
    become None."""
    from expressions.feel import temporal

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, temporal.DayTimeDuration | temporal.YearMonthDuration):
        return temporal.to_string(value)
    if isinstance(value, FeelRange | FeelFunction):
        return None
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, Decimal)


def type_name(value: Any) -> str:
    """The FEEL type name, as ``instance of`` and error messages use it."""
    from expressions.feel import temporal

    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    temporal_kind = temporal.kind_name(value)
    if temporal_kind is not None:
        return temporal_kind
    if isinstance(value, FeelRange):
        return "range"
    if isinstance(value, FeelFunction):
        return "function"
    return "unknown"


# ------------------------------------------------------ equality and ordering


def equals(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: True/False, or None when the operands are not comparable."""
    from expressions.feel import temporal

    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            same = equals(x, y)
            if same is not True:
                return same
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        for key in a:
            same = equals(a[key], b[key])
            if same is not True:
                return same
        return True
    if isinstance(a, FeelRange) and isinstance(b, FeelRange):
        return (
            a.start_included == b.start_included
            and a.end_included == b.end_included
            and equals(a.start, b.start) is True
            and equals(a.end, b.end) is True
        )
    if temporal.is_temporal(a) and temporal.is_temporal(b):
        return temporal.equals(a, b)
    if isinstance(a, FeelFunction) and isinstance(b, FeelFunction):
        return a is b
    return None


def compare(a: Any, b: Any) -> int | None:
    """-1, 0, 1 for ``a`` before/equal/after ``b``; None when not ordered (→ null)."""
    from expressions.feel import temporal

    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    if temporal.is_temporal(a) and temporal.is_temporal(b):
        return temporal.compare(a, b)
    return None
