"""The few JavaScript value semantics LetsFlow's output depends on.

Scenario ids and event hashes are digests of JSON written by JavaScript, and the YAML
helper tags coerce text the way JavaScript's ``Number()`` does. To produce byte-identical
digests and the same documents we reproduce exactly those rules here, and nothing more.
"""

from __future__ import annotations

import math
import re
from typing import Any

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RADIX = {"0x": 16, "0o": 8, "0b": 2}
# JavaScript's String.prototype.trim whitespace (WhiteSpace + LineTerminator).
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501


def number_to_string(value: float) -> str:
    """``String(value)`` for a finite JavaScript number (ECMAScript Number::toString).

    Python's ``repr`` already yields the shortest digits that round-trip, as JavaScript
    does; only the layout differs: JavaScript writes ``1`` (not ``1.0``), ``0.000001``
    (not ``1e-06``), ``1e+21`` and ``1.5e-7`` (not ``1.5e-07``).
    """
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(float(value))).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    # position of the decimal point relative to the start of `digits`
    point = len(whole) + (int(exp_text) if exp_text else 0)
    point -= len(whole + frac) - len((whole + frac).lstrip("0"))
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = ("+" if e >= 0 else "-") + str(abs(e))
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + exp
    return sign + text


def parse_number(text: str) -> int | float | None:
    """JavaScript ``Number(text)``, or None where it gives ``NaN`` (or a non-finite value).

    Integral results come back as :class:`int`, because JavaScript has one number type
    and LetsFlow tells integers apart with ``Number.isInteger``.
    """
    s = text.strip(_JS_SPACE)
    if s == "":
        return 0
    prefix = s[:2].lower()
    if prefix in _RADIX:
        try:
            return int(s[2:], _RADIX[prefix]) if "_" not in s else None
        except ValueError:
            return None
    if not _DECIMAL.fullmatch(s):
        return None
    value = float(s)
    if not math.isfinite(value):
        return None
    if value.is_integer():
        return int(value)
    return value


def typeof(value: Any) -> str:
    """The JSON Schema type name of a JSON value (``typeof``, but with null and array)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def truthy(value: Any) -> bool:
    """JavaScript truthiness: empty objects and arrays are true, unlike in Python."""
    if isinstance(value, dict | list | tuple):
        return True
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def object_key(key: Any) -> str:
    """The property name JavaScript uses for a YAML mapping key (the ``yaml`` package's rule)."""
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        if math.isnan(key):
            return "NaN"
        if math.isinf(key):
            return "Infinity" if key > 0 else "-Infinity"
        return number_to_string(key)
    return str(key)


def utf16_order(text: str) -> bytes:
    """Sort key matching JavaScript's default string sort (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def set_default(target: dict[str, Any], key: str, value: Any) -> None:
    """``target[key] ??= value``: a missing *or null* entry gets ``value``.

    An existing key keeps its position in the mapping, a new one goes last, as with
    JavaScript objects; the normalized document's key order follows from this.
    """
    if target.get(key) is None:
        target[key] = value


def coalesce(value: Any, default: Any) -> Any:
    """``value ?? default``."""
    return default if value is None else value
