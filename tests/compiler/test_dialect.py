"""``ProcessDefinition.dialect``: the engine a file was written for, which decides where
Camunda 7 and Zeebe differ at run time (loopCounter's base)."""

from __future__ import annotations

from bpmn_compiler.compile import compile_bpmn
from bpmn_compiler.ir import ProcessDefinition
from tests.support.bpmn import definitions, process
from tests.workflows.diagrams import c7_loops

BODY = '<bpmn:startEvent id="s"/>'
BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def _one(xml: str | bytes) -> ProcessDefinition:
    result = compile_bpmn(xml.encode() if isinstance(xml, str) else xml)
    assert result.ok, result.diagnostics
    [definition] = result.definitions
    return definition


def _declaring(*namespaces: str) -> str:
    declared = " ".join([BPMN, *namespaces])
    return (
        f'<bpmn:definitions {declared} id="d" targetNamespace="t">'
        f'<bpmn:process id="p" isExecutable="true">{BODY}</bpmn:process></bpmn:definitions>'
    )


def test_camunda7_namespace_makes_a_camunda7_definition() -> None:
    assert _one(c7_loops()[1]).dialect == "camunda7"
    assert _one(_declaring('xmlns:activiti="http://activiti.org/bpmn"')).dialect == "camunda7"


def test_zeebe_namespace_makes_a_zeebe_definition() -> None:
    zeebe = _declaring('xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"')
    assert _one(zeebe).dialect == "zeebe"


def test_both_or_neither_stay_generic_and_keep_their_hash() -> None:
    both = _one(definitions(process("p", BODY)))  # the test builder declares both
    neither = _one(_declaring())
    assert both.dialect is None and neither.dialect is None
    assert b"dialect" not in neither.canonical_json()
    assert b'"dialect":"camunda7"' in _one(c7_loops()[1]).canonical_json()
