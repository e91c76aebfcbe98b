"""FEEL range functions: ``range(from)`` (DMN 1.5) and the interval-algebra functions
of DMN 1.4 §10.3.4.13 (``before``, ``after``, ``meets``, ``met by``, ``overlaps``,
``overlaps before``, ``overlaps after``, ``finishes``, ``finished by``, ``includes``,
``during``, ``starts``, ``started by``, ``coincides``).

Each interval function takes points or ranges. Every overload is registered (so named
arguments such as ``before(point: 1, range: [2..3])`` bind), and all of them dispatch on
the runtime types of the two arguments. Range endpoints ``None`` mean unbounded (the
``< 5`` ranges of unary tests). Incomparable endpoints make the result null.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from expressions.errors import ExpressionError
from expressions.feel.functions import CallEnv, builtin, call_builtin
from expressions.feel.values import FeelRange, compare, type_name

# ------------------------------------------------------------ range(from)

_TEMPORAL_CONSTRUCTORS = frozenset({"date", "time", "date and time", "duration"})
_MAX_RANGE_TEXT = 10_000


def _endpoint(node: Any, env: CallEnv) -> Any:
    """The value of a range-literal endpoint: a literal, or a temporal constructor
    applied to one string literal. Anything else is not allowed (→ error)."""
    from expressions.feel import ast, temporal

    if isinstance(node, ast.Literal):
        if isinstance(node.value, Decimal | str):
            return node.value
        raise ValueError("range: endpoint must be a number, string or temporal literal")
    if (
        isinstance(node, ast.Unary)
        and node.op == "-"
        and isinstance(node.operand, ast.Literal)
        and isinstance(node.operand.value, Decimal)
    ):
        return -node.operand.value
    if isinstance(node, ast.TemporalLiteral):
        value = temporal.parse_at_literal(node.text)
        if value is None:
            raise ValueError(f"range: invalid temporal literal @{node.text!r}")
        return value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.callee, ast.Name)
        and node.callee.name in _TEMPORAL_CONSTRUCTORS
        and not node.named
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Literal)
        and isinstance(node.args[0].value, str)
    ):
        value = call_builtin(node.callee.name, [node.args[0].value], None, env)
        if value is None:
            raise ValueError("range: invalid temporal endpoint")
        return value
    raise ValueError("range: endpoints must be literals")


@builtin("range", "from")
def range_(source: Any, *, env: CallEnv) -> FeelRange | None:
    from expressions.feel import ast
    from expressions.feel.parser import parse

    if not isinstance(source, str):
        raise TypeError("range: from must be a string")
    if len(source) > _MAX_RANGE_TEXT:
        raise ValueError("range: text too long")
    try:
        node = parse(source)
    except ExpressionError:
        return None
    if not isinstance(node, ast.RangeLiteral) or node.start is None or node.end is None:
        return None
    start = _endpoint(node.start, env)
    end = _endpoint(node.end, env)
    if type_name(start) != type_name(end):
        return None
    order = compare(start, end)
    if order is None or order > 0:
        return None
    return FeelRange(start, end, node.start_included, node.end_included)


# ------------------------------------------------------------ comparisons

# Endpoint kinds: a finite value, or unbounded below/above.
_LOW, _VALUE, _HIGH = -1, 0, 1


class _Ep:
    """A range endpoint or a point, with None-as-infinity handled explicitly."""

    __slots__ = ("kind", "value")

    def __init__(self, value: Any, kind: int) -> None:
        self.value = value
        self.kind = kind


def _cmp(a: _Ep, b: _Ep) -> int:
    if a.kind != _VALUE or b.kind != _VALUE:
        return (a.kind > b.kind) - (a.kind < b.kind)
    order = compare(a.value, b.value)
    if order is None:
        raise TypeError(f"cannot compare {type_name(a.value)} with {type_name(b.value)}")
    return order


def _lt(a: _Ep, b: _Ep) -> bool:
    return _cmp(a, b) < 0


def _gt(a: _Ep, b: _Ep) -> bool:
    return _cmp(a, b) > 0


def _eq(a: _Ep, b: _Ep) -> bool:
    return _cmp(a, b) == 0


class _R:
    __slots__ = ("end", "end_in", "start", "start_in")

    def __init__(self, rng: FeelRange) -> None:
        self.start = _Ep(rng.start, _LOW if rng.start is None else _VALUE)
        self.end = _Ep(rng.end, _HIGH if rng.end is None else _VALUE)
        self.start_in = bool(rng.start_included) and rng.start is not None
        self.end_in = bool(rng.end_included) and rng.end is not None


def _point(value: Any) -> _Ep:
    if value is None or isinstance(value, FeelRange | list | dict | bool):
        raise TypeError("expected a point or a range")
    return _Ep(value, _VALUE)


def _range(value: Any) -> _R:
    if not isinstance(value, FeelRange):
        raise TypeError("expected a range")
    return _R(value)


# ------------------------------------------------------ interval algebra

PP = Callable[[_Ep, _Ep], bool]
PR = Callable[[_Ep, _R], bool]
RP = Callable[[_R, _Ep], bool]
RR = Callable[[_R, _R], bool]


def _dispatch(pp: PP | None, pr: PR | None, rp: RP | None, rr: RR | None) -> Callable[..., Any]:
    def run(a: Any, b: Any) -> bool:
        a_range, b_range = isinstance(a, FeelRange), isinstance(b, FeelRange)
        if a_range and b_range and rr is not None:
            return rr(_range(a), _range(b))
        if a_range and not b_range and rp is not None:
            return rp(_range(a), _point(b))
        if not a_range and b_range and pr is not None:
            return pr(_point(a), _range(b))
        if not a_range and not b_range and pp is not None:
            return pp(_point(a), _point(b))
        raise TypeError("this combination of points and ranges is not supported")

    return run


def _register(name: str, signatures: list[tuple[str, str]], impl: Callable[..., Any]) -> None:
    for first, second in signatures:
        builtin(name, first, second)(impl)


_ALL = [("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2")]
_RANGES = [("range1", "range2")]


# before / after


def _before_pr(p: _Ep, r: _R) -> bool:
    return _lt(p, r.start) or (_eq(p, r.start) and not r.start_in)


def _before_rp(r: _R, p: _Ep) -> bool:
    return _lt(r.end, p) or (_eq(r.end, p) and not r.end_in)


def _before_rr(r1: _R, r2: _R) -> bool:
    return _lt(r1.end, r2.start) or ((not r1.end_in or not r2.start_in) and _eq(r1.end, r2.start))


_register("before", _ALL, _dispatch(_lt, _before_pr, _before_rp, _before_rr))


def _after_pr(p: _Ep, r: _R) -> bool:
    return _gt(p, r.end) or (_eq(p, r.end) and not r.end_in)


def _after_rp(r: _R, p: _Ep) -> bool:
    return _gt(r.start, p) or (_eq(r.start, p) and not r.start_in)


def _after_rr(r1: _R, r2: _R) -> bool:
    return _gt(r1.start, r2.end) or ((not r1.start_in or not r2.end_in) and _eq(r1.start, r2.end))


_register("after", _ALL, _dispatch(_gt, _after_pr, _after_rp, _after_rr))


# meets / met by


def _meets(r1: _R, r2: _R) -> bool:
    return r1.end_in and r2.start_in and _eq(r1.end, r2.start)


def _met_by(r1: _R, r2: _R) -> bool:
    return r1.start_in and r2.end_in and _eq(r1.start, r2.end)


_register("meets", _RANGES, _dispatch(None, None, None, _meets))
_register("met by", _RANGES, _dispatch(None, None, None, _met_by))


# overlaps / overlaps before / overlaps after


def _overlaps(r1: _R, r2: _R) -> bool:
    return (_gt(r1.end, r2.start) or (_eq(r1.end, r2.start) and r1.end_in and r2.start_in)) and (
        _lt(r1.start, r2.end) or (_eq(r1.start, r2.end) and r1.start_in and r2.end_in)
    )


def _overlaps_before(r1: _R, r2: _R) -> bool:
    return (
        (_lt(r1.start, r2.start) or (_eq(r1.start, r2.start) and r1.start_in and not r2.start_in))
        and (_gt(r1.end, r2.start) or (_eq(r1.end, r2.start) and r1.end_in and r2.start_in))
        and (_lt(r1.end, r2.end) or (_eq(r1.end, r2.end) and (not r1.end_in or r2.end_in)))
    )


def _overlaps_after(r1: _R, r2: _R) -> bool:
    return (
        (_lt(r2.start, r1.start) or (_eq(r2.start, r1.start) and r2.start_in and not r1.start_in))
        and (_gt(r2.end, r1.start) or (_eq(r2.end, r1.start) and r2.end_in and r1.start_in))
        and (_lt(r2.end, r1.end) or (_eq(r2.end, r1.end) and (not r2.end_in or r1.end_in)))
    )


_register("overlaps", _RANGES, _dispatch(None, None, None, _overlaps))
_register("overlaps before", _RANGES, _dispatch(None, None, None, _overlaps_before))
_register("overlaps after", _RANGES, _dispatch(None, None, None, _overlaps_after))


# finishes / finished by


def _finishes_pr(p: _Ep, r: _R) -> bool:
    return r.end_in and _eq(r.end, p)


def _finishes_rr(r1: _R, r2: _R) -> bool:
    return (
        r1.end_in == r2.end_in
        and _eq(r1.end, r2.end)
        and (
            _gt(r1.start, r2.start)
            or (_eq(r1.start, r2.start) and (not r1.start_in or r2.start_in))
        )
    )


def _finished_by_rp(r: _R, p: _Ep) -> bool:
    return r.end_in and _eq(r.end, p)


def _finished_by_rr(r1: _R, r2: _R) -> bool:
    return (
        r1.end_in == r2.end_in
        and _eq(r1.end, r2.end)
        and (
            _lt(r1.start, r2.start)
            or (_eq(r1.start, r2.start) and (r1.start_in or not r2.start_in))
        )
    )


_register(
    "finishes",
    [("point", "range"), ("range1", "range2")],
    _dispatch(None, _finishes_pr, None, _finishes_rr),
)
_register(
    "finished by",
    [("range", "point"), ("range1", "range2")],
    _dispatch(None, None, _finished_by_rp, _finished_by_rr),
)


# includes / during


def _includes_rp(r: _R, p: _Ep) -> bool:
    return (
        (_lt(r.start, p) and _gt(r.end, p))
        or (_eq(r.start, p) and r.start_in)
        or (_eq(r.end, p) and r.end_in)
    )


def _includes_rr(r1: _R, r2: _R) -> bool:
    return (
        _lt(r1.start, r2.start) or (_eq(r1.start, r2.start) and (r1.start_in or not r2.start_in))
    ) and (_gt(r1.end, r2.end) or (_eq(r1.end, r2.end) and (r1.end_in or not r2.end_in)))


def _during_pr(p: _Ep, r: _R) -> bool:
    return _includes_rp(r, p)


def _during_rr(r1: _R, r2: _R) -> bool:
    return _includes_rr(r2, r1)


_register(
    "includes",
    [("range", "point"), ("range1", "range2")],
    _dispatch(None, None, _includes_rp, _includes_rr),
)
_register(
    "during",
    [("point", "range"), ("range1", "range2")],
    _dispatch(None, _during_pr, None, _during_rr),
)


# starts / started by


def _starts_pr(p: _Ep, r: _R) -> bool:
    return r.start_in and _eq(r.start, p)


def _starts_rr(r1: _R, r2: _R) -> bool:
    return (
        _eq(r1.start, r2.start)
        and r1.start_in == r2.start_in
        and (_gt(r2.end, r1.end) or (_eq(r1.end, r2.end) and (not r1.end_in or r2.end_in)))
    )


def _started_by_rp(r: _R, p: _Ep) -> bool:
    return r.start_in and _eq(r.start, p)


def _started_by_rr(r1: _R, r2: _R) -> bool:
    return (
        _eq(r1.start, r2.start)
        and r1.start_in == r2.start_in
        and (_gt(r1.end, r2.end) or (_eq(r1.end, r2.end) and (r1.end_in or not r2.end_in)))
    )


_register(
    "starts",
    [("point", "range"), ("range1", "range2")],
    _dispatch(None, _starts_pr, None, _starts_rr),
)
_register(
    "started by",
    [("range", "point"), ("range1", "range2")],
    _dispatch(None, None, _started_by_rp, _started_by_rr),
)


# coincides


def _coincides_rr(r1: _R, r2: _R) -> bool:
    return (
        _eq(r1.start, r2.start)
        and r1.start_in == r2.start_in
        and _eq(r1.end, r2.end)
        and r1.end_in == r2.end_in
    )


_register(
    "coincides",
    [("point1", "point2"), ("range1", "range2")],
    _dispatch(_eq, None, None, _coincides_rr),
)
