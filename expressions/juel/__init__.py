"""JUEL, the Java Unified Expression Language of Camunda 7 / EximeeBPMS diagrams.

``${amount > 1000}``, ``#{approved}``, ``Dear ${customer.name}``: a pure-Python parser
and evaluator of the EL 2.2 subset Camunda diagrams use, with the Java coercion rules
(:mod:`.values`), a whitelist of callable methods (:mod:`.methods`) and bounded work
(:class:`~expressions.limits.Budget`). Nothing here evaluates Python code
or reads attributes by user-chosen names.

Usage::

    expr = parse("${amount > 1000}")          # ExpressionSyntaxError with a position
    expr.evaluate({"amount": 1500})            # True
    evaluate("Hello ${name}!", {"name": "Ann"})  # 'Hello Ann!'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from expressions.juel.context import ExecutionContext, JuelDateTime, TaskContext
from expressions.juel.evaluator import run
from expressions.juel.nodes import (
    Binary,
    Conditional,
    FunctionCall,
    Identifier,
    Member,
    MethodCall,
    Node,
    Unary,
)
from expressions.juel.parser import Part, parse_composite
from expressions.limits import DEFAULT_LIMITS, Budget, Limits

__all__ = [
    "ExecutionContext",
    "JuelDateTime",
    "JuelExpression",
    "TaskContext",
    "evaluate",
    "parse",
]


@dataclass(frozen=True)
class JuelExpression:
    """A parsed JUEL text; immutable, so one instance may be cached and shared.

    ``parts`` alternates literal text and expression trees; ``kind`` is ``"$"``
    (immediate), ``"#"`` (deferred, which Camunda evaluates the same way) or ``""``
    when the text holds no expression at all.
    """

    source: str
    parts: tuple[Part, ...]
    kind: str

    @property
    def is_literal(self) -> bool:
        """True when the text has no ``${...}``/``#{...}`` (it evaluates to itself)."""
        return self.kind == ""

    @property
    def is_single(self) -> bool:
        """True for a lone ``${...}``, whose value is returned without string coercion."""
        return len(self.parts) == 1 and not isinstance(self.parts[0], str)

    def referenced_names(self) -> frozenset[str]:
        """Top-level identifiers the expression reads (variables, ``execution``, ...);
        lets the compiler warn about variables no step ever sets."""
        names: set[str] = set()
        stack: list[Node] = [p for p in self.parts if not isinstance(p, str)]
        while stack:
            node = stack.pop()
            if isinstance(node, Identifier):
                names.add(node.name)
            elif isinstance(node, Binary):
                stack += (node.left, node.right)
            elif isinstance(node, Unary):
                stack.append(node.operand)
            elif isinstance(node, Member):
                stack += (node.target, node.key)
            elif isinstance(node, MethodCall):
                stack += (node.target, *node.args)
            elif isinstance(node, FunctionCall):
                stack += node.args
            elif isinstance(node, Conditional):
                stack += (node.condition, node.then, node.otherwise)
        return frozenset(names)

    def evaluate(
        self,
        variables: Mapping[str, Any],
        *,
        specials: Mapping[str, Any] | None = None,
        budget: Budget | None = None,
        now: dt.datetime | None = None,
    ) -> Any:
        """Evaluates against ``variables``.

        ``specials`` maps context names (``execution``, ``task``) to
        :class:`ExecutionContext` / :class:`TaskContext`; they shadow variables of the
        same name, as in Camunda. ``now`` is the time ``now()`` and ``dateTime()``
        return; without it they raise, so results never depend on the wall clock.

        Raises ``EvaluationError`` (unknown variable, type errors Java would raise,
        methods outside the whitelist) and ``LimitExceeded``.
        """
        return run(
            self.source,
            self.parts,
            variables,
            specials or {},
            budget if budget is not None else Budget(),
            now,
        )


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, limits: Limits) -> JuelExpression:
    parts, kind = parse_composite(text, limits)
    return JuelExpression(text, parts, kind)


def parse(text: str, *, limits: Limits = DEFAULT_LIMITS) -> JuelExpression:
    """Parses JUEL composite text; raises ``ExpressionSyntaxError`` with the offset."""
    return _parse_cached(text, limits)


def evaluate(
    text: str,
    variables: Mapping[str, Any] | None = None,
    *,
    specials: Mapping[str, Any] | None = None,
    budget: Budget | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """``parse(text).evaluate(...)`` in one call."""
    return parse(text).evaluate(variables or {}, specials=specials, budget=budget, now=now)
