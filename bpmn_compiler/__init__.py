"""BPMN 2.0 compiler: diagrams in, validated and versioned IR (or diagnostics) out.

The compiling half (``compile``, lxml) loads on first use: the interpreter imports only
the IR and the expression engines from this package, so a worker's workflow sandbox never
pulls in the XML stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bpmn_compiler.errors import BpmnCompilerError, CompileFailed, Diagnostic, Severity
from bpmn_compiler.ir import IR_VERSION, ProcessDefinition

if TYPE_CHECKING:
    from bpmn_compiler.compile import CompileResult, compile_bpmn, compile_or_raise

__all__ = [
    "IR_VERSION",
    "BpmnCompilerError",
    "CompileFailed",
    "CompileResult",
    "Diagnostic",
    "ProcessDefinition",
    "Severity",
    "compile_bpmn",
    "compile_or_raise",
]

_LAZY = {"CompileResult", "compile_bpmn", "compile_or_raise"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from bpmn_compiler import compile as compiler

        return getattr(compiler, name)
    raise AttributeError(f"module 'bpmn_compiler' has no attribute {name!r}")
