"""Expression languages of BPMN diagrams: FEEL (Camunda 8, ``=…``), JUEL (Camunda 7,
``${…}``) and JavaScript (a ``language="javascript"`` condition), behind one interface for
the compiler and the interpreter.

Parse once (syntax errors, with position, surface at deploy time), evaluate many times
against variables. Evaluation is deterministic and bounded: the clock comes from the
caller (``now``), and work is limited by :class:`~expressions.limits.Limits`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bpmn_compiler.ir import Expression
from expressions import javascript, juel
from expressions.errors import (
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    LimitExceeded,
)
from expressions.feel.evaluator import evaluate_node
from expressions.feel.parser import parse as parse_feel
from expressions.feel.values import to_python
from expressions.limits import DEFAULT_LIMITS, Budget, Limits

# Everything is imported eagerly: inside the Temporal workflow sandbox a lazy import
# would load these modules again, sandboxed (slow, and datetime subclasses break there).

__all__ = [
    "CompiledExpression",
    "EvaluationError",
    "ExpressionError",
    "ExpressionSyntaxError",
    "LimitExceeded",
    "Limits",
    "compile_expression",
]


@dataclass(frozen=True)
class CompiledExpression:
    """A parsed expression; :meth:`evaluate` runs it against variables."""

    expression: Expression
    tree: Any

    def evaluate(
        self,
        variables: dict[str, Any],
        *,
        now: dt.datetime | None = None,
        specials: dict[str, Any] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Any:
        """The value as plain Python (FEEL numbers become int/float where exact).

        FEEL problems that the language defines as null (unknown names, type mismatches)
        return None; JUEL problems (unknown variables, bad method calls) and exceeded
        limits raise :class:`ExpressionError` subclasses.
        """
        language = self.expression.language
        if language == "literal":
            return self.expression.source
        if language == "feel":
            result = evaluate_node(self.tree, variables, now=now, limits=limits)
            return to_python(result.value)
        if language == "javascript":
            execution = (specials or {}).get("execution")
            return javascript.evaluate(
                self.expression.source,
                variables,
                now=now or dt.datetime.fromtimestamp(0, dt.UTC),
                execution=execution if isinstance(execution, javascript.ExecutionContext) else None,
            )
        return self.tree.evaluate(variables, specials=specials, budget=Budget(limits), now=now)

    def explain(
        self, variables: dict[str, Any], *, now: dt.datetime | None = None
    ) -> tuple[str, ...]:
        """Why a FEEL evaluation gave null (unknown names, type mismatches …); empty for
        other languages, whose problems raise instead."""
        if self.expression.language != "feel":
            return ()
        return evaluate_node(self.tree, variables, now=now).warnings


@lru_cache(maxsize=4096)
def compile_expression(expression: Expression) -> CompiledExpression:
    """Parse ``expression`` in its language (cached: IR expressions are immutable)."""
    if expression.language == "literal":
        return CompiledExpression(expression, None)
    if expression.language == "feel":
        return CompiledExpression(expression, parse_feel(expression.source))
    if expression.language == "javascript":
        javascript.check_syntax(expression.source)
        return CompiledExpression(expression, None)
    return CompiledExpression(expression, juel.parse(expression.source))
