"""Compile many files (``baton compile``): discovery, one summary line each, totals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpmn_compiler.compile import CompileResult, compile_bpmn

SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders searched recursively for BPMN files, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)
            )
        else:
            yield path


@dataclass
class Totals:
    ok: int = 0
    with_errors: int = 0
    crashed: int = 0
    #: files with warnings, whether or not they also have errors
    with_warnings: int = 0
    errors: int = 0
    warnings: int = 0

    @property
    def files(self) -> int:
        return self.ok + self.with_errors + self.crashed

    def add(self, result: CompileResult) -> None:
        if result.crashed:
            self.crashed += 1
        elif result.ok:
            self.ok += 1
        else:
            self.with_errors += 1
        self.with_warnings += bool(result.warnings)
        self.errors += len(result.errors)
        self.warnings += len(result.warnings)

    def as_json(self) -> dict[str, int]:
        return {
            "files": self.files,
            "ok": self.ok,
            "with_errors": self.with_errors,
            "crashed": self.crashed,
            "with_warnings": self.with_warnings,
            "errors": self.errors,
            "warnings": self.warnings,
        }

    def closing_line(self) -> str:
        return f"compile: {self.ok} ok, {self.with_errors} with errors, {self.crashed} crashed"


def compile_file(path: Path, *, include_non_executable: bool = False) -> CompileResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        result = CompileResult()
        from bpmn_compiler.errors import Diagnostic, Severity

        result.diagnostics.append(
            Diagnostic(
                code="unreadable",
                severity=Severity.ERROR,
                message=f"cannot read the file: {exc.strerror or exc}",
                file=str(path),
            )
        )
        return result
    return compile_bpmn(data, filename=str(path), include_non_executable=include_non_executable)


def summary_line(path: Path, result: CompileResult) -> str:
    """One line per file: status, path, what was compiled or the first error."""
    warnings = f" ({len(result.warnings)} warnings)" if result.warnings else ""
    if result.crashed:
        return f"crash {path}: {result.errors[0].message}"
    if result.ok:
        keys = ", ".join(d.key for d in result.definitions) or "nothing executable"
        return f"ok    {path}: {keys}{warnings}"
    first = result.errors[0]
    more = f" (+{len(result.errors) - 1} more errors)" if len(result.errors) > 1 else ""
    where = f":{first.line}" if first.line else ""
    element = f" [{first.tag} {first.element_id}]" if first.element_id else ""
    return f"error {path}{where}: {first.code}{element} {first.message}{more}"


def as_json(path: Path, result: CompileResult) -> dict[str, Any]:
    return {
        "file": str(path),
        "ok": result.ok,
        "crashed": result.crashed,
        "definitions": [
            {"key": d.key, "name": d.name, "sha256": d.sha256(), "elements": len(d.nodes)}
            for d in result.definitions
        ],
        "diagnostics": [d.model_dump(mode="json") for d in result.diagnostics],
    }
