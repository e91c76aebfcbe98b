"""Invalid models: DmnError carries diagnostics naming the element (id) and its line."""

from __future__ import annotations

import pytest

from dmn import Diagnostic, DmnError, DmnEvaluationError, evaluate, parse
from tests.dmn.dmn_fixtures import definitions, table


def _errors(xml: str) -> list[Diagnostic]:
    with pytest.raises(DmnError) as caught:
        parse(xml, resource_name="bad.dmn")
    assert caught.value.diagnostics, "an invalid model must say why"
    return caught.value.diagnostics


def _line_of(xml: str, marker: str) -> int:
    return next(n for n, line in enumerate(xml.splitlines(), start=1) if marker in line)


def test_unknown_hit_policy() -> None:
    xml = table("SOMETIMES", [("1", "1")]).replace("<decisionTable", "\n<decisionTable")
    (found,) = _errors(xml)
    assert (found.code, found.element_id, found.tag) == ("DMN-HIT-POLICY", "t", "decisionTable")
    assert found.line == _line_of(xml, "<decisionTable")
    assert found.file == "bad.dmn"
    assert "bad.dmn:" in str(found) and "[decisionTable t]" in str(found)


def test_bad_feel_in_a_cell() -> None:
    xml = table("UNIQUE", [("&lt; 10", "1"), ("[1..", "2")]).replace("<rule", "\n<rule")
    (found,) = _errors(xml)
    assert found.code == "DMN-FEEL-SYNTAX"
    assert "[1.." in found.message
    assert found.line == _line_of(xml, "[1..")


def test_bad_feel_in_a_literal_expression() -> None:
    xml = definitions(
        '<decision id="d" name="d">\n<literalExpression id="lx"><text>1 +</text>'
        "</literalExpression></decision>"
    )
    (found,) = _errors(xml)
    assert (found.code, found.element_id, found.line) == ("DMN-FEEL-SYNTAX", "lx", 3)


def test_duplicate_ids() -> None:
    xml = definitions(
        '<inputData id="x" name="a"/>\n'
        '<decision id="x" name="b"><literalExpression><text>1</text></literalExpression>'
        "</decision>"
    )
    (found,) = _errors(xml)
    assert (found.code, found.element_id, found.line) == ("DMN-DUPLICATE-ID", "x", 3)
    assert "line 2" in found.message


def test_required_decision_that_does_not_exist() -> None:
    xml = definitions(
        '<decision id="d" name="d">\n<informationRequirement id="req">'
        '<requiredDecision href="#nowhere"/></informationRequirement>'
        "<literalExpression><text>1</text></literalExpression></decision>"
    )
    (found,) = _errors(xml)
    assert (found.code, found.element_id, found.line) == ("DMN-UNRESOLVED", "req", 3)
    assert "#nowhere" in found.message


def test_missing_decision_logic_is_a_warning_not_an_error() -> None:
    # The spec allows a decision without logic (a DRG drawn before it is automated; the
    # TCK's 0088 evaluates one): the model loads, the finding is a warning, and the
    # decision's value is whatever the caller gives for its name.
    xml = definitions('<decision id="d" name="Open question">\n</decision>')
    model = parse(xml)
    (found,) = model.diagnostics
    assert (found.code, found.severity, found.element_id, found.line) == (
        "DMN-NO-LOGIC",
        "warning",
        "d",
        2,
    )
    assert model.decisions["d"].kind == "none"
    assert evaluate(model, "d", {"Open question": 5}).value == 5


def test_malformed_xml_and_wrong_root() -> None:
    (found,) = _errors("<definitions>\n<decision>")
    assert found.code == "DMN-XML" and found.line is not None
    (found,) = _errors("<process/>")
    assert found.code == "DMN-XML" and "<definitions>" in found.message


def test_rule_with_a_missing_cell() -> None:
    xml = table("UNIQUE", [("1", "2")]).replace("<inputEntry><text>1</text></inputEntry>", "")
    (found,) = _errors(xml)
    assert (found.code, found.element_id) == ("DMN-RULE", "r1")


def test_unknown_decision_at_evaluation() -> None:
    model = parse(table("UNIQUE", [("1", "2")]))
    with pytest.raises(DmnEvaluationError):
        evaluate(model, "nope", {})
