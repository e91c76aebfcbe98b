"""Property: whatever bytes arrive, the compiler answers with diagnostics, never a crash.

Mutations start from real diagrams (the examples and inline fixtures) and delete
elements, rewrite attributes and inject foreign content, so they reach deep into the
builders rather than stopping at the XML parser.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bpmn_compiler import compile_bpmn
from tests.conftest import EXAMPLES
from tests.support.bpmn import document

SEEDS = [
    (EXAMPLES / "invoice-approval.bpmn").read_bytes(),
    (EXAMPLES / "order-review-zeebe.bpmn").read_bytes(),
    document(
        """<bpmn:startEvent id="s"/>
<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/><bpmn:task id="t"/>
<bpmn:sequenceFlow id="g" sourceRef="ss" targetRef="t"/></bpmn:subProcess>
<bpmn:boundaryEvent id="b" attachedToRef="sub"><bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:exclusiveGateway id="x" default="f3"/>
<bpmn:intermediateThrowEvent id="l"><bpmn:linkEventDefinition name="a"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="lc"><bpmn:linkEventDefinition name="a"/></bpmn:intermediateCatchEvent>
<bpmn:callActivity id="c" calledElement="x"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${xs}"/></bpmn:callActivity>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
<bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="x"/>
<bpmn:sequenceFlow id="f3" sourceRef="x" targetRef="l"/>
<bpmn:sequenceFlow id="f4" sourceRef="lc" targetRef="c"/>
<bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="c"><bpmn:conditionExpression>${a}</bpmn:conditionExpression></bpmn:sequenceFlow>""",
        top='<bpmn:message id="m" name="${dynamic}"/><bpmn:error id="e" errorCode="E"/>',
    ).encode(),
]

ATTRIBUTES = [
    "id",
    "sourceRef",
    "targetRef",
    "attachedToRef",
    "default",
    "messageRef",
    "errorRef",
    "isExecutable",
    "cancelActivity",
    "triggeredByEvent",
    "calledElement",
    "name",
    "{http://camunda.org/schema/1.0/bpmn}type",
    "{http://camunda.org/schema/1.0/bpmn}collection",
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(draw(st.sampled_from(SEEDS)))
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        target = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["delete", "set", "drop-attr", "text", "inject"]))
        if action == "delete" and target.getparent() is not None:
            target.getparent().remove(target)
            elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elif action == "set":
            target.set(draw(st.sampled_from(ATTRIBUTES)), draw(text))
        elif action == "drop-attr" and target.attrib:
            del target.attrib[draw(st.sampled_from(sorted(target.attrib)))]
        elif action == "text":
            target.text = draw(text)
        elif action == "inject":
            tag = draw(st.sampled_from(["startEvent", "boundaryEvent", "subProcess", "weird"]))
            etree.SubElement(target, f"{{http://www.omg.org/spec/BPMN/20100524/MODEL}}{tag}")
    data: bytes = etree.tostring(root)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_diagrams_never_crash(data: bytes) -> None:
    result = compile_bpmn(data)
    assert not result.crashed, [str(d) for d in result.diagnostics if d.code == "internal-error"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | text.map(str.encode))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    result = compile_bpmn(data)
    assert not result.crashed
    assert result.errors or result.diagnostics or result.definitions == []
