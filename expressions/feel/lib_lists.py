"""FEEL list functions (DMN 1.5 §10.3.4.4).

A non-list argument where a list is expected is treated as a singleton list (the spec's
implicit conversion), except ``null``, which makes the call ``null``. Positions are
1-based; negative positions count from the end. Functions that the spec lets take either
one list or several items (``max([1, 2])`` and ``max(1, 2)``) are registered twice: the
list overload first, then the variadic one; a variadic call with no argument is null.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from expressions.feel.functions import CallEnv, builtin
from expressions.feel.values import DECIMAL, FeelFunction, compare, equals

# ------------------------------------------------------------------ helpers


def _list(value: Any) -> list[Any]:
    if value is None:
        raise TypeError("expected a list, got null")
    return value if isinstance(value, list) else [value]


def _varargs(items: list[Any]) -> list[Any]:
    if not items:
        raise TypeError("no arguments")
    return items


def _numbers(items: list[Any]) -> list[Decimal]:
    for item in items:
        if not isinstance(item, Decimal):
            raise TypeError("expected a list of numbers")
    return items


def _position(value: Any) -> int:
    if not isinstance(value, Decimal):
        raise TypeError("position must be a number")
    return int(value)  # truncates toward zero, like the spec's integer conversion


def _index(size: int, position: int) -> int:
    """0-based index of a 1-based (or negative, from the end) position inside a list."""
    if 1 <= position <= size:
        return position - 1
    if -size <= position <= -1:
        return size + position
    raise IndexError(f"position {position} outside a list of {size} items")


def _same(a: Any, b: Any) -> bool:
    return equals(a, b) is True


def _key(item: Any) -> tuple[str, Any] | None:
    """A hashable identity for values whose FEEL equality is Python equality."""
    if isinstance(item, bool):
        return ("b", item)
    if isinstance(item, Decimal):
        return ("n", item)
    if isinstance(item, str):
        return ("s", item)
    if item is None:
        return ("z", None)
    return None


def _distinct(items: list[Any], env: CallEnv) -> list[Any]:
    result: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    others: list[Any] = []
    for item in items:
        key = _key(item)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        else:
            env.budget.step(len(others) // 16 + 1)
            if any(_same(item, other) for other in others):
                continue
            others.append(item)
        result.append(item)
    return result


def _function_arity_ok(fn: Any, arity: int) -> bool:
    if not isinstance(fn, FeelFunction):
        return False
    return not fn.params or len(fn.params) == arity


def both(name: str, list_param: str, var_param: str) -> Callable[[Callable[..., Any]], Any]:
    """Register ``fn(items)`` as ``name(list)`` and ``name(*items)``."""

    def register(fn: Callable[..., Any]) -> Any:
        @builtin(name, list_param)
        def from_list(items: Any) -> Any:
            return fn(_list(items))

        @builtin(name, "*" + var_param)
        def from_varargs(items: list[Any]) -> Any:
            return fn(_varargs(items))

        return fn

    return register


# ---------------------------------------------------------------- functions


@builtin("list contains", "list", "element")
def list_contains(items: Any, element: Any) -> bool:
    return any(_same(item, element) for item in _list(items))


@builtin("count", "list")
def count(items: Any) -> Decimal:
    return Decimal(len(_list(items)))


def _extreme(items: list[Any], sign: int) -> Any:
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            raise TypeError("min/max: items are not comparable")
        if order == sign:
            best = item
    if len(items) == 1 and compare(best, best) is None:
        raise TypeError("min/max: item is not comparable")
    return best


@both("min", "list", "c")
def min_(items: list[Any]) -> Any:
    return _extreme(items, -1)


@both("max", "list", "c")
def max_(items: list[Any]) -> Any:
    return _extreme(items, 1)


def _sum(numbers: list[Decimal]) -> Decimal:
    total = Decimal(0)
    for n in numbers:
        total = DECIMAL.add(total, n)
    return total


@both("sum", "list", "n")
def sum_(items: list[Any]) -> Decimal | None:
    numbers = _numbers(items)
    if not numbers:
        return None
    return _sum(numbers)


@both("mean", "list", "n")
def mean(items: list[Any]) -> Decimal | None:
    numbers = _numbers(items)
    if not numbers:
        return None
    return DECIMAL.divide(_sum(numbers), Decimal(len(numbers)))


@both("product", "list", "n")
def product(items: list[Any]) -> Decimal | None:
    numbers = _numbers(items)
    if not numbers:
        return None
    total = Decimal(1)
    for n in numbers:
        total = DECIMAL.multiply(total, n)
    return total


@both("median", "list", "n")
def median(items: list[Any]) -> Decimal | None:
    numbers = sorted(_numbers(items))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return DECIMAL.divide(DECIMAL.add(numbers[middle - 1], numbers[middle]), Decimal(2))


@both("stddev", "list", "n")
def stddev(items: list[Any]) -> Decimal | None:
    numbers = _numbers(items)
    if len(numbers) < 2:
        return None
    average = DECIMAL.divide(_sum(numbers), Decimal(len(numbers)))
    squares = Decimal(0)
    for n in numbers:
        deviation = DECIMAL.subtract(n, average)
        squares = DECIMAL.add(squares, DECIMAL.multiply(deviation, deviation))
    return DECIMAL.sqrt(DECIMAL.divide(squares, Decimal(len(numbers) - 1)))


@both("mode", "list", "n")
def mode(items: list[Any]) -> list[Decimal]:
    numbers = _numbers(items)
    counts: dict[Decimal, int] = {}
    for n in numbers:
        counts[n] = counts.get(n, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(n for n, c in counts.items() if c == top)


def _all(items: list[Any]) -> bool | None:
    if any(not isinstance(item, bool) and item is not None for item in items):
        raise TypeError("all: items must be booleans")
    if any(item is False for item in items):
        return False
    if any(item is None for item in items):
        return None
    return True


def _any(items: list[Any]) -> bool | None:
    if any(not isinstance(item, bool) and item is not None for item in items):
        raise TypeError("any: items must be booleans")
    if any(item is True for item in items):
        return True
    if any(item is None for item in items):
        return None
    return False


@both("all", "list", "b")
def all_(items: list[Any]) -> bool | None:
    return _all(items)


@both("and", "list", "b")
def and_(items: list[Any]) -> bool | None:
    return _all(items)


@both("any", "list", "b")
def any_(items: list[Any]) -> bool | None:
    return _any(items)


@both("or", "list", "b")
def or_(items: list[Any]) -> bool | None:
    return _any(items)


@builtin("sublist", "list", "start position", "length?")
def sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    values = _list(items)
    first = _index(len(values), _position(start))
    if length is None:
        return values[first:]
    size = _position(length)
    if size < 0 or first + size > len(values):
        raise IndexError("sublist: length runs past the end of the list")
    return values[first : first + size]


@builtin("append", "list", "*item")
def append(items: Any, new: list[Any], *, env: CallEnv) -> list[Any]:
    values = _list(items)
    env.budget.collection(len(values) + len(new))
    return [*values, *new]


@builtin("concatenate", "*list")
def concatenate(lists: list[Any], *, env: CallEnv) -> list[Any]:
    result: list[Any] = []
    for value in lists:
        part = _list(value)
        env.budget.collection(len(result) + len(part))
        result.extend(part)
    return result


@builtin("insert before", "list", "position", "newItem")
def insert_before(items: Any, position: Any, new_item: Any, *, env: CallEnv) -> list[Any]:
    values = _list(items)
    index = _index(len(values), _position(position))
    env.budget.collection(len(values) + 1)
    return [*values[:index], new_item, *values[index:]]


@builtin("remove", "list", "position")
def remove(items: Any, position: Any) -> list[Any]:
    values = _list(items)
    index = _index(len(values), _position(position))
    return [*values[:index], *values[index + 1 :]]


@builtin("reverse", "list")
def reverse(items: Any) -> list[Any]:
    return list(reversed(_list(items)))


@builtin("index of", "list", "match")
def index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i) for i, item in enumerate(_list(items), start=1) if _same(item, match)]


@builtin("union", "*list")
def union(lists: list[Any], *, env: CallEnv) -> list[Any]:
    combined = concatenate(lists, env=env)
    return _distinct(combined, env)


@builtin("distinct values", "list")
def distinct_values(items: Any, *, env: CallEnv) -> list[Any]:
    return _distinct(_list(items), env)


@builtin("flatten", "list")
def flatten(items: Any, *, env: CallEnv) -> list[Any]:
    result: list[Any] = []

    def walk(values: list[Any], depth: int) -> None:
        if depth > env.budget.limits.max_depth:
            raise ValueError("flatten: list nested too deeply")
        for value in values:
            if isinstance(value, list):
                walk(value, depth + 1)
            else:
                result.append(value)
                if len(result) % 1024 == 0:
                    env.budget.collection(len(result))

    walk(_list(items), 0)
    env.budget.collection(len(result))
    return result


@builtin("is empty", "list")
def is_empty(items: Any) -> bool:
    return len(_list(items)) == 0


@builtin("sort", "list", "precedes?")
def sort(items: Any, precedes: Any = None, *, env: CallEnv) -> list[Any]:
    values = _list(items)
    env.budget.collection(len(values))

    if precedes is None:

        def natural(a: Any, b: Any) -> int:
            env.budget.step()
            order = compare(a, b)
            if order is None:
                raise TypeError("sort: items are not comparable")
            return order

        return sorted(values, key=functools.cmp_to_key(natural))

    if not _function_arity_ok(precedes, 2):
        raise TypeError("sort: precedes must be a function of two parameters")

    def by_function(a: Any, b: Any) -> int:
        env.budget.step()
        if precedes.invoke([a, b]) is True:
            return -1
        if precedes.invoke([b, a]) is True:
            return 1
        return 0

    return sorted(values, key=functools.cmp_to_key(by_function))


def _list_replace(items: Any, where: Any, new_item: Any, env: CallEnv) -> list[Any]:
    values = _list(items)
    env.budget.collection(len(values))
    if isinstance(where, FeelFunction):
        if not _function_arity_ok(where, 2):
            raise TypeError("list replace: match must be a function of two parameters")
        result: list[Any] = []
        for item in values:
            env.budget.step()
            result.append(new_item if where.invoke([item, new_item]) is True else item)
        return result
    index = _index(len(values), _position(where))
    copy = list(values)
    copy[index] = new_item
    return copy


@builtin("list replace", "list", "position", "newItem")
def list_replace(items: Any, position: Any, new_item: Any, *, env: CallEnv) -> list[Any]:
    return _list_replace(items, position, new_item, env)


@builtin("list replace", "list", "match", "newItem")
def list_replace_match(items: Any, match: Any, new_item: Any, *, env: CallEnv) -> list[Any]:
    if not isinstance(match, FeelFunction):
        raise TypeError("list replace: match must be a function")
    return _list_replace(items, match, new_item, env)
