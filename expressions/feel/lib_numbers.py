"""FEEL numeric functions (DMN 1.5 §10.3.4.5).

All results are computed in :data:`values.DECIMAL` (34 digits, half-even) unless the
function names another rounding mode. ``random number`` is deliberately absent: workflow
code must be deterministic.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from expressions.feel import temporal
from expressions.feel.functions import builtin
from expressions.feel.values import DECIMAL

# Scales the spec allows: the exponent range of IEEE 754 decimal128.
_MIN_SCALE = -6111
_MAX_SCALE = 6176


def _number(value: Any) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError("expected a number")
    return value


def _scale(value: Any) -> int:
    scale = int(_number(value))  # the spec truncates a non-integer scale
    if not _MIN_SCALE <= scale <= _MAX_SCALE:
        raise ValueError(f"scale {scale} out of range")
    return scale


def _round(n: Any, scale: Any, rounding: str) -> Decimal:
    number = _number(n)
    places = _scale(scale)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        return number  # already has no more than ``places`` decimals
    quantum = Decimal((0, (1,), -places))
    context = DECIMAL.copy()
    context.rounding = rounding
    context.prec = DECIMAL.prec + 1
    result = number.quantize(quantum, context=context)
    if len(result.as_tuple().digits) > DECIMAL.prec:
        raise decimal.InvalidOperation("rounded result needs more than 34 digits")
    return result


@builtin("decimal", "n", "scale")
def decimal_(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, decimal.ROUND_HALF_EVEN)


@builtin("floor", "n", "scale?")
def floor(n: Any, scale: Any = Decimal(0)) -> Decimal:
    return _round(n, scale, decimal.ROUND_FLOOR)


@builtin("ceiling", "n", "scale?")
def ceiling(n: Any, scale: Any = Decimal(0)) -> Decimal:
    return _round(n, scale, decimal.ROUND_CEILING)


@builtin("round up", "n", "scale")
def round_up(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, decimal.ROUND_UP)


@builtin("round down", "n", "scale")
def round_down(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, decimal.ROUND_DOWN)


@builtin("round half up", "n", "scale")
def round_half_up(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, decimal.ROUND_HALF_UP)


@builtin("round half down", "n", "scale")
def round_half_down(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, decimal.ROUND_HALF_DOWN)


@builtin("abs", "n")
def abs_(n: Any) -> Any:
    if isinstance(n, Decimal):
        return DECIMAL.abs(n)
    if isinstance(n, temporal.DayTimeDuration):
        return n if n.seconds >= 0 else temporal.DayTimeDuration(-n.seconds)
    if isinstance(n, temporal.YearMonthDuration):
        return n if n.months >= 0 else temporal.YearMonthDuration(-n.months)
    raise TypeError("abs: expected a number or a duration")


@builtin("modulo", "dividend", "divisor")
def modulo(dividend: Any, divisor: Any) -> Decimal:
    """``dividend - divisor * floor(dividend / divisor)``: the result has the divisor's sign."""
    a, b = _number(dividend), _number(divisor)
    if b == 0:
        raise ZeroDivisionError("modulo by zero")
    try:
        remainder = DECIMAL.remainder(a, b)
    except decimal.InvalidOperation:
        # The integer quotient has more than 34 digits: compute the exact remainder.
        a_exp = a.as_tuple().exponent
        b_exp = b.as_tuple().exponent
        assert isinstance(a_exp, int) and isinstance(b_exp, int)
        digits = a.adjusted() - min(a_exp, b_exp) + 2
        wide = decimal.Context(prec=max(digits, DECIMAL.prec), Emax=DECIMAL.Emax, Emin=DECIMAL.Emin)
        remainder = wide.remainder(a, b)
    if remainder != 0 and (remainder < 0) != (b < 0):
        remainder = DECIMAL.add(remainder, b)
    return DECIMAL.plus(remainder)


@builtin("sqrt", "number")
def sqrt(number: Any) -> Decimal:
    value = _number(number)
    if value < 0:
        raise ValueError("sqrt of a negative number")
    return DECIMAL.sqrt(value)


@builtin("log", "number")
def log(number: Any) -> Decimal:
    value = _number(number)
    if value <= 0:
        raise ValueError("log of a number that is not positive")
    return DECIMAL.ln(value)


@builtin("exp", "number")
def exp(number: Any) -> Decimal:
    return DECIMAL.exp(_number(number))


def _parity(number: Any) -> int:
    value = _number(number)
    if value != value.to_integral_value():
        raise ValueError("odd/even of a non-integer")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return 0  # a multiple of 10
    return int(value) % 2


@builtin("odd", "number")
def odd(number: Any) -> bool:
    return _parity(number) == 1


@builtin("even", "number")
def even(number: Any) -> bool:
    return _parity(number) == 0
