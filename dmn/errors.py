"""Diagnostics and the DMN package's error root.

Exception tree::

    DmnError                 anything :mod:`dmn` raises; ``.diagnostics`` says where
     └── DmnEvaluationError  a decision could not be evaluated at all (unknown decision id,
                             an evaluation limit hit); FEEL-level problems become null

:class:`Diagnostic` and :class:`Severity` are ``bpmn_compiler``'s own (code, severity,
message, element id and tag, file and line): a deployment answers DMN and BPMN findings
in one list, and nothing converts between two shapes. (``dmn`` already stands on
``bpmn_compiler`` through the FEEL engine's expression model, inside the workflow sandbox
too, where both are passed through.)
"""

from __future__ import annotations

from bpmn_compiler.errors import Diagnostic, Severity

__all__ = ["Diagnostic", "DmnError", "DmnEvaluationError", "Severity"]


class DmnError(Exception):
    """Root of every error the DMN package raises; invalid models carry diagnostics."""

    def __init__(self, message: str = "", diagnostics: list[Diagnostic] | None = None) -> None:
        self.diagnostics = list(diagnostics or [])
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        super().__init__(message or "; ".join(str(d) for d in errors) or "invalid DMN model")


class DmnEvaluationError(DmnError):
    """A decision could not be evaluated (unknown id, a limit exceeded)."""
