"""DRGs, item definitions, BKMs, decision services and boxed expressions, end to end
through the public API."""

from __future__ import annotations

import datetime as dt

from dmn import DecisionResult, DmnModel, evaluate, parse
from tests.dmn.dmn_fixtures import DMN11, definitions

ITEMS = """
<itemDefinition name="tGrade"><typeRef>string</typeRef>
  <allowedValues><text>"A", "B", "C"</text></allowedValues></itemDefinition>
<itemDefinition name="tScores" isCollection="true"><typeRef>number</typeRef></itemDefinition>
<itemDefinition name="tPerson">
  <itemComponent name="name"><typeRef>string</typeRef></itemComponent>
  <itemComponent name="age"><typeRef>number</typeRef></itemComponent>
</itemDefinition>
<inputData id="i_grade" name="Grade"><variable name="Grade" typeRef="tGrade"/></inputData>
<inputData id="i_scores" name="Scores"><variable name="Scores" typeRef="tScores"/></inputData>
<inputData id="i_person" name="Person"><variable name="Person" typeRef="tPerson"/></inputData>
<decision id="grade" name="Echo grade"><variable name="Echo grade" typeRef="tGrade"/>
  <informationRequirement><requiredInput href="#i_grade"/></informationRequirement>
  <literalExpression><text>Grade</text></literalExpression></decision>
<decision id="scores" name="Total"><variable name="Total" typeRef="number"/>
  <informationRequirement><requiredInput href="#i_scores"/></informationRequirement>
  <literalExpression><text>sum(Scores)</text></literalExpression></decision>
<decision id="person" name="Greeting"><variable name="Greeting" typeRef="string"/>
  <informationRequirement><requiredInput href="#i_person"/></informationRequirement>
  <literalExpression><text>"Hello " + Person.name</text></literalExpression></decision>
"""


def _value(model: DmnModel, decision: str, **variables: object) -> object:
    return evaluate(model, decision, variables).value


def test_item_definitions_check_and_coerce() -> None:
    model = parse(definitions(ITEMS))
    assert _value(model, "grade", Grade="B") == "B"
    assert _value(model, "grade", Grade="Z") is None  # outside allowedValues
    assert _value(model, "grade", Grade=["A"]) == "A"  # a singleton list unwraps
    assert _value(model, "scores", Scores=[1, 2, 3.5]) == 6.5
    assert _value(model, "scores", Scores=4) == 4  # a single item becomes a list
    assert _value(model, "scores", Scores=["x"]) is None  # an item of the wrong type
    assert _value(model, "person", Person={"name": "Ann", "age": 3}) == "Hello Ann"
    assert _value(model, "person", Person={"name": 7}) is None  # a component mistyped


DRG = """
<inputData id="i_amount" name="Loan amount"><variable name="Loan amount" typeRef="number"/></inputData>
<businessKnowledgeModel id="bkm_fee" name="Fee">
  <encapsulatedLogic>
    <formalParameter name="amount" typeRef="number"/><formalParameter name="rate" typeRef="number"/>
    <literalExpression><text>amount * rate</text></literalExpression>
  </encapsulatedLogic>
</businessKnowledgeModel>
<decision id="fee" name="Loan fee"><variable name="Loan fee" typeRef="number"/>
  <informationRequirement><requiredInput href="#i_amount"/></informationRequirement>
  <knowledgeRequirement><requiredKnowledge href="#bkm_fee"/></knowledgeRequirement>
  <invocation><literalExpression><text>Fee</text></literalExpression>
    <binding><parameter name="amount"/><literalExpression><text>Loan amount</text></literalExpression></binding>
    <binding><parameter name="rate"/><literalExpression><text>0.01</text></literalExpression></binding>
  </invocation>
</decision>
<decision id="total" name="Total due"><variable name="Total due" typeRef="number"/>
  <informationRequirement><requiredDecision href="#fee"/></informationRequirement>
  <informationRequirement><requiredInput href="#i_amount"/></informationRequirement>
  <knowledgeRequirement><requiredKnowledge href="#bkm_fee"/></knowledgeRequirement>
  <context>
    <contextEntry><variable name="extra"/><literalExpression><text>Fee(Loan amount, 0.001)</text></literalExpression></contextEntry>
    <contextEntry><literalExpression><text>Loan amount + Loan fee + extra</text></literalExpression></contextEntry>
  </context>
</decision>
<decisionService id="svc" name="Fee service">
  <outputDecision href="#fee"/><inputData href="#i_amount"/>
</decisionService>
<decision id="via_service" name="Via service">
  <knowledgeRequirement><requiredKnowledge href="#svc"/></knowledgeRequirement>
  <literalExpression><text>Fee service(2000)</text></literalExpression>
</decision>
"""


def test_bkm_invocation_required_decisions_and_contexts() -> None:
    model = parse(definitions(DRG))
    result: DecisionResult = evaluate(model, "total", {"Loan amount": 1000})
    assert result.value == 1011
    assert result.required == {"Loan fee": 10}
    assert result.rule_results == [{"Total due": 1011}]
    assert _value(model, "fee", **{"Loan amount": 500}) == 5
    info = model.decisions["total"]
    assert (info.kind, info.required) == ("context", ["fee"])
    assert model.decisions["fee"].kind == "invocation"


def test_decision_services_are_functions() -> None:
    model = parse(definitions(DRG))
    assert _value(model, "via_service") == 20


def test_decisions_are_found_by_name_too() -> None:
    model = parse(definitions(DRG))
    assert evaluate(model, "Loan fee", {"Loan amount": 100}).value == 1


BOXED = """
<decision id="rel" name="rel"><relation>
  <column name="a"/><column name="b"/>
  <row><literalExpression><text>1</text></literalExpression><literalExpression><text>"x"</text></literalExpression></row>
  <row><literalExpression><text>2</text></literalExpression><literalExpression><text>"y"</text></literalExpression></row>
</relation></decision>
<decision id="lst" name="lst"><list>
  <literalExpression><text>1 + 1</text></literalExpression><literalExpression><text>@"2024-02-29"</text></literalExpression>
</list></decision>
<decision id="fn" name="fn"><context>
  <contextEntry><variable name="double"/><functionDefinition><formalParameter name="n"/>
    <literalExpression><text>n * 2</text></literalExpression></functionDefinition></contextEntry>
  <contextEntry><literalExpression><text>double(21)</text></literalExpression></contextEntry>
</context></decision>
<decision id="dur" name="dur"><literalExpression><text>duration("P1DT2H") + duration("PT1H")</text></literalExpression></decision>
<decision id="clock" name="clock"><literalExpression><text>today()</text></literalExpression></decision>
"""


def test_relations_lists_functions_and_the_value_mapping() -> None:
    model = parse(definitions(BOXED))
    assert _value(model, "rel") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert _value(model, "lst") == [2, dt.date(2024, 2, 29)]
    assert _value(model, "fn") == 42
    assert _value(model, "dur") == "P1DT3H"  # durations leave as ISO-8601 text
    # the clock is the caller's: null without one
    assert _value(model, "clock") is None
    now = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert evaluate(model, "clock", {}, now=now).value == dt.date(2026, 3, 4)


CAMUNDA7 = """
<decision id="dish" name="Dish" camunda:versionTag="v2">
  <decisionTable id="t" hitPolicy="FIRST">
    <input id="season" label="Season" camunda:inputVariable="s">
      <inputExpression typeRef="string"><text>season</text></inputExpression>
    </input>
    <input id="guests" label="Guests"><inputExpression typeRef="integer"><text>guestCount</text></inputExpression></input>
    <output id="o" name="desiredDish" typeRef="string"/>
    <rule id="r1"><inputEntry><text>"Fall"</text></inputEntry><inputEntry><text>&lt;= 8</text></inputEntry><outputEntry><text>"Spareribs"</text></outputEntry></rule>
    <rule id="r2"><inputEntry><text>s = "Winter"</text></inputEntry><inputEntry><text></text></inputEntry><outputEntry><text>"Roastbeef"</text></outputEntry></rule>
    <rule id="r3"><inputEntry><text></text></inputEntry><inputEntry><text>&gt; 8</text></inputEntry><outputEntry><text>"Stew"</text></outputEntry></rule>
  </decisionTable>
</decision>
"""


def test_camunda7_dmn11_tables_read_process_variables() -> None:
    model = parse(definitions(CAMUNDA7, ns=DMN11), resource_name="dish.dmn")
    info = model.decisions["dish"]
    assert (info.version_tag, info.kind, info.hit_policy) == ("v2", "decisionTable", "FIRST")
    assert info.output_names == ["desiredDish"]
    assert _value(model, "dish", season="Fall", guestCount=4) == "Spareribs"
    result = evaluate(model, "dish", {"season": "Winter", "guestCount": 12})
    assert result.value == "Roastbeef"  # camunda:inputVariable names the cell input
    assert result.matched_rules == ["r2", "r3"]
    assert result.rule_results == [{"desiredDish": "Roastbeef"}]
    assert (model.namespace, model.name) == ("http://baton.test/dmn", "Tests")
