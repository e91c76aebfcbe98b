"""Expression evaluation inside the workflow: FEEL and JUEL through the deterministic,
bounded engines of ``expressions``.

The clock is the workflow's (``workflow.now()``, passed in), so replays evaluate alike;
JUEL's ``execution`` object is built from the instance's own data. Failures surface as
:class:`ExpressionError`, which the interpreter turns into an incident.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bpmn_compiler.ir import Expression
from expressions import ExpressionError, compile_expression
from expressions.juel.context import ExecutionContext

__all__ = ["ExecutionContext", "ExpressionError", "evaluate", "explain"]


def evaluate(
    expr: Expression,
    variables: dict[str, Any],
    *,
    now: dt.datetime | None = None,
    execution: ExecutionContext | None = None,
) -> Any:
    """The value of ``expr`` (plain Python values: FEEL numbers become int/float)."""
    compiled = compile_expression(expr)
    specials = {"execution": execution} if execution is not None else None
    return compiled.evaluate(variables, now=now, specials=specials)


def explain(expr: Expression, variables: dict[str, Any], *, now: dt.datetime | None = None) -> str:
    """The FEEL warnings behind a null, joined for an incident message ("" if none)."""
    try:
        return "; ".join(compile_expression(expr).explain(variables, now=now)[:3])
    except ExpressionError:
        return ""
