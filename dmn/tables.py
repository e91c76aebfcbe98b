"""Decision tables: reading them from XML and checking their shape.

A table's hit policy, its cells' FEEL and its rules' arity are checked here, when the model
is parsed: an unknown hit policy or a rule with a missing cell is an error diagnostic
pointing at the table or rule (element id and line), not a runtime surprise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from dmn import model as m
from dmn.boxed import AGGREGATIONS, CAMUNDA_NS, HIT_POLICIES, child, children, line_of, text_of
from expressions.feel import ast

if TYPE_CHECKING:
    from dmn.boxed import Reader

#: Camunda 7 writes hit policies in title case ("Unique", "Rule Order") in DMN 1.1 files
#: exported by some tools; the standard spelling is upper case with a space.
_ALIASES = {"RULE_ORDER": "RULE ORDER", "OUTPUT_ORDER": "OUTPUT ORDER"}


def read_table(reader: Reader, el: etree._Element) -> m.Expr:
    policy = (el.get("hitPolicy") or "UNIQUE").strip().upper()
    policy = _ALIASES.get(policy, policy)
    if policy not in HIT_POLICIES:
        reader.report("DMN-HIT-POLICY", f"unknown hit policy {el.get('hitPolicy')!r}", el)
        policy = "UNIQUE"
    aggregation = el.get("aggregation")
    if aggregation is not None:
        aggregation = aggregation.strip().upper()
        if aggregation not in AGGREGATIONS:
            reader.report("DMN-AGGREGATION", f"unknown aggregation {aggregation!r}", el)
            aggregation = None
        elif policy != "COLLECT":
            reader.report(
                "DMN-AGGREGATION", f"aggregation {aggregation} needs hit policy COLLECT", el
            )
            aggregation = None

    inputs = tuple(_input(reader, i) for i in children(el, "input"))
    outputs = tuple(_output(reader, o) for o in children(el, "output"))
    if not outputs:
        reader.report("DMN-TABLE", "a decision table needs at least one output", el)
    if len(outputs) > 1 and aggregation is not None:
        reader.report("DMN-AGGREGATION", "an aggregation needs a single output", el)
        aggregation = None
    rules: list[m.Rule] = []
    for rule in children(el, "rule"):
        entries = children(rule, "inputEntry")
        results = children(rule, "outputEntry")
        if len(entries) != len(inputs) or len(results) != len(outputs):
            reader.report(
                "DMN-RULE",
                f"the rule has {len(entries)} input and {len(results)} output entries; "
                f"the table has {len(inputs)} inputs and {len(outputs)} outputs",
                rule,
            )
            continue
        rules.append(
            m.Rule(
                rule.get("id") or f"rule-{len(rules) + 1}",
                line_of(rule),
                tuple(reader.tests(text_of(e), e) for e in entries),
                tuple(reader.literal(r) for r in results),
            )
        )
    return m.DecisionTable(
        el.get("id"),
        line_of(el),
        el.get("typeRef"),
        inputs,
        outputs,
        tuple(rules),
        policy,
        aggregation,
    )


def _input(reader: Reader, el: etree._Element) -> m.InputClause:
    expression = child(el, "inputExpression")
    if expression is None:
        reader.report("DMN-TABLE", "an input needs an inputExpression", el)
        literal = m.Literal(el.get("id"), line_of(el), None, "", None)
    else:
        literal = reader.literal(expression)
    values = child(el, "inputValues")
    allowed = reader.tests(text_of(values), values) if values is not None else None
    return m.InputClause(
        el.get("id"),
        el.get("label"),
        literal,
        allowed if allowed is not None and allowed.tests is not None else None,
        literal.type_ref,
        el.get(f"{{{CAMUNDA_NS}}}inputVariable"),
    )


def _output(reader: Reader, el: etree._Element) -> m.OutputClause:
    values = child(el, "outputValues")
    allowed_tests = reader.tests(text_of(values), values) if values is not None else None
    priorities: tuple[Any, ...] | None = None
    if allowed_tests is not None and allowed_tests.tests is not None:
        priorities = tuple(_constant(t) for t in allowed_tests.tests)
    default = child(el, "defaultOutputEntry")
    return m.OutputClause(
        el.get("id"),
        el.get("name"),
        el.get("typeRef"),
        priorities,
        allowed_tests if allowed_tests is not None and allowed_tests.tests is not None else None,
        reader.literal(default) if default is not None else None,
    )


def _constant(test: ast.UnaryTest) -> Any:
    """The value an output value entry names (``"high"``, ``10``); priorities compare
    outputs against these."""
    if test.op == "=" and isinstance(test.operand, ast.Literal):
        return test.operand.value
    if (
        test.op == "="
        and isinstance(test.operand, ast.Unary)
        and test.operand.op == "-"
        and isinstance(test.operand.operand, ast.Literal)
    ):
        return -test.operand.operand.value
    return None
