"""Build small BPMN documents inline and find the line an element sits on."""

from __future__ import annotations

from bpmn_compiler import CompileResult, ProcessDefinition, compile_bpmn, compile_or_raise

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def document(body: str, *, top: str = "", executable: str = "true") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NAMESPACES} id="defs" targetNamespace="http://test">\n'
        f"{top}\n"
        f'<bpmn:process id="p" name="P" isExecutable="{executable}">\n'
        f"{body}\n"
        "</bpmn:process>\n"
        "</bpmn:definitions>\n"
    )


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
