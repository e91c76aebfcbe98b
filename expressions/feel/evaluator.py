"""FEEL evaluation: a syntax tree plus variables to a FEEL value.

FEEL semantics, not Python's: type errors, unknown names and failed calls evaluate to
``null`` (and leave a warning), ``and``/``or`` are three-valued, numbers are 34-digit
decimals. Work is bounded by a :class:`Budget`; only ``LimitExceeded`` escapes.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from expressions.errors import EvaluationError, LimitExceeded
from expressions.feel import ast, temporal
from expressions.feel.functions import (
    BUILTINS,
    BuiltinFunction,
    CallEnv,
    call_builtin,
    load_library,
)
from expressions.feel.parser import parse
from expressions.feel.values import (
    DECIMAL,
    FeelFunction,
    FeelRange,
    compare,
    equals,
    to_feel,
    type_name,
)
from expressions.limits import DEFAULT_LIMITS, Budget, Limits

load_library()


class Scope:
    """Variables visible to an expression: a chain of dicts, innermost first."""

    __slots__ = ("parent", "values")

    def __init__(self, values: dict[str, Any], parent: Scope | None = None) -> None:
        self.values = values
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.values:
                return True, scope.values[name]
            scope = scope.parent
        return False, None

    def child(self, values: dict[str, Any]) -> Scope:
        return Scope(values, self)


@dataclass
class Evaluation:
    """State of one evaluation: budget, clock, warnings."""

    budget: Budget
    now: dt.datetime | None = None
    warnings: list[str] = field(default_factory=list)
    #: DMN item definitions for ``instance of tPerson``: True/False, or None if unknown
    types: Callable[[Any, str], bool | None] | None = None

    def env(self) -> CallEnv:
        return CallEnv(budget=self.budget, now=self.now, warnings=self.warnings)


class UserFunction(FeelFunction):
    """A ``function(a, b) …`` value: a closure over the scope it was defined in."""

    def __init__(
        self, params: tuple[str, ...], body: ast.Node, scope: Scope, evaluation: Evaluation
    ) -> None:
        self.params = params
        self.body = body
        self.scope = scope
        self.evaluation = evaluation

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        if named:
            if not set(named) <= set(self.params):
                return None
            bound = {p: named.get(p) for p in self.params}
        else:
            if len(positional) > len(self.params):
                return None
            bound = {
                p: (positional[i] if i < len(positional) else None)
                for i, p in enumerate(self.params)
            }
        return _eval(self.body, self.scope.child(bound), self.evaluation)


_Handler = Callable[[Any, Scope, Evaluation], Any]
_HANDLERS: dict[type, _Handler] = {}


def _handles(node_type: type) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _HANDLERS[node_type] = fn
        return fn

    return register


def _eval(node: ast.Node, scope: Scope, ev: Evaluation) -> Any:
    ev.budget.step()
    handler = _HANDLERS.get(type(node))
    if handler is None:  # pragma: no cover - every node type has a handler
        raise EvaluationError(f"cannot evaluate {type(node).__name__}")
    return handler(node, scope, ev)


def _warn(ev: Evaluation, message: str) -> None:
    if len(ev.warnings) < 50:
        ev.warnings.append(message)


# ------------------------------------------------------------ literals, names


@_handles(ast.Literal)
def _literal(node: ast.Literal, _scope: Scope, _ev: Evaluation) -> Any:
    return node.value


@_handles(ast.TemporalLiteral)
def _temporal_literal(node: ast.TemporalLiteral, _scope: Scope, ev: Evaluation) -> Any:
    value = temporal.parse_at_literal(node.text)
    if value is None:
        _warn(ev, f"@{node.text!r} is not a date, time, date and time or duration")
    return value


@_handles(ast.Name)
def _name(node: ast.Name, scope: Scope, ev: Evaluation) -> Any:
    found, value = scope.lookup(node.name)
    if found:
        return value
    if node.name in BUILTINS:
        return BuiltinFunction(node.name, ev.env())
    _warn(ev, f"no variable {node.name!r}")
    return None


@_handles(ast.ListLiteral)
def _list(node: ast.ListLiteral, scope: Scope, ev: Evaluation) -> Any:
    ev.budget.collection(len(node.items))
    return [_eval(item, scope, ev) for item in node.items]


@_handles(ast.ContextLiteral)
def _context(node: ast.ContextLiteral, scope: Scope, ev: Evaluation) -> Any:
    result: dict[str, Any] = {}
    inner = scope.child(result)  # later entries see earlier ones
    for key, value in node.entries:
        if key in result:
            _warn(ev, f"duplicate context key {key!r}")
            return None
        result[key] = _eval(value, inner, ev)
    return result


@_handles(ast.RangeLiteral)
def _range(node: ast.RangeLiteral, scope: Scope, ev: Evaluation) -> Any:
    start = _eval(node.start, scope, ev) if node.start is not None else None
    end = _eval(node.end, scope, ev) if node.end is not None else None
    if (node.start is not None and start is None) or (node.end is not None and end is None):
        _warn(ev, "a range endpoint is null")
        return None  # an open end is written "< 10", never "(null..10)"
    if start is not None and end is not None and type_name(start) != type_name(end):
        _warn(ev, "range endpoints of different types")
        return None
    return FeelRange(start, end, node.start_included, node.end_included)


# ------------------------------------------------------------------- logic


def _as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


@_handles(ast.Binary)
def _binary(node: ast.Binary, scope: Scope, ev: Evaluation) -> Any:
    op = node.op
    if op in ("and", "or"):
        left = _as_bool(_eval(node.left, scope, ev))
        if op == "and" and left is False:
            return False
        if op == "or" and left is True:
            return True
        right = _as_bool(_eval(node.right, scope, ev))
        if op == "and":
            if right is False:
                return False
            return True if left is True and right is True else None
        if right is True:
            return True
        return False if left is False and right is False else None
    left = _eval(node.left, scope, ev)
    right = _eval(node.right, scope, ev)
    if op == "=":
        return equals(left, right)
    if op == "!=":
        same = equals(left, right)
        return None if same is None else not same
    if op in ("<", "<=", ">", ">="):
        order = compare(left, right)
        if order is None:
            return None
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    return _arithmetic(op, left, right, ev)


def _arithmetic(op: str, left: Any, right: Any, ev: Evaluation) -> Any:
    if left is None or right is None:
        return None
    try:
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            if op == "+":
                return DECIMAL.add(left, right)
            if op == "-":
                return DECIMAL.subtract(left, right)
            if op == "*":
                return DECIMAL.multiply(left, right)
            if op == "/":
                if right == 0:
                    _warn(ev, "division by zero")
                    return None
                return DECIMAL.divide(left, right)
            if op == "**":
                return _power(left, right, ev)
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            ev.budget.string(len(left) + len(right))
            return left + right
        if isinstance(left, bool) or isinstance(right, bool):
            return None
        handler = {
            "+": temporal.add,
            "-": temporal.subtract,
            "*": temporal.multiply,
            "/": temporal.divide,
        }.get(op)
        if handler is not None and (temporal.is_temporal(left) or temporal.is_temporal(right)):
            return handler(left, right)
    except (decimal.InvalidOperation, ArithmeticError, ValueError, OverflowError) as exc:
        _warn(ev, f"{op}: {exc}")
        return None
    _warn(ev, f"cannot apply {op} to {type_name(left)} and {type_name(right)}")
    return None


def _power(base: Decimal, exponent: Decimal, ev: Evaluation) -> Decimal | None:
    limit = ev.budget.limits.max_exponent
    if abs(exponent) > limit:
        raise LimitExceeded(f"an exponent above {limit} is not evaluated")
    if exponent == exponent.to_integral_value():
        return DECIMAL.power(base, int(exponent))
    if base < 0:
        return None
    return DECIMAL.power(base, exponent)


@_handles(ast.Unary)
def _unary(node: ast.Unary, scope: Scope, ev: Evaluation) -> Any:
    value = _eval(node.operand, scope, ev)
    if isinstance(value, Decimal):
        return DECIMAL.minus(value)
    if value is None or isinstance(value, bool):
        return None
    if temporal.is_temporal(value):
        return temporal.negate(value)
    _warn(ev, f"cannot negate {type_name(value)}")
    return None


@_handles(ast.Between)
def _between(node: ast.Between, scope: Scope, ev: Evaluation) -> Any:
    value = _eval(node.value, scope, ev)
    low = compare(value, _eval(node.low, scope, ev))
    high = compare(value, _eval(node.high, scope, ev))
    if low is None or high is None:
        return None
    return low >= 0 and high <= 0


def in_range(value: Any, rng: FeelRange) -> bool | None:
    if rng.start is not None:
        order = compare(value, rng.start)
        if order is None:
            return None
        if order < 0 or (order == 0 and not rng.start_included):
            return False
    if rng.end is not None:
        order = compare(value, rng.end)
        if order is None:
            return None
        if order > 0 or (order == 0 and not rng.end_included):
            return False
    return True


def _uses_input(node: ast.Node) -> bool:
    if isinstance(node, ast.Name):
        return node.name == "?"
    for value in vars(node).values():
        parts = value if isinstance(value, tuple) else (value,)
        for part in parts:
            if isinstance(part, tuple):
                part = part[-1] if part else None  # (name, node) pairs of named arguments
            if isinstance(part, ast.Node) and _uses_input(part):
                return True
    return False


def _test(test: ast.UnaryTest, value: Any, scope: Scope, ev: Evaluation) -> bool | None:
    if test.op == "not":
        results = [_test(t, value, scope, ev) for t in test.tests]
        if any(r is True for r in results):
            return False
        return True if all(r is False for r in results) else None
    assert test.operand is not None
    inner = scope.child({"?": value})
    operand = _eval(test.operand, inner, ev)
    if test.op == "==":  # an explicit "= x": plain equality, even for lists
        return equals(value, operand)
    if operand is None and isinstance(test.operand, ast.RangeLiteral):
        return None  # "(null..10]" is not a range
    if test.op == "=":
        if _uses_input(test.operand) and isinstance(operand, bool):
            return operand
        if isinstance(operand, FeelRange):
            return in_range(value, operand)
        if isinstance(operand, list):
            ev.budget.step(len(operand) // 16 + 1)
            for item in operand:
                hit = in_range(value, item) if isinstance(item, FeelRange) else equals(value, item)
                if hit is True:
                    return True
            return False
        if isinstance(operand, bool) and not isinstance(value, bool):
            return operand
        return equals(value, operand)
    if test.op == "!=":
        same = equals(value, operand)
        return None if same is None else not same
    order = compare(value, operand)
    if order is None:
        return None
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[test.op]


@_handles(ast.In)
def _in(node: ast.In, scope: Scope, ev: Evaluation) -> Any:
    value = _eval(node.value, scope, ev)
    results = [_test(t, value, scope, ev) for t in node.tests]
    if any(r is True for r in results):
        return True
    return False if all(r is False for r in results) else None


# ------------------------------------------------------------- instance of

_SIMPLE_TYPES = {
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "date and time": "date and time",
    "dateTime": "date and time",
    "days and time duration": "days and time duration",
    "dayTimeDuration": "days and time duration",
    "years and months duration": "years and months duration",
    "yearMonthDuration": "years and months duration",
    "context": "context",
    "list": "list",
    "range": "range",
    "function": "function",
}


def conforms(value: Any, spec: ast.TypeSpec) -> bool | None:
    """``value instance of spec``; None for a type name Baton cannot know (DMN item types)."""
    if spec.name == "Any":
        return value is not None
    if spec.name == "Null":
        return value is None
    if value is None:
        return False
    expected = _SIMPLE_TYPES.get(spec.name)
    if expected is None:
        return None
    if type_name(value) != expected:
        return False
    if spec.name == "list" and spec.args:
        results = [conforms(item, spec.args[0]) for item in value]
        return all(r is True for r in results)
    if spec.name == "context" and spec.fields:
        return all(k in value and conforms(value[k], t) is True for k, t in spec.fields)
    if spec.name == "range" and spec.args:
        ends = [e for e in (value.start, value.end) if e is not None]
        return all(conforms(e, spec.args[0]) is True for e in ends)
    if spec.name == "function" and (spec.args or spec.result):
        params = getattr(value, "params", ())
        return len(params) == len(spec.args)
    return True


@_handles(ast.InstanceOf)
def _instance_of(node: ast.InstanceOf, scope: Scope, ev: Evaluation) -> Any:
    value = _eval(node.value, scope, ev)
    result = conforms(value, node.type)
    if result is None and ev.types is not None and not node.type.args:
        return ev.types(value, node.type.name)
    return result


# ------------------------------------------------------- paths and filters


def _property(value: Any, name: str, ev: Evaluation) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    if isinstance(value, list):
        return [_property(item, name, ev) for item in value]
    if isinstance(value, FeelRange):
        return {
            "start": value.start,
            "end": value.end,
            "start included": value.start_included,
            "end included": value.end_included,
        }.get(name)
    if temporal.is_temporal(value):
        return temporal.property_of(value, name)
    if value is not None:
        _warn(ev, f"{type_name(value)} has no property {name!r}")
    return None


@_handles(ast.Path)
def _path(node: ast.Path, scope: Scope, ev: Evaluation) -> Any:
    return _property(_eval(node.target, scope, ev), node.name, ev)


@_handles(ast.Filter)
def _filter(node: ast.Filter, scope: Scope, ev: Evaluation) -> Any:
    """``list[3]`` (1-based, negative from the end) or ``list[item > 3]``.

    Whether the bracket holds an index or a condition is known only from its value: the
    first evaluation that yields a number makes it an index.
    """
    target = _eval(node.target, scope, ev)
    if target is None:
        return None
    items = target if isinstance(target, list) else [target]
    ev.budget.collection(len(items))
    if not items:
        probe = _eval(node.condition, scope, ev)
        return None if isinstance(probe, Decimal) else []
    kept = []
    for n, item in enumerate(items):
        # a context item's own entries win over the implicit name "item"
        values: dict[str, Any] = (
            {"item": item, **item} if isinstance(item, dict) else {"item": item}
        )
        result = _eval(node.condition, scope.child(values), ev)
        if n == 0 and isinstance(result, Decimal):
            return _index(items, result)
        if result is True:
            kept.append(item)
    return kept


def _index(items: list[Any], index: Decimal) -> Any:
    if index != index.to_integral_value() or index == 0:
        return None
    position = int(index)
    position = position - 1 if position > 0 else len(items) + position
    return items[position] if 0 <= position < len(items) else None


# ----------------------------------------------------------------- calls


@_handles(ast.Call)
def _call(node: ast.Call, scope: Scope, ev: Evaluation) -> Any:
    positional = [_eval(a, scope, ev) for a in node.args]
    named = {k: _eval(v, scope, ev) for k, v in node.named} if node.named is not None else None
    callee = node.callee
    if isinstance(callee, ast.Name):
        found, value = scope.lookup(callee.name)
        if found and isinstance(value, FeelFunction):
            return value.invoke(positional, named)
        if callee.name in BUILTINS:
            return call_builtin(callee.name, positional, named, ev.env())
        _warn(ev, f"no function {callee.name!r}")
        return None
    fn = _eval(callee, scope, ev)
    if isinstance(fn, FeelFunction):
        return fn.invoke(positional, named)
    _warn(ev, "the called value is not a function")
    return None


@_handles(ast.FunctionDefinition)
def _function(node: ast.FunctionDefinition, scope: Scope, ev: Evaluation) -> Any:
    if node.external:
        _warn(ev, "external functions are not supported")
        return None
    return UserFunction(node.params, node.body, scope, ev)


# ------------------------------------------------------------ iteration


@_handles(ast.If)
def _if(node: ast.If, scope: Scope, ev: Evaluation) -> Any:
    if _eval(node.condition, scope, ev) is True:
        return _eval(node.then, scope, ev)
    return _eval(node.otherwise, scope, ev)


def _domain(it: ast.Iteration, scope: Scope, ev: Evaluation) -> list[Any] | None:
    start = _eval(it.source, scope, ev)
    if it.end is None:
        if isinstance(start, list):
            return start
        if isinstance(start, FeelRange):
            return _expand(start.start, start.end, ev, start)
        return None if start is None else [start]
    return _expand(start, _eval(it.end, scope, ev), ev, None)


def _expand(start: Any, end: Any, ev: Evaluation, rng: FeelRange | None) -> list[Any] | None:
    if not (isinstance(start, Decimal) and isinstance(end, Decimal)):
        if (
            isinstance(start, dt.date)
            and isinstance(end, dt.date)
            and not isinstance(start, dt.datetime)
        ):
            try:
                days = (end - start).days
                ev.budget.collection(abs(days) + 1)
                step = 1 if days >= 0 else -1
                return [start + dt.timedelta(days=d) for d in range(0, days + step, step)]
            except (TypeError, OverflowError, ValueError):
                return None  # years outside Python's calendar
        return None
    if start != start.to_integral_value() or end != end.to_integral_value():
        return None
    a, b = int(start), int(end)
    if rng is not None and a > b:
        return None  # "[2..1]" is not a valid range
    ev.budget.collection(abs(b - a) + 1)
    step = 1 if b >= a else -1
    values = [Decimal(v) for v in range(a, b + step, step)]
    if rng is not None:
        values = [v for v in values if in_range(v, rng) is True]
    return values


def _combinations(
    iterations: tuple[ast.Iteration, ...], scope: Scope, ev: Evaluation
) -> Iterable[Scope] | None:
    def walk(k: int, current: Scope) -> Iterable[Scope]:
        if k == len(iterations):
            yield current
            return
        domain = _domain(iterations[k], current, ev)
        if domain is None:
            raise _NullDomain
        for value in domain:
            ev.budget.step()
            yield from walk(k + 1, current.child({iterations[k].name: value}))

    return walk(0, scope)


class _NullDomain(Exception):
    pass


@_handles(ast.For)
def _for(node: ast.For, scope: Scope, ev: Evaluation) -> Any:
    results: list[Any] = []
    try:
        for inner in _combinations(node.iterations, scope, ev) or ():
            # "partial" is the results so far; shared, not copied (a copy per step is O(n²))
            value = _eval(node.body, inner.child({"partial": results}), ev)
            # "return partial" must not put the list inside itself
            results.append(list(results) if value is results else value)
    except _NullDomain:
        return None
    return results


@_handles(ast.Quantified)
def _quantified(node: ast.Quantified, scope: Scope, ev: Evaluation) -> Any:
    some = node.quantifier == "some"
    saw_null = False
    try:
        for inner in _combinations(node.iterations, scope, ev) or ():
            result = _eval(node.condition, inner, ev)
            if some and result is True:
                return True
            if not some and result is False:
                return False
            if result is not True and result is not False:
                saw_null = True
    except _NullDomain:
        return None
    if saw_null:
        return None
    return not some


# -------------------------------------------------------------- public API


def evaluate_in(node: ast.Node, scope: Scope, ev: Evaluation) -> Any:
    """Evaluate within an enclosing scope and evaluation (DMN boxed expressions nest
    FEEL this way: a context entry sees the entries before it, a BKM its parameters)."""
    return _eval(node, scope, ev)


def unary_tests_match(
    tests: Sequence[ast.UnaryTest], value: Any, scope: Scope, ev: Evaluation
) -> bool | None:
    """Whether ``value`` passes a decision table cell's tests: True if any test is
    True, False if all are False, otherwise None (null)."""
    results = [_test(t, value, scope, ev) for t in tests]
    if any(r is True for r in results):
        return True
    return False if all(r is False for r in results) else None


@lru_cache(maxsize=2048)
def _parse_cached(source: str, names: frozenset[str]) -> ast.Node:
    return parse(source, names)


@dataclass(frozen=True)
class FeelResult:
    value: Any
    warnings: tuple[str, ...]


def evaluate_node(
    node: ast.Node,
    variables: dict[str, Any],
    *,
    now: dt.datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> FeelResult:
    ev = Evaluation(budget=Budget(limits), now=now)
    try:
        # the thread's own decimal settings must never leak into FEEL arithmetic
        with decimal.localcontext(DECIMAL):
            scope = Scope({k: to_feel(v) for k, v in variables.items()})
            value = _eval(node, scope, ev)
    except RecursionError as exc:
        raise LimitExceeded("the expression or its data nests too deeply") from exc
    return FeelResult(value, tuple(ev.warnings))


def evaluate_source(
    source: str,
    variables: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> FeelResult:
    """Parse (cached) and evaluate; the value and the warnings explaining any null."""
    variables = variables or {}
    names = frozenset(k for k in variables if not k.isidentifier())
    node = _parse_cached(source, names)
    return evaluate_node(node, variables, now=now, limits=limits)


def evaluate_text(
    source: str,
    variables: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """Parse (cached) and evaluate; returns the FEEL value (None on FEEL errors)."""
    return evaluate_source(source, variables, now=now, limits=limits).value
