"""Compile inline documents (``tests.support.bpmn.document``) and find the line an element
sits on."""

from __future__ import annotations

from bpmn_compiler import CompileResult, ProcessDefinition, compile_bpmn, compile_or_raise


def compile_text(xml: str, **kwargs: bool) -> CompileResult:
    return compile_bpmn(xml.encode(), filename="test.bpmn", **kwargs)


def one(xml: str) -> ProcessDefinition:
    [definition] = compile_or_raise(xml.encode(), filename="test.bpmn")
    return definition


def line_of(xml: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, text in enumerate(xml.splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in document")
