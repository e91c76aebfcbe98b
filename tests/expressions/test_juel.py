"""JUEL: examples for every supported feature, the Camunda corpus, and properties.

The properties are the safety contract of the engine: whatever text or variables arrive,
parsing and evaluation end quickly with a value or an ``ExpressionError``, never another
exception (a workflow task must not crash on a diagram author's typo).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressions.errors import (
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    LimitExceeded,
)
from expressions.juel import (
    ExecutionContext,
    JuelDateTime,
    JuelExpression,
    TaskContext,
    evaluate,
    parse,
)
from expressions.limits import Budget, Limits

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "camunda"
NOW = dt.datetime(2024, 1, 31, 9, 30, tzinfo=dt.UTC)

VARS: dict[str, Any] = {
    "amount": 1500,
    "price": 2.5,
    "total": Decimal("10.50"),
    "name": "Ann",
    "blank": "",
    "nothing": None,
    "approved": True,
    "items": [1, 2, 3],
    "empty_list": [],
    "customer": {"name": "Bob", "tags": ["vip", "new"], "address": {"city": "Oslo"}},
    "empty_map": {},
    "numstr": "42",
    "floatstr": "1.5",
}


def ev(text: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return evaluate(text, VARS if variables is None else variables, **kwargs)


# -- composite text ----------------------------------------------------------------------


def test_pure_expression_returns_raw_value() -> None:
    assert ev("${amount}") == 1500
    assert ev("${items}") == [1, 2, 3]
    assert ev("${nothing}") is None
    assert ev("#{approved}") is True


def test_composite_text_concatenates_strings() -> None:
    assert ev("Hello ${name}!") == "Hello Ann!"
    assert ev("${name}${amount}") == "Ann1500"
    assert ev("a ${nothing} b") == "a  b"
    assert ev("${price} ${approved} ${items} ${customer.address}") == (
        "2.5 true [1, 2, 3] {city=Oslo}"
    )
    assert ev("x=${7/2} y=${4/2} z=${1e7}") == "x=3.5 y=2.0 z=1.0E7"


def test_plain_text_and_escapes() -> None:
    assert ev("no expression here") == "no expression here"
    assert parse("plain").is_literal
    assert ev(r"cost: \${amount}") == "cost: ${amount}"
    assert ev(r"\#{x} and ${name}") == "#{x} and Ann"
    assert ev("$ 5 and # 6 and \\n") == "$ 5 and # 6 and \\n"
    assert ev("") == ""


def test_deferred_and_immediate_cannot_mix() -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        parse("${a} #{b}")
    assert err.value.position == 5


# -- literals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${42}", 42),
        ("${1.5}", 1.5),
        ("${1e3}", 1000.0),
        ("${.5}", 0.5),
        ("${2.}", 2.0),
        ("${1.5E-2}", 0.015),
        ("${'it\\'s'}", "it's"),
        ('${"say \\"hi\\""}', 'say "hi"'),
        ("${'back\\\\slash'}", "back\\slash"),
        ("${'a}b'}", "a}b"),
        ("${true}", True),
        ("${false}", False),
        ("${null}", None),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_invalid_string_escape_is_a_syntax_error() -> None:
    with pytest.raises(ExpressionSyntaxError):
        parse("${'a\\nb'}")


# -- property access ---------------------------------------------------------------------


def test_property_access() -> None:
    assert ev("${customer.name}") == "Bob"
    assert ev("${customer['name']}") == "Bob"
    assert ev('${customer["address"].city}') == "Oslo"
    assert ev("${customer.tags[1]}") == "new"
    assert ev("${items[0] + items['2']}") == 4
    assert ev("${customer.missing}") is None
    assert ev("${items[7]}") is None
    assert ev("${items[-1]}") is None
    assert ev("${nothing.x.y}") is None
    assert ev("${customer[nothing]}") is None
    assert ev("${name['empty']}") is False


def test_unknown_variable_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="unknown variable 'ghost'") as err:
        ev("${amount > 1 && ghost}")
    assert err.value.position == 16


def test_unknown_property_of_a_value_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="property 'length' not found"):
        ev("${name.length}")
    with pytest.raises(EvaluationError, match="Boolean"):
        ev("${items[true]}")


# -- operators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${10 - 2 - 3}", 5),
        ("${7 / 2}", 3.5),
        ("${8 div 2}", 4.0),
        ("${7 % 3}", 1),
        ("${-7 mod 3}", -1),
        ("${7.5 % 2}", 1.5),
        ("${-amount}", -1500),
        ("${- -3}", 3),
        ("${nothing + 1}", 1),
        ("${nothing + nothing}", 0),
        ("${numstr + 1}", 43),
        ("${floatstr * 2}", 3.0),
        ("${'' + 1}", 1),
        ("${price * 2}", 5.0),
        ("${total + 1}", Decimal("11.50")),
        ("${total / 4}", Decimal("2.625")),
        ("${9223372036854775807 + 1}", -9223372036854775808),
        ("${9223372036854775808 + 1}", 9223372036854775809),
        ("${1 / 0}", math.inf),
        ("${-1 / 0}", -math.inf),
        ("${-'2'}", -2),
        ("${-'2.5'}", -2.5),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_zero_divided_by_zero_is_nan() -> None:
    assert math.isnan(ev("${0 / 0}"))


@pytest.mark.parametrize(
    "text", ["${1 % 0}", "${true + 1}", "${'abc' + 1}", "${items * 2}", "${-true}", "${'a'+'b'}"]
)
def test_arithmetic_errors(text: str) -> None:
    with pytest.raises(EvaluationError):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${amount > 1000}", True),
        ("${amount gt 1000}", True),
        ("${amount lt 1000}", False),
        ("${amount >= 1500 and amount le 1500}", True),
        ("${price < 3}", True),
        ("${numstr > 5}", True),
        ("${'abc' < 'abd'}", True),
        ("${name ge 'Ann'}", True),
        ("${nothing < 1}", False),
        ("${nothing > 1}", False),
        ("${nothing <= nothing}", True),
        ("${total > 10}", True),
        ("${false < true}", True),
        ("${1 == 1.0}", True),
        ("${'1' == 1}", True),
        ("${total == 10.5}", True),
        ("${amount eq 1500}", True),
        ("${amount != 1500}", False),
        ("${amount ne 1}", True),
        ("${nothing == null}", True),
        ("${null == 0}", False),
        ("${approved == 'true'}", True),
        ("${name == 'Ann'}", True),
        ("${items == items}", True),
        ("${0 / 0 == 0 / 0}", False),
    ],
)
def test_comparison(text: str, expected: bool) -> None:
    assert ev(text) is expected


@pytest.mark.parametrize("text", ["${'abc' > 1}", "${'abc' == 1}", "${items < items[0]}"])
def test_comparison_errors(text: str) -> None:
    with pytest.raises(EvaluationError):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${!approved}", False),
        ("${not approved}", False),
        ("${approved && amount > 1}", True),
        ("${approved and false}", False),
        ("${false || approved}", True),
        ("${false or false}", False),
        ("${'true' && 'TRUE'}", True),
        ("${nothing || blank}", False),
        ("${!nothing}", True),
        # short circuit: the unknown variable is never looked up
        ("${false && ghost}", False),
        ("${true || ghost}", True),
    ],
)
def test_logic(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_logic_on_a_number_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="Boolean"):
        ev("${amount && true}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${empty nothing}", True),
        ("${empty blank}", True),
        ("${empty empty_list}", True),
        ("${empty empty_map}", True),
        ("${empty name}", False),
        ("${empty items}", False),
        ("${empty amount}", False),
        ("${not empty customer.tags}", True),
        ("${empty customer.missing}", True),
    ],
)
def test_empty(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_ternary_and_precedence() -> None:
    assert ev("${amount > 1000 ? 'big' : 'small'}") == "big"
    assert ev("${amount > 9000 ? 'huge' : amount > 1000 ? 'big' : 'small'}") == "big"
    assert ev("${approved ? 1 : ghost}") == 1
    assert ev("${1 + 2 < 4 == true && !false}") is True
    assert ev("${-items[0] * 2}") == -2
    assert ev("${empty customer.tags || false}") is False


# -- methods -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${name.equals('Ann')}", True),
        ("${name.equals(1)}", False),
        ("${name.equalsIgnoreCase('ANN')}", True),
        ("${name.equalsIgnoreCase(null)}", False),
        ("${name.contains('n')}", True),
        ("${name.startsWith('A')}", True),
        ("${name.endsWith('x')}", False),
        ("${name.length()}", 3),
        ("${blank.isEmpty()}", True),
        ("${name.toUpperCase()}", "ANN"),
        ("${name.toLowerCase()}", "ann"),
        ("${'  pad \t'.trim()}", "pad"),
        ("${'abcdef'.substring(2)}", "cdef"),
        ("${'abcdef'.substring(1, 3)}", "bc"),
        ("${'abcabc'.indexOf('c')}", 2),
        ("${'abcabc'.indexOf('c', 3)}", 5),
        ("${'abc'.indexOf('z')}", -1),
        ("${'a-b-c'.replace('-', '+')}", "a+b+c"),
        ("${'a,b,,c,,'.split(',')}", ["a", "b", "", "c"]),
        ("${'a1b22c'.split('[0-9]+')}", ["a", "b", "c"]),
        ("${'a.b'.split('\\\\.')}", ["a", "b"]),
        ("${'x'.split(',')}", ["x"]),
        ("${'12-34'.matches('[0-9]+-[0-9]+')}", True),
        ("${'12-34'.matches('[0-9]+')}", False),
        ("${'abc'.charAt(1)}", "b"),
        ("${items.size()}", 3),
        ("${empty_list.isEmpty()}", True),
        ("${items.contains(2)}", True),
        ("${items.contains('2')}", False),
        ("${items.get(0)}", 1),
        ("${customer.containsKey('name')}", True),
        ("${customer.get('name')}", "Bob"),
        ("${customer.get('nope')}", None),
        ("${customer.address.keySet()}", ["city"]),
        ("${customer.address.values()}", ["Oslo"]),
        ("${customer.size()}", 3),
        ("${customer.prop('name').stringValue()}", "Bob"),
        ("${price.intValue()}", 2),
        ("${amount.doubleValue()}", 1500.0),
        ("${total.longValue()}", 10),
        ("${amount.toString()}", "1500"),
        ("${price.toString()}", "2.5"),
        ("${approved.toString()}", "true"),
        ("${items.toString()}", "[1, 2, 3]"),
        ("${amount.equals(1500)}", True),
        ("${amount.equals(1500.0)}", False),
        ("${customer.tags.get(0).toUpperCase().substring(1)}", "IP"),
    ],
)
def test_methods(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("${name.getClass()}", "method 'getClass' is not available on type String"),
        ("${name.__class__}", "property '__class__' not found"),
        ("${customer.__init__()}", "method '__init__'"),
        ("${name.upper()}", "method 'upper'"),
        ("${nothing.toString()}", "null"),
        ("${'abc'.substring(5)}", "out of range"),
        ("${items.get(5)}", "out of bounds"),
        ("${name.contains(null)}", "NullPointerException"),
        ("${name.length(1)}", "takes 0 argument"),
        ("${'aaa'.matches('(a+)+b')}", "nested quantifiers"),
        ("${'aaa'.matches('(a)\\\\1')}", "back-references"),
        ("${'aaa'.matches('[')}", "invalid regular expression"),
    ],
)
def test_method_errors(text: str, match: str) -> None:
    with pytest.raises(EvaluationError, match=match):
        ev(text)


def test_catastrophic_regex_is_refused_not_run() -> None:
    with pytest.raises(LimitExceeded, match="backtrack"):
        ev("${s.matches('.*.*.*x')}", {"s": "a" * 5000})


# -- context objects and functions -------------------------------------------------------


def test_execution_context() -> None:
    execution = ExecutionContext(
        business_key="BK-1", process_instance_id="pi-1", current_activity_id="approve"
    )
    specials = {"execution": execution}
    assert ev("${execution.getVariable('amount')}", specials=specials) == 1500
    assert ev("${execution.getVariable('ghost')}", specials=specials) is None
    assert ev("${execution.hasVariable('amount')}", specials=specials) is True
    assert ev("${execution.hasVariable('ghost')}", specials=specials) is False
    assert ev("${execution.processBusinessKey}", specials=specials) == "BK-1"
    assert ev("${execution.businessKey}", specials=specials) == "BK-1"
    assert ev("${execution.getProcessBusinessKey()}", specials=specials) == "BK-1"
    assert ev("${execution.processInstanceId}", specials=specials) == "pi-1"
    assert ev("${execution.currentActivityId}", specials=specials) == "approve"
    own = ExecutionContext(variables={"x": 1})
    assert ev("${execution.getVariable('x')}", specials={"execution": own}) == 1
    with pytest.raises(EvaluationError, match="method 'setVariable'"):
        ev("${execution.setVariable('x', 1)}", specials=specials)
    with pytest.raises(EvaluationError, match="property 'variables' not found"):
        ev("${execution.variables}", specials=specials)


def test_specials_shadow_variables() -> None:
    task = TaskContext(id="t1", name="Review", assignee="kermit")
    variables = {"task": "a variable", "amount": 3}
    assert evaluate("${task.assignee}", variables, specials={"task": task}) == "kermit"
    assert evaluate("${task.getVariable('amount')}", variables, specials={"task": task}) == 3
    assert evaluate("${task.name} ${task.id}", variables, specials={"task": task}) == "Review t1"


def test_date_time_functions_use_the_given_time() -> None:
    assert ev("${dateTime().plusWeeks(1).toDate()}", now=NOW) == NOW + dt.timedelta(weeks=1)
    assert ev("${dateTime().plusDays(2).toDate()}", now=NOW) == NOW + dt.timedelta(days=2)
    assert ev("${dateTime().plusMonths(1).toDate()}", now=NOW) == dt.datetime(
        2024, 2, 29, 9, 30, tzinfo=dt.UTC
    )
    assert ev("${now()}", now=NOW) == NOW
    assert isinstance(ev("${dateTime()}", now=NOW), JuelDateTime)
    assert ev("${dateTime()}", now=NOW).juel_string() == "2024-01-31T09:30:00.000+00:00"
    with pytest.raises(EvaluationError, match="current time"):
        ev("${dateTime()}")
    with pytest.raises(EvaluationError, match="unknown function 'system'"):
        ev("${system('ls')}")


# -- syntax errors and limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("${}", 2),
        ("${a +}", 5),
        ("${a", 3),
        ("x ${a b}", 6),
        ("${a = 1}", 4),
        ("${'abc}", 2),
        ("${a.}", 4),
        ("${a.and}", 4),
        ("${(a}", 4),
        ("${a ? b}", 7),
        ("${a instanceof b}", 4),
        ("${a[0](1)}", 6),
        ("${1e}", 3),
        ("${a @ b}", 4),
        ("${{}}", 2),
    ],
)
def test_syntax_errors_have_positions(text: str, position: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as err:
        parse(text)
    assert err.value.position == position
    assert err.value.source == text


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nest"):
        parse("${" + "(" * 10_000 + "1" + ")" * 10_000 + "}")
    with pytest.raises(ExpressionSyntaxError, match="nest"):
        parse("${" + "!" * 10_000 + "true}")
    with pytest.raises(ExpressionSyntaxError, match="nest"):
        parse("${" + "+".join(["1"] * 10_000) + "}")
    with pytest.raises(ExpressionSyntaxError, match="nest"):
        parse("${" + "a." * 10_000 + "b}")
    assert ev("${" + "(" * 50 + "1" + ")" * 50 + "}") == 1


def test_step_budget() -> None:
    text = "${" + " + ".join(["amount"] * 100) + "}"
    assert ev(text) == 150_000
    with pytest.raises(LimitExceeded):
        parse(text).evaluate(VARS, budget=Budget(Limits(max_steps=50)))


def test_size_limits() -> None:
    limits = Limits(max_string=1000)
    with pytest.raises(LimitExceeded):
        parse("${s.replace('a', 'aaaaaaaaaa')}").evaluate({"s": "a" * 500}, budget=Budget(limits))
    with pytest.raises(LimitExceeded):
        parse("${s}${s}${s}").evaluate({"s": "a" * 400}, budget=Budget(limits))
    with pytest.raises(LimitExceeded):
        parse("${s.split('')}").evaluate(
            {"s": "a" * 500}, budget=Budget(Limits(max_collection=100))
        )


def test_parse_is_cached_and_immutable() -> None:
    expr = parse("${amount > 1}")
    assert parse("${amount > 1}") is expr
    assert isinstance(expr, JuelExpression)
    with pytest.raises(AttributeError):
        expr.source = "x"  # type: ignore[misc]
    assert expr.evaluate({"amount": 2}) is True
    assert expr.evaluate({"amount": 0}) is False


def test_referenced_names() -> None:
    expr = parse("${a.b[c] + f(d) > (e ? g.m(h) : 1)} and ${execution.getVariable('x')}")
    assert expr.referenced_names() == {"a", "c", "d", "e", "g", "h", "execution"}


# -- the Camunda corpus ------------------------------------------------------------------


def _corpus_expressions() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.suffix not in (".bpmn", ".xml"):
            continue
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            continue
        for element in root.iter():
            if str(element.tag).rsplit("}", 1)[-1] == "script":
                continue  # Groovy/JavaScript bodies are not JUEL
            texts = list(element.attrib.values())
            if element.text:
                texts.append(element.text.strip())
            found += [(path.name, t) for t in texts if "${" in t or "#{" in t]
    return found


def test_every_camunda_corpus_expression_parses() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the Camunda corpus is not checked out at {CORPUS}")
    expressions = _corpus_expressions()
    assert len(expressions) >= 40
    failures = []
    for name, text in expressions:
        try:
            parse(text)
        except ExpressionSyntaxError as err:
            failures.append(f"{name}: {text!r}: {err}")
    assert not failures, "\n".join(failures)


def test_corpus_style_expressions_evaluate() -> None:
    variables = {
        "input": 2,
        "nrOfCompletedInstances": 3,
        "nrOfInstances": 5,
        "score": 6,
        "invoiceId": None,
        "x": 1,
        "loopCounter": 0,
    }
    assert evaluate("${input <= 2}", variables) is True
    assert evaluate("${nrOfCompletedInstances/nrOfInstances >= 0.6 }", variables) is True
    assert evaluate("${score > 5}", variables) is True
    assert evaluate("${invoiceId != null}", variables) is False
    assert evaluate("${x+5}", variables) == 6
    assert evaluate("My Task ${loopCounter}", variables) == "My Task 0"
    assert evaluate("${10}", variables) == 10
    with pytest.raises(EvaluationError, match="unknown variable 'jobAnnouncementService'"):
        evaluate("#{jobAnnouncementService.findEditor(jobAnnouncementId)}", variables)


# -- properties --------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [
        *"${}#()[].,?:!<>=&|+-*/%'\"\\ 0123456789abcxyz_eE",
        *["and", "or", "not", "empty", "div", "mod", "eq", "lt", "null", "true", "${", "#{"],
    ]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "x", "0"]), children, max_size=4)
    ),
    max_leaves=12,
)

PROPERTY_VARS = st.fixed_dictionaries(
    {"a": json_values, "b": json_values, "x": json_values, "s": st.text(max_size=30)}
)

_LEAVES = st.sampled_from(
    [
        "a",
        "b",
        "x",
        "s",
        "ghost",
        "1",
        "0",
        "-3",
        "2.5",
        "1e308",
        "9223372036854775807",
        "'abc'",
        "'1.5'",
        "''",
        "'a,b'",
        "null",
        "true",
        "false",
        "execution",
        "dateTime()",
    ]
)
_BINARY = st.sampled_from(
    ["+", "-", "*", "/", "%", "div", "mod", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "eq"]
)
_METHODS = st.sampled_from(
    [
        "size()",
        "length()",
        "get(0)",
        "get('a')",
        "contains('a')",
        "toString()",
        "substring(1)",
        "split(',')",
        "matches('[a-z]*')",
        "intValue()",
        "keySet()",
        "equals(1)",
        "getVariable('a')",
        "plusDays(1)",
        "toUpperCase()",
        "replace('a', 'bb')",
        "indexOf('b')",
        "isEmpty()",
    ]
)


def _trees(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, _BINARY, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["-", "!", "not ", "empty "]), inner).map("".join),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
            st.tuples(inner, st.sampled_from(["a", "b", "x", "name"])).map(
                "({0[0]}).{0[1]}".format
            ),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
            st.tuples(inner, _METHODS).map("({0[0]}).{0[1]}".format),
        )

    return st.recursive(leaf, extend, max_leaves=20)


def _only_expression_errors(text: str, variables: dict[str, Any]) -> None:
    try:
        expr = parse(text)
    except ExpressionSyntaxError as err:
        assert err.position is not None
        assert 0 <= err.position <= len(text)
        return
    specials = {"execution": ExecutionContext(business_key="bk")}
    with contextlib.suppress(ExpressionError):  # any other exception fails the test
        expr.evaluate(variables, specials=specials, now=NOW)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join), PROPERTY_VARS)
def test_random_text_raises_only_expression_errors(text: str, variables: dict[str, Any]) -> None:
    _only_expression_errors(text, variables)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), PROPERTY_VARS)
def test_arbitrary_unicode_raises_only_expression_errors(
    text: str, variables: dict[str, Any]
) -> None:
    _only_expression_errors("${" + text + "}", variables)
    _only_expression_errors(text, variables)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(_LEAVES), PROPERTY_VARS, st.sampled_from(["${%s}", "#{%s}", "v=${%s}!"]))
def test_random_operator_trees_raise_only_expression_errors(
    tree: str, variables: dict[str, Any], template: str
) -> None:
    text = template % tree
    parse(text)  # generated trees are always well-formed
    _only_expression_errors(text, variables)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.integers(1, 2**31))
def test_long_arithmetic_matches_java(a: int, b: int) -> None:
    def wrap(x: int) -> int:
        return (x + 2**63) % 2**64 - 2**63

    variables = {"a": a, "b": b}
    assert evaluate("${a + b}", variables) == wrap(a + b)
    assert evaluate("${a * b}", variables) == wrap(a * b)
    assert evaluate("${a % b}", variables) == (abs(a) % b) * (-1 if a < 0 else 1)
    assert evaluate("${a < b}", variables) is (a < b)


@pytest.mark.parametrize("op", ["%", "mod", "/", "div", "<"])
def test_a_signalling_nan_decimal_is_an_expression_value_not_a_crash(op: str) -> None:
    """Found by the operator-tree property: ``Decimal('sNaN')`` reached ``float()`` in the
    remainder and raised ValueError; it is a (quiet) NaN, as Java has no other."""
    nan = Decimal("sNaN")
    with contextlib.suppress(ExpressionError):
        evaluate(f"${{a {op} b}}", {"a": nan, "b": nan})
