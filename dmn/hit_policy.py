"""Hit policies: from the rules that matched to a decision table's result.

Single-hit policies (UNIQUE, ANY, FIRST, PRIORITY) give one result (an output value, or a
context of them for a table with several outputs); multi-hit policies (RULE ORDER,
OUTPUT ORDER, COLLECT) give a list, which a COLLECT aggregation (SUM, MIN, MAX, COUNT)
folds to one number. A violated policy (two matches under UNIQUE, differing matches
under ANY) is an error in DMN; here it is null with a warning, like other FEEL errors.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from dmn import model as m
from expressions.feel.values import DECIMAL, compare, equals

Row = dict[str, Any]
SINGLE_HIT = frozenset({"UNIQUE", "ANY", "FIRST", "PRIORITY"})


def apply(
    table: m.DecisionTable,
    matches: list[Row],
    defaults: Row | None,
    warn: Callable[[str], None],
) -> tuple[Any, list[Row]]:
    """The table's value and its rule results (rows after the policy) for ``matches``
    (one row of output values per matched rule, in rule order)."""
    policy = table.hit_policy
    if not matches:
        if defaults is not None:
            return _shape(table, defaults), [defaults]
        if policy in SINGLE_HIT or table.aggregation is not None:
            return None, []
        return [], []
    if policy == "FIRST":
        rows = matches[:1]
    elif policy == "UNIQUE":
        if len(matches) > 1:
            warn(f"hit policy UNIQUE: {len(matches)} rules matched")
            return None, []
        rows = matches
    elif policy == "ANY":
        first = matches[0]
        if any(not _same_row(first, row) for row in matches[1:]):
            warn("hit policy ANY: matched rules give different outputs")
            return None, []
        rows = [first]
    elif policy in ("PRIORITY", "OUTPUT ORDER"):
        rows = sorted(matches, key=_priority_key(table))  # stable: ties keep rule order
        if policy == "PRIORITY":
            rows = rows[:1]
    else:  # RULE ORDER, COLLECT
        rows = matches
    if policy in SINGLE_HIT:
        return _shape(table, rows[0]), rows
    if table.aggregation is not None:
        name = next(iter(rows[0]))
        total = _aggregate(table.aggregation, [row[name] for row in rows], warn)
        return total, [{name: total}]
    return [_shape(table, row) for row in rows], rows


def _shape(table: m.DecisionTable, row: Row) -> Any:
    """One output: its value; several: a context of them."""
    if len(table.outputs) == 1:
        return next(iter(row.values()))
    return dict(row)


def _same_row(a: Row, b: Row) -> bool:
    return all(equals(a[k], b.get(k)) is True for k in a)


def _priority_key(table: m.DecisionTable) -> Callable[[Row], tuple[int, ...]]:
    """Rank of a row: for each output in order, the position of its value in that
    output's output values (earlier = higher priority); values not listed rank last."""
    priorities = [o.allowed or () for o in table.outputs]

    def key(row: Row) -> tuple[int, ...]:
        ranks = []
        for values, value in zip(priorities, row.values(), strict=False):
            rank = next((i for i, p in enumerate(values) if equals(p, value) is True), len(values))
            ranks.append(rank)
        return tuple(ranks)

    return key


def _aggregate(kind: str, values: list[Any], warn: Callable[[str], None]) -> Any:
    if kind == "COUNT":
        return Decimal(len(values))
    present = [v for v in values if v is not None]
    if not present:
        return None
    if kind == "SUM":
        if not all(isinstance(v, Decimal) for v in present):
            warn("COLLECT SUM over values that are not all numbers")
            return None
        total = Decimal(0)
        for v in present:
            total = DECIMAL.add(total, v)
        return total
    best = present[0]
    for v in present[1:]:
        order = compare(v, best)
        if order is None:
            warn(f"COLLECT {kind} over values that cannot be compared")
            return None
        if (order < 0) if kind == "MIN" else (order > 0):
            best = v
    return best
