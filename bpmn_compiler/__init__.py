"""BPMN 2.0 compiler: diagrams in, validated and versioned IR (or diagnostics) out."""

from bpmn_compiler.compile import CompileResult, compile_bpmn, compile_or_raise
from bpmn_compiler.errors import BpmnCompilerError, CompileFailed, Diagnostic, Severity
from bpmn_compiler.ir import IR_VERSION, ProcessDefinition

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
