"""Diagnostics and the compiler's error root.

Exception tree::

    BpmnCompilerError
     └── CompileFailed      the diagram has errors; ``.diagnostics`` says where

The compiler reports problems as :class:`Diagnostic` values; nothing else escapes it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(BaseModel):
    """One finding about a diagram, pointing at the element a modeller must change."""

    model_config = ConfigDict(frozen=True)

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


class BpmnCompilerError(Exception):
    """Root of every error the compiler package raises."""


class CompileFailed(BpmnCompilerError):
    """Raised by :func:`bpmn_compiler.compile_or_raise` when a diagram has errors."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        super().__init__("; ".join(str(d) for d in errors) or "compilation failed")
