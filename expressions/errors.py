"""Errors of the expression engines (FEEL and JUEL).

Exception tree::

    ExpressionError              anything the engines raise; carries the source text
     ├── ExpressionSyntaxError    the text does not parse (``position`` = 0-based offset)
     └── EvaluationError          evaluation failed in a way that must not become null
          └── LimitExceeded       a bound on steps, sizes or depth was hit

FEEL itself turns most runtime problems into ``null`` (the spec's semantics); those are
collected as warnings on the evaluation, not raised. Only syntax errors and exceeded
limits are exceptions, so a workflow task can never hang or crash on user input.
"""

from __future__ import annotations


class ExpressionError(Exception):
    def __init__(self, message: str, *, source: str = "", position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.position = position

    def __str__(self) -> str:
        where = f" at offset {self.position}" if self.position is not None else ""
        return f"{self.message}{where}"


class ExpressionSyntaxError(ExpressionError):
    """The expression text does not parse."""


class EvaluationError(ExpressionError):
    """Evaluation failed and the failure must be reported (not turned into null)."""


class LimitExceeded(EvaluationError):
    """Evaluation needed more steps, memory or depth than the configured limits allow."""
