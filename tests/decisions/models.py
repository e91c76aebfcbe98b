"""The decision and diagrams the decision tests deploy (Baton's own, written for them)."""

from __future__ import annotations

from tests.support.bpmn import diagram, flows

#: Discount by customer type and order total: a UNIQUE decision table, a literal
#: expression decision that requires it, and an input data with a typeRef.
DISCOUNT_DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
             xmlns:camunda="http://camunda.org/schema/1.0/dmn"
             id="pricing" name="Pricing" namespace="http://baton.test/pricing">
  <decision id="discount" name="Discount" camunda:versionTag="v1">
    <decisionTable id="discountTable" hitPolicy="UNIQUE">
      <input id="inCustomer" label="Customer type">
        <inputExpression id="inCustomerExpr" typeRef="string">
          <text>customerType</text></inputExpression>
      </input>
      <input id="inTotal" label="Order total">
        <inputExpression id="inTotalExpr" typeRef="number"><text>orderTotal</text></inputExpression>
      </input>
      <output id="outRate" name="rate" typeRef="number"/>
      <output id="outReason" name="reason" typeRef="string"/>
      <rule id="gold"><inputEntry id="g1"><text>"gold"</text></inputEntry>
        <inputEntry id="g2"><text>-</text></inputEntry>
        <outputEntry id="g3"><text>0.15</text></outputEntry>
        <outputEntry id="g4"><text>"gold customer"</text></outputEntry></rule>
      <rule id="bigOrder"><inputEntry id="b1"><text>"regular"</text></inputEntry>
        <inputEntry id="b2"><text>&gt;= 1000</text></inputEntry>
        <outputEntry id="b3"><text>0.05</text></outputEntry>
        <outputEntry id="b4"><text>"large order"</text></outputEntry></rule>
      <rule id="none"><inputEntry id="n1"><text>"regular"</text></inputEntry>
        <inputEntry id="n2"><text>&lt; 1000</text></inputEntry>
        <outputEntry id="n3"><text>0</text></outputEntry>
        <outputEntry id="n4"><text>"no discount"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="price" name="Price">
    <variable name="Price" typeRef="number"/>
    <informationRequirement id="reqDiscount">
      <requiredDecision href="#discount"/></informationRequirement>
    <literalExpression id="priceExpr">
      <text>orderTotal * (1 - Discount.rate)</text></literalExpression>
  </decision>
</definitions>
"""


def discount_process(map_result: str = "singleResult") -> tuple[str, bytes]:
    """A business-rule task calling ``discount`` (Camunda 7), then ``price`` (Zeebe)."""
    return diagram(
        "pricing-order",
        '<bpmn:startEvent id="s"/>'
        '<bpmn:businessRuleTask id="decide" name="Decide discount" '
        'camunda:decisionRef="discount" camunda:resultVariable="discount" '
        f'camunda:mapDecisionResult="{map_result}"/>'
        '<bpmn:endEvent id="e"/>' + flows("s>decide", "decide>e"),
    )
