"""The shared test kit builds what it says: every test and bench that writes a diagram
with ``tests.support.bpmn`` relies on it, so a builder that silently drops a condition or
a task type would let their assertions pass for the wrong reason."""

from __future__ import annotations

from bpmn_compiler import compile_or_raise
from bpmn_compiler.ir import Expression
from tests.compiler.helpers import line_of
from tests.support import bpmn


def test_a_diagram_from_the_builder_compiles_to_what_was_written() -> None:
    name, xml = bpmn.diagram(
        "kit",
        bpmn.start()
        + bpmn.service("call", "baton.noop", retries=2)
        + bpmn.user("review", "mary", name="Review it")
        + bpmn.message_catch("wait", "m")
        + '<bpmn:exclusiveGateway id="x"/>'
        + bpmn.task("skip")
        + bpmn.end()
        + bpmn.flows(
            "s>call", "call>review", "review>wait", "wait>x", "x>skip:=n < 1 and n > -1", "x>e"
        )
        + bpmn.flows("skip>e"),
        top='<bpmn:message id="m" name="go"/>',
    )
    assert name == "kit.bpmn"
    [definition] = compile_or_raise(xml)
    assert definition.key == "kit"
    nodes = definition.nodes
    assert {k: v.kind for k, v in nodes.items()} == {
        "s": "startEvent",
        "call": "serviceTask",
        "review": "userTask",
        "wait": "intermediateCatchEvent",
        "x": "gateway",
        "skip": "task",
        "e": "endEvent",
    }
    call = nodes["call"].implementation  # type: ignore[union-attr]
    assert (call.task_type, call.retries) == ("baton.noop", 2)
    review = nodes["review"]
    assert review.name == "Review it"
    assert review.assignee == Expression(language="literal", source="mary")  # type: ignore[union-attr]
    # the condition's < and > are escaped on the way in and read back as written
    condition = definition.flows["f_x_skip"].condition
    assert condition == Expression(language="feel", source="n < 1 and n > -1")
    assert (definition.flows["f_skip_e"].source, definition.flows["f_skip_e"].target) == (
        "skip",
        "e",
    )


def test_the_compiler_document_keeps_one_element_per_line() -> None:
    xml = bpmn.document('<bpmn:startEvent id="s"/>\n<bpmn:endEvent id="e"/>')
    # compiler tests assert the lines their diagnostics name: the layout is part of the kit
    assert line_of(xml, 'id="s"') == 5 and line_of(xml, 'id="e"') == 6
    [definition] = compile_or_raise(xml.encode())
    assert definition.key == "p" and definition.nodes["e"].line == 6
