"""Diagnostics and the DMN package's error root.

Exception tree::

    DmnError                 anything :mod:`dmn` raises; ``.diagnostics`` says where
     └── DmnEvaluationError  a decision could not be evaluated at all (unknown decision id,
                             an evaluation limit hit); FEEL-level problems become null

The shape of :class:`Diagnostic` is the one ``bpmn_compiler`` uses (code, severity, message,
element id and tag, file and line), so tools can show DMN and BPMN findings side by side.
It is a plain frozen dataclass here: the package stays importable inside the Temporal
workflow sandbox without anything but the standard library, lxml and the FEEL engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a DMN model, pointing at the element a modeller must change."""

    code: str
    severity: Severity
    message: str
    element_id: str | None = None
    tag: str | None = None
    name: str | None = None
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        element = f" [{self.tag} {self.element_id}]" if self.element_id else ""
        return f"{where or '<input>'}: {self.severity} {self.code}{element}: {self.message}"


class DmnError(Exception):
    """Root of every error the DMN package raises; invalid models carry diagnostics."""

    def __init__(self, message: str = "", diagnostics: list[Diagnostic] | None = None) -> None:
        self.diagnostics = list(diagnostics or [])
        errors = [d for d in self.diagnostics if d.severity is Severity.ERROR]
        super().__init__(message or "; ".join(str(d) for d in errors) or "invalid DMN model")


class DmnEvaluationError(DmnError):
    """A decision could not be evaluated (unknown id, a limit exceeded)."""
