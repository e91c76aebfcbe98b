"""``expressions/javascript.py`` and how the compiler hands JavaScript to it, without a
server: conventions (Camunda 7's ``execution``), conversions both ways, determinism
(Date, Math.random), the bounds and the one error family."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest

from bpmn_compiler.ir import Expression, ScriptTask
from expressions import compile_expression
from expressions.errors import (
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    LimitExceeded,
)
from expressions.javascript import (
    EXPRESSION_LIMITS,
    ExecutionContext,
    JsLimits,
    check_syntax,
    evaluate,
    is_javascript,
    run_script,
)
from tests.compiler.helpers import compile_text, one
from tests.support.bpmn import document, flows

NOW = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
EXECUTION = ExecutionContext(
    business_key="BK-1", process_instance_id="pi-1", current_activity_id="calc"
)


def run(source: str, limits: JsLimits | None = None) -> Any:
    """The script's value, run as element ``calc`` of instance ``pi-1``."""
    bounds = limits or JsLimits()
    return run_script(source, {}, now=NOW, execution=EXECUTION, limits=bounds).value


def test_variables_are_globals_and_the_last_value_is_the_result() -> None:
    outcome = run_script("var t = a + b.n; t * 2", {"a": 1, "b": {"n": 2}}, now=NOW)
    assert outcome.value == 6 and outcome.variables == {}


def test_execution_conventions() -> None:
    outcome = run_script(
        "execution.setVariable('y', execution.getVariable('x') + 1);"
        "execution.setVariable('z', execution.getVariable('y') * 10);"
        "[execution.getProcessInstanceId(), execution.getBusinessKey(),"
        " execution.getCurrentActivityId(), execution.getVariable('missing'),"
        " execution.hasVariable('x'), execution.hasVariable('nope')]",
        {"x": 1},
        now=NOW,
        execution=EXECUTION,
    )
    assert outcome.variables == {"y": 2, "z": 20}
    assert outcome.value == ["pi-1", "BK-1", "calc", None, True, False]


def test_values_convert_both_ways() -> None:
    variables = {
        "n": 1.5,
        "i": 7,
        "s": "ü",
        "b": True,
        "none": None,
        "list": [1, "two", None],
        "obj": {"k": [{"deep": 1}]},
        "when": NOW,
        "day": dt.date(2024, 1, 2),
        "money": Decimal("2.50"),
    }
    back = run_script(
        "[n, i, s, b, none, list, obj, when, day, money, typeof i, typeof when]", variables, now=NOW
    ).value
    assert back == [
        1.5,
        7,
        "ü",
        True,
        None,
        [1, "two", None],
        {"k": [{"deep": 1}]},
        "2024-05-01T12:30:00+00:00",
        "2024-01-02",
        2.5,
        "number",
        "string",
    ]
    out = run("({u: undefined, nan: NaN, big: 10n, d: new Date(0), f() {}, nested: [undefined]})")
    assert out == {"nan": None, "big": 10, "d": "1970-01-01T00:00:00.000Z", "nested": [None]}
    assert run("undefined") is None and run("2 ** 53") == 2**53 and run("0.1 + 0.2") == 0.1 + 0.2


def test_date_is_the_callers_clock_in_utc() -> None:
    assert run("Date.now()") == int(NOW.timestamp() * 1000)
    assert run("new Date().toISOString()") == "2024-05-01T12:30:00.000Z"
    assert run("[new Date().getHours(), new Date().getTimezoneOffset()]") == [12, 0]
    assert run("new Date(2020, 0, 2, 3).toISOString()") == "2020-01-02T03:00:00.000Z"
    assert run("new Date('2020-01-02T03:04').getTime()") == utc_ms(2020, 1, 2, 3, 4)
    assert run("new Date() instanceof Date && typeof Date()") is not None
    later = NOW + dt.timedelta(days=1)
    again = run_script("Date.now()", {}, now=later).value
    assert again == int(later.timestamp() * 1000)


def utc_ms(*parts: int) -> int:
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp() * 1000)


def test_math_random_is_seeded_by_instance_and_element() -> None:
    draws = "[Math.random(), Math.random(), Math.random()]"
    first, second = run(draws), run(draws)
    assert first == second and len(set(first)) == 3
    assert all(0 <= x < 1 for x in first)
    other = run_script(
        draws, {}, now=NOW, execution=ExecutionContext(process_instance_id="pi-2")
    ).value
    assert other != first


def test_no_io_nor_clocks_in_the_globals() -> None:
    assert (
        run(
            "[typeof require, typeof std, typeof os, typeof performance, typeof WeakRef,"
            " typeof fetch, typeof setTimeout, typeof print]"
        )
        == ["undefined"] * 8
    )


def test_a_runaway_loop_stops_at_its_time_bound() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"bound of 0.2 s of CPU time"):
        run("while (true) {}", limits=JsLimits(time_seconds=0.2))
    assert time.monotonic() - started < 2
    with pytest.raises(LimitExceeded):  # the interrupt cannot be caught
        run("for (;;) { try { while (true) {} } catch (e) {} }", limits=JsLimits(time_seconds=0.2))


@pytest.mark.parametrize(
    "bomb", ["var a = []; for (;;) a.push({x: a.length})", "var s = 'x'; for (;;) s += s"]
)
def test_a_memory_bomb_stops_at_its_memory_bound(bomb: str) -> None:
    with pytest.raises(LimitExceeded, match=r"more than its bound of 8 MB of memory"):
        run(bomb, limits=JsLimits(memory_bytes=8 * 1024 * 1024, time_seconds=5))


def test_deep_recursion_and_oversized_results_are_bounded() -> None:
    with pytest.raises(LimitExceeded, match="stack bound"):
        run("function f(n) { return f(n + 1) + 1; } f(0)")
    with pytest.raises(LimitExceeded, match="characters encoded"):
        run("'x'.repeat(2000)", limits=JsLimits(max_output_bytes=1000))


def test_errors_are_expression_errors() -> None:
    with pytest.raises(EvaluationError, match="the script threw Error: boom"):
        run("throw new Error('boom')")
    with pytest.raises(EvaluationError, match="ReferenceError: nope is not defined"):
        run("nope + 1")
    with pytest.raises(ExpressionSyntaxError):
        run("x +")
    with pytest.raises(ExpressionSyntaxError):
        check_syntax("if (")
    check_syntax("return 1")  # parsed as a function body: runs nothing
    with pytest.raises(ExpressionError):
        run_script("1", {"x": object()}, now=NOW)


def test_each_run_starts_afresh() -> None:
    with pytest.raises(LimitExceeded):
        run("var a = []; for (;;) a.push(a.length)", limits=JsLimits(memory_bytes=4 << 20))
    assert run("typeof a") == "undefined"
    assert run("Math.random = null; 1") == 1 and isinstance(run("Math.random()"), float)


def test_conditions_evaluate_through_compile_expression() -> None:
    expr = Expression(language="javascript", source="amount > 100 && execution.getVariable('ok')")
    compiled = compile_expression(expr)
    assert compiled.evaluate({"amount": 150, "ok": True}, now=NOW) is True
    assert compiled.evaluate({"amount": 50, "ok": True}, now=NOW) is False
    assert evaluate("1 + 1", {}, now=NOW) == 2
    assert EXPRESSION_LIMITS.time_seconds < 2  # the SDK's deadlock detection
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(Expression(language="javascript", source="amount >"))


@pytest.mark.parametrize("fmt", ["javascript", "JavaScript", "js", "ECMAScript", "nashorn"])
def test_javascript_formats(fmt: str) -> None:
    assert is_javascript(fmt)


@pytest.mark.parametrize("fmt", ["groovy", "python", "juel", "", None])
def test_other_formats(fmt: str | None) -> None:
    assert not is_javascript(fmt)


# -- the compiler


def _script_diagram(fmt: str, source: str = "x = 1") -> str:
    return document(
        '<bpmn:startEvent id="s"/>'
        f'<bpmn:scriptTask id="t" scriptFormat="{fmt}"><bpmn:script>{source}</bpmn:script>'
        '</bpmn:scriptTask><bpmn:endEvent id="e"/>' + flows("s>t", "t>e")
    )


def test_a_groovy_script_compiles_with_a_warning_naming_its_activity() -> None:
    result = compile_text(_script_diagram("groovy"))
    [warning] = [d for d in result.diagnostics if d.code == "script-needs-worker"]
    assert warning.severity.value == "warning" and warning.element_id == "t"
    assert warning.message == (
        "script format groovy runs as activity script.groovy: a worker must serve it "
        "(Camunda 7 ran it in its JVM)"
    )
    task = one(_script_diagram("groovy")).nodes["t"]
    assert isinstance(task, ScriptTask) and task.implementation.task_type == "script.groovy"


def test_a_javascript_script_compiles_without_warning_and_is_syntax_checked() -> None:
    result = compile_text(_script_diagram("JavaScript"))
    assert not [
        d
        for d in result.diagnostics
        if d.code in ("script-runs-as-activity", "script-needs-worker")
    ]
    bad = compile_text(_script_diagram("javascript", "x = ("))
    [error] = [d for d in bad.diagnostics if d.code == "expression-syntax"]
    assert error.element_id == "t" and "does not parse" in error.message


def test_a_javascript_condition_compiles_to_a_javascript_expression() -> None:
    xml = document(
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f_g_b"/>'
        '<bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
        '<bpmn:sequenceFlow id="f_s_g" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f_g_a" sourceRef="g" targetRef="a">'
        '<bpmn:conditionExpression language="javascript">amount &gt; 100'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_g_b" sourceRef="g" targetRef="b"/>'
    )
    definition = one(xml)
    assert definition.flows["f_g_a"].condition == Expression(
        language="javascript", source="amount > 100"
    )
    broken = compile_text(xml.replace("amount &gt; 100", "amount &gt;"))
    assert any(d.code == "expression-syntax" for d in broken.diagnostics)
