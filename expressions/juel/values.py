"""EL 2.2 type coercion and operators over Python values.

Variables arrive as JSON-like Python values; this module maps them onto the Java types
the EL specification (JSR 245, sections 1.7, 1.8 and 1.18) reasons about:

==================  =====================================================================
Python              Java type in the EL rules
==================  =====================================================================
``None``            ``null``
``bool``            ``Boolean`` (never a number: ``true + 1`` is an error, as in Java)
``int``             ``Long`` inside the 64-bit range (arithmetic wraps like Java),
                    ``BigInteger`` outside it
``float``           ``Double`` (``1/0`` is ``Infinity``, ``0/0`` is ``NaN``)
``Decimal``         ``BigDecimal``
``str``             ``String``
``list``/``dict``   ``List``/``Map``
==================  =====================================================================

Two deliberate deviations from BigDecimal, because in this system a ``Decimal`` usually
stands for a JSON number that Camunda would have held as a ``Double``: ``==`` compares
decimals numerically (``1.50 == 1.5``; ``BigDecimal.equals`` would say false), and ``/``
keeps 34 significant digits instead of the dividend's scale.

Functions raise :class:`Fault` (no position); the evaluator turns it into an
``EvaluationError`` that points at the operator's node.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from decimal import Decimal
from typing import Any

from expressions.errors import LimitExceeded
from expressions.juel.context import ExecutionContext, JuelDateTime, TaskContext
from expressions.limits import Budget

LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1
INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1

#: Integers past this many bits are refused: it keeps BigInteger arithmetic cheap and
#: below Python's 4300-digit limit on ``str(int)``.
MAX_INT_BITS = 14_000

DECIMAL = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_UP,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

_LONG_RE = re.compile(r"[+-]?[0-9]+")
_DOUBLE_RE = re.compile(
    r"\s*[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)\s*"
)
_BIGDECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Fault(Exception):
    """An EL evaluation error (Java's ``ELException``) not yet tied to a position."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def type_name(value: Any) -> str:
    """The Java-ish type name used in error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long" if LONG_MIN <= value <= LONG_MAX else "BigInteger"
    names = {float: "Double", Decimal: "BigDecimal", str: "String", list: "List", dict: "Map"}
    return names.get(type(value), type(value).__name__)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}' (String)"
    return type_name(value)


def wrap_long(x: int) -> int:
    """Two's-complement wrap to 64 bits, like Java ``long`` arithmetic."""
    return ((x - LONG_MIN) & 0xFFFF_FFFF_FFFF_FFFF) + LONG_MIN


def wrap_int(x: int) -> int:
    return ((x - INT_MIN) & 0xFFFF_FFFF) + INT_MIN


def _check_bits(x: int) -> int:
    if x.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"an integer of more than {MAX_INT_BITS} bits exceeds the limit")
    return x


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """The EL coercion class of a value: which rule of section 1.7/1.8 applies."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long" if LONG_MIN <= value <= LONG_MAX else "biginteger"
    if isinstance(value, float):
        return "double"
    if isinstance(value, Decimal):
        return "bigdecimal"
    if isinstance(value, str):
        return "floatstring" if ("." in value or "e" in value or "E" in value) else "string"
    return "other"


# -- coercions (EL 2.2 section 1.18) ----------------------------------------------------


def to_boolean(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise Fault(f"cannot coerce {_describe(value)} to Boolean")


def _java_double_parse(text: str) -> float:
    if not _DOUBLE_RE.fullmatch(text):
        raise Fault(f"cannot coerce {_describe(text)} to Double")
    cleaned = text.strip().rstrip("fFdD")
    if cleaned.lstrip("+-") == "Infinity":
        return -math.inf if cleaned.startswith("-") else math.inf
    return float(cleaned)


def to_double(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise Fault("cannot coerce Boolean to Double")
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal) and value.is_snan():
        return math.nan  # Java's BigDecimal has no signalling NaN: a quiet one
    if isinstance(value, int | Decimal):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        return _java_double_parse(value)
    raise Fault(f"cannot coerce {_describe(value)} to Double")


def _decimal_to_int(value: Decimal) -> int:
    if not value.is_finite():
        raise Fault(f"cannot coerce BigDecimal {value} to an integer")
    if value.adjusted() > MAX_INT_BITS // 3:
        raise LimitExceeded("a number is too large to convert to an integer")
    return int(value)


def to_biginteger(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise Fault("cannot coerce Boolean to BigInteger")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Fault(f"cannot coerce {java_double_str(value)} to BigInteger")
        return int(value)
    if isinstance(value, Decimal):
        return _decimal_to_int(value)
    if isinstance(value, str):
        if not _LONG_RE.fullmatch(value):
            raise Fault(f"cannot coerce {_describe(value)} to BigInteger")
        try:
            return _check_bits(int(value))
        except ValueError:
            raise LimitExceeded("an integer literal is too long") from None
    raise Fault(f"cannot coerce {_describe(value)} to BigInteger")


def to_long(value: Any) -> int:
    """Coercion to ``Long``: numbers narrow like Java's ``longValue()``; strings must be
    an in-range integer (``Long.valueOf``)."""
    if isinstance(value, str) and value != "":
        n = to_biginteger(value)
        if not LONG_MIN <= n <= LONG_MAX:
            raise Fault(f"cannot coerce {_describe(value)} to Long: out of range")
        return n
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        if math.isinf(value):
            return LONG_MAX if value > 0 else LONG_MIN
        return max(LONG_MIN, min(LONG_MAX, int(value)))
    return wrap_long(to_biginteger(value))


def to_int(value: Any) -> int:
    """Coercion to a Java ``int`` parameter (method arguments such as ``substring``)."""
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        return (
            max(INT_MIN, min(INT_MAX, int(value)))
            if math.isfinite(value)
            else (INT_MAX if value > 0 else INT_MIN)
        )
    if isinstance(value, str) and value != "":
        n = to_biginteger(value)
        if not INT_MIN <= n <= INT_MAX:
            raise Fault(f"cannot coerce {_describe(value)} to Integer: out of range")
        return n
    return wrap_int(to_biginteger(value))


def to_bigdecimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise Fault("cannot coerce Boolean to BigDecimal")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Fault(f"cannot coerce {java_double_str(value)} to BigDecimal")
        return Decimal(repr(value))
    if isinstance(value, str):
        if not _BIGDECIMAL_RE.fullmatch(value):
            raise Fault(f"cannot coerce {_describe(value)} to BigDecimal")
        return Decimal(value)
    raise Fault(f"cannot coerce {_describe(value)} to BigDecimal")


def to_string(value: Any, budget: Budget) -> str:
    """Coercion to ``String`` (section 1.18.2): ``null`` is the empty string."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    out = _Text(budget)
    _append_str(value, out, 0)
    return "".join(out.parts)


def java_double_str(x: float) -> str:
    """``Double.toString``: ``1.0``, ``2.5``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        text = repr(x)
        return text if "." in text else text + ".0"
    sign, digits, _ = Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exponent = Decimal(repr(x)).adjusted()
    return f"{'-' if sign else ''}{ds[0]}.{ds[1:] or '0'}E{exponent}"


class _Text:
    """A string being built, with its running length checked against the budget."""

    __slots__ = ("budget", "parts", "size")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.size += len(piece)
        self.budget.string(self.size)


def _append_str(value: Any, out: _Text, depth: int) -> None:
    """Java ``toString`` of a value, appended piecewise so big collections are charged
    against the budget as they are rendered."""
    budget = out.budget
    budget.step()
    if depth > budget.limits.max_depth:
        raise LimitExceeded("a value is nested too deeply to convert to a string")
    if value is None:
        out.add("null")
    elif isinstance(value, str):
        out.add(value)
    elif isinstance(value, bool):
        out.add("true" if value else "false")
    elif isinstance(value, int):
        try:
            out.add(str(value))
        except ValueError:
            raise LimitExceeded("an integer is too large to convert to a string") from None
    elif isinstance(value, float):
        out.add(java_double_str(value))
    elif isinstance(value, Decimal):
        out.add(str(value))
    elif isinstance(value, list | tuple):
        budget.collection(len(value))
        out.add("[")
        for i, item in enumerate(value):
            if i:
                out.add(", ")
            _append_str(item, out, depth + 1)
        out.add("]")
    elif isinstance(value, dict):
        budget.collection(len(value))
        out.add("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.add(", ")
            _append_str(k, out, depth + 1)
            out.add("=")
            _append_str(v, out, depth + 1)
        out.add("}")
    elif isinstance(value, dt.datetime | dt.date):
        out.add(value.isoformat())
    else:
        known = isinstance(value, ExecutionContext | TaskContext | JuelDateTime)
        out.add(value.juel_string() if known else f"<{type(value).__name__}>")


# -- operators (EL 2.2 sections 1.7 and 1.8) -----------------------------------------


def _double_divide(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``+``, ``-``, ``*``, ``/`` and ``%`` with the coercions of section 1.7."""
    if a is None and b is None:
        return 0
    kinds = {_kind(a), _kind(b)}
    try:
        if op == "/":
            if kinds & {"bigdecimal", "biginteger"}:
                x, y = to_bigdecimal(a), to_bigdecimal(b)
                if y == 0:
                    raise Fault("division by zero")
                return DECIMAL.divide(x, y)
            return _double_divide(to_double(a), to_double(b))
        if op == "%":
            if kinds & {"bigdecimal", "double", "floatstring"}:
                f, g = to_double(a), to_double(b)
                if g == 0 or math.isinf(f) or math.isnan(f) or math.isnan(g):
                    return math.nan
                return math.fmod(f, g)
            big = "biginteger" in kinds
            p, q = (to_biginteger(a), to_biginteger(b)) if big else (to_long(a), to_long(b))
            if q == 0:
                raise Fault("division by zero in '%'")
            r = abs(p) % abs(q)
            return -r if p < 0 else r
        if "bigdecimal" in kinds or (kinds & {"double", "floatstring"} and "biginteger" in kinds):
            x, y = to_bigdecimal(a), to_bigdecimal(b)
            if op == "+":
                return DECIMAL.add(x, y)
            if op == "-":
                return DECIMAL.subtract(x, y)
            return DECIMAL.multiply(x, y)
        if kinds & {"double", "floatstring"}:
            f, g = to_double(a), to_double(b)
            if op == "+":
                return f + g
            if op == "-":
                return f - g
            return f * g
        big = "biginteger" in kinds
        p, q = (to_biginteger(a), to_biginteger(b)) if big else (to_long(a), to_long(b))
        if op == "+":
            r = p + q
        elif op == "-":
            r = p - q
        else:
            r = p * q
        return _check_bits(r) if big else wrap_long(r)
    except decimal.DecimalException as exc:
        raise Fault(f"decimal arithmetic failed: {type(exc).__name__}") from None


def negate(a: Any) -> Any:
    """Unary minus (section 1.7.4)."""
    if a is None:
        return 0
    if isinstance(a, str):
        if _kind(a) == "floatstring":
            return -to_double(a)
        return wrap_long(-to_long(a))
    if isinstance(a, bool):
        raise Fault("cannot negate a Boolean")
    if isinstance(a, int):
        return wrap_long(-a) if LONG_MIN <= a <= LONG_MAX else -a
    if isinstance(a, float):
        return -a
    if isinstance(a, Decimal):
        return a.copy_negate()
    raise Fault(f"cannot negate {_describe(a)}")


def compare_values(a: Any, b: Any, budget: Budget) -> int:
    """-1, 0 or 1 per the coercions of section 1.8.1 (callers handle ``null``)."""
    kinds = {_kind(a), _kind(b)}
    x: Any
    y: Any
    if "bigdecimal" in kinds:
        x, y = to_bigdecimal(a), to_bigdecimal(b)
        if x.is_nan() or y.is_nan():
            raise Fault("cannot compare NaN")
    elif kinds & {"double"}:
        x, y = to_double(a), to_double(b)
        if math.isnan(x) or math.isnan(y):
            return 2  # unordered: every relational operator is false, as in Java
    elif "biginteger" in kinds:
        x, y = to_biginteger(a), to_biginteger(b)
    elif "long" in kinds:
        x, y = to_long(a), to_long(b)
    elif kinds & {"string", "floatstring"}:
        x, y = to_string(a, budget), to_string(b, budget)
        if max(map(ord, x), default=0) > 0xFFFF or max(map(ord, y), default=0) > 0xFFFF:
            x, y = x.encode("utf-16-be"), y.encode("utf-16-be")  # Java compares UTF-16 units
    elif type(a) is type(b) and isinstance(a, bool | dt.datetime | dt.date):
        x, y = a, b
    else:
        raise Fault(f"cannot compare {_describe(a)} with {_describe(b)}")
    try:
        return -1 if x < y else (1 if x > y else 0)
    except TypeError:
        raise Fault(f"cannot compare {_describe(a)} with {_describe(b)}") from None


def relational(op: str, a: Any, b: Any, budget: Budget) -> bool:
    """``<``, ``>``, ``<=``, ``>=``: ``null`` on either side gives false (section 1.8.1)."""
    if a is b and not isinstance(a, float):  # NaN is unordered even with itself
        return op in ("<=", ">=")
    if a is None or b is None:
        return False
    c = compare_values(a, b, budget)
    if c == 2:
        return False
    if op == "<":
        return c < 0
    if op == ">":
        return c > 0
    if op == "<=":
        return c <= 0
    return c >= 0


def equals(a: Any, b: Any, budget: Budget) -> bool:
    """``==`` with the coercions of section 1.8.2."""
    if a is b and not isinstance(a, float):  # NaN != NaN
        return True
    if a is None or b is None:
        return False
    kinds = {_kind(a), _kind(b)}
    if "bigdecimal" in kinds:
        x, y = to_bigdecimal(a), to_bigdecimal(b)
        return bool(x.compare(y) == 0) if not (x.is_nan() or y.is_nan()) else False
    if "double" in kinds:
        return to_double(a) == to_double(b)
    if "biginteger" in kinds:
        return to_biginteger(a) == to_biginteger(b)
    if "long" in kinds:
        return to_long(a) == to_long(b)
    if "boolean" in kinds:
        return to_boolean(a) == to_boolean(b)
    if kinds & {"string", "floatstring"}:
        return to_string(a, budget) == to_string(b, budget)
    budget.step()
    try:
        return bool(a == b)
    except RecursionError:
        raise LimitExceeded("values are nested too deeply to compare") from None


def is_empty(value: Any) -> bool:
    """The ``empty`` operator (section 1.10)."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False
