"""FEEL conversion functions: ``number(from, grouping separator, decimal separator)``,
``string(from)`` and the three-valued ``not(negand)`` (DMN 1.5 §10.3.4.1-2)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from expressions.feel import temporal
from expressions.feel.functions import CallEnv, builtin
from expressions.feel.values import DECIMAL, FeelFunction, FeelRange

_GROUPING = frozenset({" ", ",", "."})
_DECIMAL_SEPARATORS = frozenset({",", "."})
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
_MAX_NUMBER_TEXT = 10_000


@builtin("number", "from", "grouping separator?", "decimal separator?")
def number(source: Any, grouping: Any = None, separator: Any = None) -> Decimal:
    if not isinstance(source, str):
        raise TypeError("number: from must be a string")
    if grouping is not None and grouping not in _GROUPING:
        raise ValueError("number: grouping separator must be space, comma or period")
    if separator is not None and separator not in _DECIMAL_SEPARATORS:
        raise ValueError("number: decimal separator must be comma or period")
    if grouping is not None and grouping == separator:
        raise ValueError("number: grouping and decimal separators must differ")
    text = source
    if len(text) > _MAX_NUMBER_TEXT:
        raise ValueError("number: text too long")
    if grouping is not None:
        text = text.replace(grouping, "")
    if separator is not None and separator != ".":
        if "." in text:
            raise ValueError("number: unexpected '.'")
        text = text.replace(separator, ".")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"number: {source!r} is not a number")
    return DECIMAL.plus(Decimal(text))


def format_number(value: Decimal) -> str:
    """A FEEL number as ``string()`` shows it: plain notation, never an exponent."""
    if value.is_zero():
        value = abs(value)
    return format(value, "f")


def _string_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r").replace("\t", "\\t") + '"'


def to_string(value: Any, env: CallEnv, *, nested: bool = False, depth: int = 0) -> str | None:
    """The text ``string(value)`` returns (``None`` when a value has no string form)."""
    if depth > env.budget.limits.max_depth:
        raise ValueError("string: value nested too deeply")
    if value is None:
        return "null" if nested else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int):
            env.budget.string(abs(exponent) + len(value.as_tuple().digits))
        return format_number(value)
    if isinstance(value, str):
        return _string_literal(value) if nested else value
    if isinstance(value, list):
        env.budget.collection(len(value))
        parts = [to_string(item, env, nested=True, depth=depth + 1) for item in value]
        if any(part is None for part in parts):
            return None
        return "[" + ", ".join(p for p in parts if p is not None) + "]"
    if isinstance(value, dict):
        env.budget.collection(len(value))
        entries: list[str] = []
        for key, item in value.items():
            text = to_string(item, env, nested=True, depth=depth + 1)
            if text is None:
                return None
            entries.append(f"{key}: {text}")
        return "{" + ", ".join(entries) + "}"
    if isinstance(value, FeelRange):
        return _range_string(value, env)
    if isinstance(value, FeelFunction):
        return None
    text = temporal.to_string(value)
    if text is not None and nested:
        return f'@"{text}"'
    return text


def _range_string(value: FeelRange, env: CallEnv) -> str | None:
    if value.start is None and value.end is None:
        return None
    if value.start is None:
        end = to_string(value.end, env, nested=True)
        return None if end is None else ("<= " if value.end_included else "< ") + end
    if value.end is None:
        start = to_string(value.start, env, nested=True)
        return None if start is None else (">= " if value.start_included else "> ") + start
    start = to_string(value.start, env, nested=True)
    end = to_string(value.end, env, nested=True)
    if start is None or end is None:
        return None
    opening = "[" if value.start_included else "("
    closing = "]" if value.end_included else ")"
    return f"{opening}{start}..{end}{closing}"


@builtin("string", "from")
def string(source: Any, *, env: CallEnv) -> str | None:
    text = to_string(source, env)
    if text is not None:
        env.budget.string(len(text))
    return text


@builtin("not", "negand")
def not_(negand: Any) -> bool | None:
    if isinstance(negand, bool):
        return not negand
    return None
