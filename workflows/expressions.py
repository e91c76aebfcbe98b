"""Expression evaluation inside the workflow (deterministic, no I/O).

The walking skeleton evaluates literals and plain variable references (``${name}``,
``${order.customer}``, FEEL ``name``); the full FEEL and JUEL engines replace this module's
internals behind the same ``evaluate`` call. Anything else raises ``ExpressionError``,
which the interpreter turns into an incident, never a crashed workflow task.
"""

from __future__ import annotations

import re
from typing import Any

from bpmn_compiler.ir import Expression

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_JUEL_WRAPPED = re.compile(r"^[$#]\{\s*(.*?)\s*\}$", re.DOTALL)


class ExpressionError(Exception):
    """An expression could not be evaluated; ``source`` is the text as written."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(message)
        self.source = source


def _resolve(path: str, variables: dict[str, Any], source: str) -> Any:
    head, *rest = path.split(".")
    if head not in variables:
        raise ExpressionError(f"unknown variable {head!r}", source=source)
    value = variables[head]
    for part in rest:
        if not isinstance(value, dict) or part not in value:
            raise ExpressionError(f"{path!r} has no member {part!r}", source=source)
        value = value[part]
    return value


def evaluate(expr: Expression, variables: dict[str, Any]) -> Any:
    """Evaluate ``expr`` against ``variables``."""
    if expr.language == "literal":
        return expr.source
    body = expr.source
    if expr.language == "juel":
        match = _JUEL_WRAPPED.match(body)
        if not match:
            raise ExpressionError("mixed text and JUEL is not supported yet", source=body)
        body = match.group(1)
    if body in ("true", "false"):
        return body == "true"
    if _PATH.match(body):
        return _resolve(body, variables, expr.source)
    raise ExpressionError(
        f"this {expr.language.upper()} expression is not supported yet", source=expr.source
    )
