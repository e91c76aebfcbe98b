"""Refuse regular expressions that could backtrack for seconds inside a workflow task.

Python's ``re`` has no timeout. Patterns are therefore checked before they run: nested
quantifiers over groups that themselves repeat or alternate (``(a+)+``, ``(a|aa)*``),
back-references and lookaround are refused, and the remaining patterns get a cost
estimate (subject length to the power of their unbounded quantifiers, times the
alternatives) that must stay below :data:`MAX_REGEX_COST` (about 0.1 s of work). Both
FEEL (``matches``, ``replace``, ``split``, ``extract``) and JUEL use it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from expressions.errors import LimitExceeded

MAX_REGEX_LENGTH = 500
MAX_REGEX_SUBJECT = 100_000
MAX_REGEX_COST = 20_000_000


class RegexRefused(ValueError):
    """The pattern's shape could backtrack exponentially (or uses unsupported syntax)."""


@dataclass(frozen=True)
class Shape:
    """Backtracking cost of a pattern: every unbounded quantifier (``*``, ``+``,
    ``{n,}``) may try each position of the subject, every ``?`` or ``|`` doubles it."""

    unbounded: int
    factor: int

    def cost(self, subject_length: int, search: bool) -> int:
        positions = subject_length + 1
        return int(self.factor * positions ** (self.unbounded + (1 if search else 0)))


def quantifier(pattern: str, i: int) -> tuple[int, int, int] | None:
    """The quantifier starting at ``i`` as (end offset, unbounded count, factor)."""
    q = pattern[i]
    if q in "*+":
        end, unbounded, factor = i + 1, 1, 1
    elif q == "?":
        end, unbounded, factor = i + 1, 0, 2
    else:
        close = pattern.find("}", i)
        body = pattern[i + 1 : close] if close > 0 else ""
        match = re.fullmatch(r"(\d*)(,(\d*))?", body) if body else None
        if match is None or (not match[1] and match[2] is None):
            return None  # a literal '{'
        end = close + 1
        low = int(match[1][:6]) if match[1] else 0
        if match[2] is None:
            unbounded, factor = 0, 1
        elif not match[3]:
            unbounded, factor = 1, 1
        else:
            span = int(match[3][:6]) - low + 1
            unbounded, factor = (0, max(span, 1)) if span <= 1000 else (1, 1)
    if end < len(pattern) and pattern[end] in "?+":
        end += 1
    return end, unbounded, factor


@functools.lru_cache(maxsize=512)
def shape(pattern: str) -> Shape:
    """The cost shape of ``pattern``; raises :class:`RegexRefused` for risky shapes."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise RegexRefused(f"a regular expression longer than {MAX_REGEX_LENGTH} characters")
    groups: list[bool] = []  # per open group: it contains a quantifier or a '|'
    unbounded = 0
    factor = 1
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        risky_atom = False
        if c == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if (nxt.isdigit() and nxt != "0") or nxt == "k":
                raise RegexRefused("back-references are not supported in regular expressions")
            i += 2
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
        elif c == "(":
            if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
                raise RegexRefused("lookaround is not supported in regular expressions")
            groups.append(False)
            i += 1
            continue
        elif c == ")":
            risky_atom = groups.pop() if groups else False
            i += 1
        elif c == "|":
            factor = min(factor * 2, MAX_REGEX_COST + 1)
            if groups:
                groups[-1] = True
            i += 1
            continue
        else:
            i += 1
        found = quantifier(pattern, i) if i < n and pattern[i] in "*+?{" else None
        if found is not None:
            i, more_unbounded, more_factor = found
            if risky_atom:
                raise RegexRefused("nested quantifiers are not supported in regular expressions")
            unbounded += more_unbounded
            factor = min(factor * more_factor, MAX_REGEX_COST + 1)
            if groups:
                groups[-1] = True
    return Shape(unbounded, factor)


def check(pattern: str, subject_length: int, *, search: bool) -> None:
    """Raise unless ``pattern`` can safely run on a subject of ``subject_length``."""
    if subject_length > MAX_REGEX_SUBJECT:
        raise LimitExceeded(
            f"regular expressions run on strings of at most {MAX_REGEX_SUBJECT} characters"
        )
    if shape(pattern).cost(subject_length, search) > MAX_REGEX_COST:
        raise LimitExceeded(
            f"the regular expression {pattern!r} may backtrack too much on a string of "
            f"{subject_length} characters"
        )
