"""Tokens of the inside of one JUEL ``${...}`` / ``#{...}`` block.

The lexer is pull-based: the parser asks for one token at a time from an absolute offset
in the whole source text, so positions in errors always point into the text the user
wrote (an attribute value of a BPMN diagram), not into a fragment. The composite text
around the blocks (``Hello ${name}!``) is scanned by the parser itself; the lexer only
ever sees the expression part and reports the closing ``}`` as an ``end`` token, because
JUEL (EL 2.2) has no braces inside expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from expressions.errors import ExpressionSyntaxError

TokenKind = Literal["int", "float", "string", "ident", "keyword", "op", "end", "eof"]

#: Word operators and literals of EL 2.2 (section 1.17); ``instanceof`` is reserved and
#: may not be used as an identifier. The value is the canonical symbol the parser uses.
KEYWORDS: dict[str, str] = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
    "true": "true",
    "false": "false",
    "null": "null",
    "instanceof": "instanceof",
}

_TWO_CHAR_OPS = frozenset({"&&", "||", "==", "!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset("+-*/%!<>?:()[].,")
_STRING_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    #: Canonical text: the operator symbol, keyword symbol, identifier name, decoded
    #: string content, or the digits of a number.
    value: str
    pos: int


def _is_ident_start(c: str) -> bool:
    # Java's Character.isJavaIdentifierStart, close enough: letters, '_' and '$'.
    return c.isalpha() or c == "_" or c == "$"


def _is_ident_part(c: str) -> bool:
    return c.isalnum() or c == "_" or c == "$"


class Lexer:
    """Reads tokens from ``source`` starting at an offset; see the module docstring."""

    __slots__ = ("pos", "source")

    def __init__(self, source: str, pos: int) -> None:
        self.source = source
        self.pos = pos

    def error(self, message: str, pos: int) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, source=self.source, position=pos)

    def next(self) -> Token:
        src = self.source
        n = len(src)
        i = self.pos
        while i < n and src[i] in " \t\r\n\f":
            i += 1
        if i >= n:
            self.pos = i
            return Token("eof", "", i)
        c = src[i]
        if c == "}":
            self.pos = i + 1
            return Token("end", "}", i)
        if (c.isascii() and c.isdigit()) or (
            c == "." and i + 1 < n and src[i + 1].isascii() and src[i + 1].isdigit()
        ):
            return self._number(i)
        if c == "'" or c == '"':
            return self._string(i)
        if _is_ident_start(c):
            j = i + 1
            while j < n and _is_ident_part(src[j]):
                j += 1
            word = src[i:j]
            self.pos = j
            if word in KEYWORDS:
                return Token("keyword", KEYWORDS[word], i)
            return Token("ident", word, i)
        two = src[i : i + 2]
        if two in _TWO_CHAR_OPS:
            self.pos = i + 2
            return Token("op", two, i)
        if c in _ONE_CHAR_OPS:
            self.pos = i + 1
            return Token("op", c, i)
        if c == "=":
            raise self.error("'=' is not an operator in JUEL (use '==' or 'eq')", i)
        if c == "{":
            raise self.error("'{' is not allowed inside an expression", i)
        raise self.error(f"unexpected character {c!r}", i)

    def _digits(self, i: int) -> int:
        src = self.source
        while i < len(src) and src[i].isascii() and src[i].isdigit():
            i += 1
        return i

    def _number(self, start: int) -> Token:
        """Integer ``[0-9]+`` or float ``[0-9]+.[0-9]*exp?``, ``.[0-9]+exp?``,
        ``[0-9]+exp`` (EL 2.2 section 1.19 ``FloatingPointLiteral``)."""
        src = self.source
        n = len(src)
        i = self._digits(start)
        is_float = False
        if i < n and src[i] == ".":
            is_float = True
            i = self._digits(i + 1)
        if i < n and src[i] in "eE":
            j = i + 1
            if j < n and src[j] in "+-":
                j += 1
            k = self._digits(j)
            if k == j:
                raise self.error("malformed exponent in number", i)
            is_float = True
            i = k
        self.pos = i
        return Token("float" if is_float else "int", src[start:i], start)

    def _string(self, start: int) -> Token:
        src = self.source
        quote = src[start]
        out: list[str] = []
        i = start + 1
        n = len(src)
        while i < n:
            c = src[i]
            if c == quote:
                self.pos = i + 1
                return Token("string", "".join(out), start)
            if c == "\\":
                if i + 1 >= n:
                    break
                esc = src[i + 1]
                if esc not in _STRING_ESCAPES:
                    raise self.error(
                        f"invalid escape '\\{esc}' in string (only \\\\, \\' and \\\" exist)", i
                    )
                out.append(_STRING_ESCAPES[esc])
                i += 2
                continue
            out.append(c)
            i += 1
        raise self.error("unterminated string literal", start)
