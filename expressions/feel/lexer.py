"""FEEL tokens. Names are single words here; the parser joins words into multi-word names
(``Full Name``, ``date and time``) because only it knows where a name can stand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from expressions.errors import ExpressionSyntaxError

KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "instance",
        "of",
        "between",
        "for",
        "return",
        "if",
        "then",
        "else",
        "some",
        "every",
        "satisfies",
        "function",
        "null",
        "true",
        "false",
        "external",
    }
)

# Longest first, so "**" wins over "*" and "<=" over "<".
SYMBOLS = (
    "..",
    "**",
    "<=",
    ">=",
    "!=",
    "->",
    "+",
    "-",
    "*",
    "/",
    "=",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "?",
    "@",
)


@dataclass(frozen=True)
class Token:
    kind: str  # "number" | "string" | "name" | "symbol" | "eof"
    text: str
    position: int
    value: object = None
    space_before: bool = False


_NAME_START_EXTRA = "_?"
_NAME_PART_EXTRA = "_'"


def _digit(ch: str) -> bool:
    """ASCII digits only: "²" or "٣" are not part of FEEL numbers."""
    return "0" <= ch <= "9"


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() or ch in _NAME_START_EXTRA or (ord(ch) > 0x7F and not ch.isspace())


def _is_name_part(ch: str) -> bool:
    return _is_name_start(ch) or _digit(ch) or ch in _NAME_PART_EXTRA


# DMN 1.4 string escapes; any other backslash stays as written ("\d" in a regex).
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


def _string(source: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(source):
        ch = source[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(source):
                code = int(source[i + 2 : i + 6], 16)
                i += 6
                # a UTF-16 surrogate pair written as two \u escapes
                if 0xD800 <= code <= 0xDBFF and source[i : i + 2] == "\\u":
                    low = int(source[i + 2 : i + 6], 16)
                    if 0xDC00 <= low <= 0xDFFF:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                out.append(chr(code))
                continue
            if nxt == "U" and i + 8 <= len(source):
                # DMN 1.5: \U followed by six hex digits (a full code point)
                out.append(chr(int(source[i + 2 : i + 8], 16)))
                i += 8
                continue
            out.append(ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ExpressionSyntaxError("unterminated string literal", source=source, position=start)


def _checked_string(source: str, start: int) -> tuple[str, int]:
    try:
        return _string(source, start)
    except (ValueError, OverflowError) as exc:  # bad \u / \U escapes
        raise ExpressionSyntaxError(
            f"invalid escape in string literal: {exc}", source=source, position=start
        ) from exc


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    space = False
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            space = True
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            space = True
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ExpressionSyntaxError("unterminated comment", source=source, position=i)
            i = end + 2
            space = True
            continue
        start = i
        if _digit(ch) or (ch == "." and i + 1 < n and _digit(source[i + 1])):
            while i < n and _digit(source[i]):
                i += 1
            if i < n and source[i] == "." and i + 1 < n and _digit(source[i + 1]):
                i += 1
                while i < n and _digit(source[i]):
                    i += 1
            if (
                i < n
                and source[i] in "eE"
                and (
                    (i + 1 < n and _digit(source[i + 1]))
                    or (i + 2 < n and source[i + 1] in "+-" and _digit(source[i + 2]))
                )
            ):
                i += 2
                while i < n and _digit(source[i]):
                    i += 1
            text = source[start:i]
            tokens.append(Token("number", text, start, Decimal(text), space))
        elif ch == '"':
            value, i = _checked_string(source, i)
            tokens.append(Token("string", source[start:i], start, value, space))
        elif _is_name_start(ch):
            while i < n and _is_name_part(source[i]):
                i += 1
            tokens.append(Token("name", source[start:i], start, None, space))
        else:
            for symbol in SYMBOLS:
                if source.startswith(symbol, i):
                    tokens.append(Token("symbol", symbol, start, None, space))
                    i += len(symbol)
                    break
            else:
                raise ExpressionSyntaxError(
                    f"unexpected character {ch!r}", source=source, position=start
                )
        space = False
    tokens.append(Token("eof", "", n, None, space))
    return tokens
