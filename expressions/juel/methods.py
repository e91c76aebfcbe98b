"""The whitelist of properties and methods an expression may use on a value.

EL 2.2 lets an expression call any public Java method (``${x.getClass()...}``); doing the
same with Python objects would hand diagram authors ``__class__`` and friends. Instead
every reachable member is listed here, per *exact* Python type, with an implementation
that follows the Java method Camunda would have called (``String.substring`` raises on
a bad index, ``Map.get`` of a missing key is null, ...). Anything not listed is an
``EvaluationError`` naming the member.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from expressions import regex_guard
from expressions.errors import LimitExceeded
from expressions.juel.context import ExecutionContext, JuelDateTime, TaskContext
from expressions.juel.values import (
    Fault,
    compare_values,
    to_double,
    to_int,
    to_long,
    to_string,
    type_name,
    wrap_int,
    wrap_long,
)
from expressions.limits import Budget

#: Regular expressions (``matches``, ``split``) are checked by ``regex_guard`` before
#: they run on Python's backtracking engine.


@dataclass(frozen=True)
class Call:
    """What a method implementation may use besides its receiver and arguments."""

    budget: Budget
    variables: Mapping[str, Any]
    now: dt.datetime | None


Method = Callable[[Any, tuple[Any, ...], Call], Any]
Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    properties: Mapping[str, Getter]
    methods: Mapping[str, Method]


# -- helpers -----------------------------------------------------------------------------


def _arity(name: str, args: tuple[Any, ...], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise Fault(f"method '{name}' takes {expected} argument(s), got {len(args)}")


def _str_arg(name: str, value: Any, call: Call) -> str:
    if value is None:
        raise Fault(f"method '{name}' got null (NullPointerException in Java)")
    return to_string(value, call.budget)


def _java_equals(a: Any, b: Any) -> bool:
    """``Object.equals``: no coercion, a Long never equals a Double."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    numeric = (int, float, Decimal)
    if isinstance(a, numeric) and isinstance(b, numeric):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except RecursionError:
        raise LimitExceeded("values are nested too deeply to compare") from None


def _checked_string(text: str, call: Call) -> str:
    call.budget.string(len(text))
    return text


# -- regular expressions -------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compile_regex(pattern: str) -> re.Pattern[str]:
    try:
        regex_guard.shape(pattern)
        return re.compile(pattern)
    except regex_guard.RegexRefused as exc:
        raise Fault(str(exc)) from None
    except (re.error, OverflowError, RecursionError) as exc:
        raise Fault(f"invalid regular expression {pattern!r}: {exc}") from None


def _regex(pattern: str, subject: str, call: Call, *, search: bool) -> re.Pattern[str]:
    compiled = _compile_regex(pattern)
    regex_guard.check(pattern, len(subject), search=search)
    call.budget.step(len(subject) // 16 + 1)
    return compiled


def _split(s: str, pattern: str, limit: int, call: Call) -> list[str]:
    """``String.split``: a leading empty piece from a zero-width match is dropped, and with
    ``limit == 0`` trailing empty pieces are removed."""
    if len(pattern) == 1 and pattern not in ".$|()[{^?*+\\":
        pieces = s.split(pattern, limit - 1) if limit > 0 else s.split(pattern)
    else:
        rx = _regex(pattern, s, call, search=True)
        pieces = []
        start = 0
        for m in rx.finditer(s):
            if limit > 0 and len(pieces) == limit - 1:
                break
            if m.end() == 0:
                continue  # zero-width match at the beginning
            if m.start() == m.end() and m.start() >= len(s):
                break
            pieces.append(s[start : m.start()])
            start = m.end()
            call.budget.step()
        pieces.append(s[start:])
    if limit == 0 and len(s) > 0:
        while pieces and pieces[-1] == "":
            pieces.pop()
        if not pieces:
            return []
    call.budget.collection(len(pieces))
    return pieces


# -- String ------------------------------------------------------------------------------


def _substring(s: str, args: tuple[Any, ...], _call: Call) -> str:
    _arity("substring", args, 1, 2)
    begin = to_int(args[0])
    end = to_int(args[1]) if len(args) == 2 else len(s)
    if not 0 <= begin <= end <= len(s):
        raise Fault(f"substring({begin}, {end}) is out of range for a string of length {len(s)}")
    return s[begin:end]


def _index_of(s: str, args: tuple[Any, ...], call: Call) -> int:
    _arity("indexOf", args, 1, 2)
    needle = _str_arg("indexOf", args[0], call)
    start = max(0, to_int(args[1])) if len(args) == 2 else 0
    return s.find(needle, start) if start <= len(s) else -1


def _replace(s: str, args: tuple[Any, ...], call: Call) -> str:
    _arity("replace", args, 2)
    old = _str_arg("replace", args[0], call)
    new = _str_arg("replace", args[1], call)
    count = s.count(old) if old else len(s) + 1
    call.budget.string(len(s) + count * (len(new) - len(old)))
    return s.replace(old, new)


def _char_at(s: str, args: tuple[Any, ...], _call: Call) -> str:
    _arity("charAt", args, 1)
    i = to_int(args[0])
    if not 0 <= i < len(s):
        raise Fault(f"charAt({i}) is out of range for a string of length {len(s)}")
    return s[i]


def _java_trim(s: str) -> str:
    return s.strip("".join(chr(c) for c in range(33)))


def _string_methods() -> dict[str, Method]:
    def nullary(name: str, fn: Callable[[str, Call], Any]) -> Method:
        def method(s: Any, args: tuple[Any, ...], call: Call) -> Any:
            _arity(name, args, 0)
            return fn(s, call)

        return method

    def unary_str(name: str, fn: Callable[[str, str], Any]) -> Method:
        def method(s: Any, args: tuple[Any, ...], call: Call) -> Any:
            _arity(name, args, 1)
            return fn(s, _str_arg(name, args[0], call))

        return method

    def equals_ignore_case(s: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("equalsIgnoreCase", args, 1)
        other = args[0]
        return isinstance(other, str) and s.lower() == other.lower()

    def starts_with(s: Any, args: tuple[Any, ...], call: Call) -> bool:
        _arity("startsWith", args, 1, 2)
        prefix = _str_arg("startsWith", args[0], call)
        offset = to_int(args[1]) if len(args) == 2 else 0
        return 0 <= offset <= len(s) and s.startswith(prefix, offset)

    def last_index_of(s: Any, args: tuple[Any, ...], call: Call) -> int:
        _arity("lastIndexOf", args, 1)
        return int(s.rfind(_str_arg("lastIndexOf", args[0], call)))

    def split(s: Any, args: tuple[Any, ...], call: Call) -> list[str]:
        _arity("split", args, 1, 2)
        limit = to_int(args[1]) if len(args) == 2 else 0
        return _split(s, _str_arg("split", args[0], call), limit, call)

    def matches(s: Any, args: tuple[Any, ...], call: Call) -> bool:
        _arity("matches", args, 1)
        return (
            _regex(_str_arg("matches", args[0], call), s, call, search=False).fullmatch(s)
            is not None
        )

    def concat(s: Any, args: tuple[Any, ...], call: Call) -> str:
        _arity("concat", args, 1)
        other = _str_arg("concat", args[0], call)
        call.budget.string(len(s) + len(other))
        return str(s + other)

    def compare_to(s: Any, args: tuple[Any, ...], call: Call) -> int:
        _arity("compareTo", args, 1)
        other = _str_arg("compareTo", args[0], call)
        return compare_values(s, other, call.budget)

    return {
        "equalsIgnoreCase": equals_ignore_case,
        "contains": unary_str("contains", lambda s, x: x in s),
        "startsWith": starts_with,
        "endsWith": unary_str("endsWith", lambda s, x: s.endswith(x)),
        "length": nullary("length", lambda s, _c: len(s)),
        "isEmpty": nullary("isEmpty", lambda s, _c: len(s) == 0),
        "isBlank": nullary("isBlank", lambda s, _c: s.strip() == ""),
        "toUpperCase": nullary("toUpperCase", lambda s, c: _checked_string(s.upper(), c)),
        "toLowerCase": nullary("toLowerCase", lambda s, c: _checked_string(s.lower(), c)),
        "trim": nullary("trim", lambda s, _c: _java_trim(s)),
        "strip": nullary("strip", lambda s, _c: s.strip()),
        "substring": _substring,
        "indexOf": _index_of,
        "lastIndexOf": last_index_of,
        "replace": _replace,
        "split": split,
        "matches": matches,
        "charAt": _char_at,
        "concat": concat,
        "compareTo": compare_to,
        "stringValue": nullary("stringValue", lambda s, _c: s),  # Camunda Spin JSON node
    }


# -- collections -------------------------------------------------------------------------


def _list_get(items: Any, args: tuple[Any, ...], _call: Call) -> Any:
    _arity("get", args, 1)
    i = to_int(args[0])
    if not 0 <= i < len(items):
        raise Fault(f"index {i} is out of bounds for a list of size {len(items)}")
    return items[i]


def _list_methods() -> dict[str, Method]:
    def contains(items: Any, args: tuple[Any, ...], call: Call) -> bool:
        _arity("contains", args, 1)
        call.budget.collection(len(items))
        return any(_java_equals(x, args[0]) for x in items)

    def index_of(items: Any, args: tuple[Any, ...], call: Call) -> int:
        _arity("indexOf", args, 1)
        call.budget.collection(len(items))
        return next((i for i, x in enumerate(items) if _java_equals(x, args[0])), -1)

    def size(items: Any, args: tuple[Any, ...], _call: Call) -> int:
        _arity("size", args, 0)
        return len(items)

    def is_empty(items: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("isEmpty", args, 0)
        return len(items) == 0

    def elements(items: Any, args: tuple[Any, ...], _call: Call) -> Any:
        _arity("elements", args, 0)
        return items

    return {
        "size": size,
        "isEmpty": is_empty,
        "contains": contains,
        "indexOf": index_of,
        "get": _list_get,
        "elements": elements,  # Camunda Spin JSON array
    }


def _map_methods() -> dict[str, Method]:
    def lookup(m: Mapping[Any, Any], key: Any) -> tuple[bool, Any]:
        try:
            return (True, m[key]) if key in m else (False, None)
        except TypeError:  # unhashable key: Java's Map would simply not find it
            return False, None

    def get(m: Any, args: tuple[Any, ...], _call: Call) -> Any:
        _arity("get", args, 1)
        return lookup(m, args[0])[1]

    def get_or_default(m: Any, args: tuple[Any, ...], _call: Call) -> Any:
        _arity("getOrDefault", args, 2)
        found, value = lookup(m, args[0])
        return value if found else args[1]

    def contains_key(m: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("containsKey", args, 1)
        return lookup(m, args[0])[0]

    def contains_value(m: Any, args: tuple[Any, ...], call: Call) -> bool:
        _arity("containsValue", args, 1)
        call.budget.collection(len(m))
        return any(_java_equals(v, args[0]) for v in m.values())

    def key_set(m: Any, args: tuple[Any, ...], call: Call) -> list[Any]:
        _arity("keySet", args, 0)
        call.budget.collection(len(m))
        return list(m.keys())

    def values(m: Any, args: tuple[Any, ...], call: Call) -> list[Any]:
        _arity("values", args, 0)
        call.budget.collection(len(m))
        return list(m.values())

    def size(m: Any, args: tuple[Any, ...], _call: Call) -> int:
        _arity("size", args, 0)
        return len(m)

    def is_empty(m: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("isEmpty", args, 0)
        return len(m) == 0

    def prop(m: Any, args: tuple[Any, ...], call: Call) -> Any:
        _arity("prop", args, 1)
        found, value = lookup(m, args[0])
        if not found:
            raise Fault(f"JSON object has no property {to_string(args[0], call.budget)!r}")
        return value

    def has_prop(m: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("hasProp", args, 1)
        return lookup(m, args[0])[0]

    return {
        "size": size,
        "isEmpty": is_empty,
        "get": get,
        "getOrDefault": get_or_default,
        "containsKey": contains_key,
        "containsValue": contains_value,
        "keySet": key_set,
        "values": values,
        "prop": prop,  # Camunda Spin JSON object
        "hasProp": has_prop,
    }


# -- numbers and booleans ----------------------------------------------------------------


def _int_value(x: Any) -> int:
    if isinstance(x, int):
        return wrap_int(x)
    return to_int(x)


def _long_value(x: Any) -> int:
    if isinstance(x, int):
        return wrap_long(x)
    return to_long(x)


def _number_methods() -> dict[str, Method]:
    def nullary(name: str, fn: Callable[[Any], Any]) -> Method:
        def method(x: Any, args: tuple[Any, ...], _call: Call) -> Any:
            _arity(name, args, 0)
            return fn(x)

        return method

    def compare_to(x: Any, args: tuple[Any, ...], call: Call) -> int:
        _arity("compareTo", args, 1)
        if args[0] is None:
            raise Fault("compareTo(null) (NullPointerException in Java)")
        c = compare_values(x, args[0], call.budget)
        return 0 if c == 2 else c

    return {
        "intValue": nullary("intValue", _int_value),
        "longValue": nullary("longValue", _long_value),
        "doubleValue": nullary("doubleValue", to_double),
        "floatValue": nullary("floatValue", to_double),
        "compareTo": compare_to,
        "isNaN": nullary("isNaN", lambda x: isinstance(x, float) and math.isnan(x)),
        "numberValue": nullary("numberValue", lambda x: x),  # Camunda Spin JSON node
    }


def _boolean_methods() -> dict[str, Method]:
    def value(b: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("booleanValue", args, 0)
        return bool(b)

    return {"booleanValue": value, "boolValue": value}


# -- execution, task, dates --------------------------------------------------------------


def _scope_variables(owner: Any, call: Call) -> Mapping[str, Any]:
    own: Mapping[str, Any] | None = owner.variables
    return call.variables if own is None else own


def _variable_methods() -> dict[str, Method]:
    def get_variable(owner: Any, args: tuple[Any, ...], call: Call) -> Any:
        _arity("getVariable", args, 1)
        name = _str_arg("getVariable", args[0], call)
        return _scope_variables(owner, call).get(name)

    def has_variable(owner: Any, args: tuple[Any, ...], call: Call) -> bool:
        _arity("hasVariable", args, 1)
        return _str_arg("hasVariable", args[0], call) in _scope_variables(owner, call)

    def get_variables(owner: Any, args: tuple[Any, ...], call: Call) -> dict[str, Any]:
        _arity("getVariables", args, 0)
        variables = _scope_variables(owner, call)
        call.budget.collection(len(variables))
        return dict(variables)

    return {
        "getVariable": get_variable,
        "getVariableLocal": get_variable,
        "hasVariable": has_variable,
        "hasVariableLocal": has_variable,
        "getVariables": get_variables,
    }


def _with_getters(
    properties: Mapping[str, Getter], methods: dict[str, Method]
) -> dict[str, Method]:
    """Adds ``getX()`` for every bean property ``x`` (and ``isX()`` for booleans)."""
    for prop_name, getter in properties.items():

        def method(obj: Any, args: tuple[Any, ...], _call: Call, g: Getter = getter) -> Any:
            _arity("getter", args, 0)
            return g(obj)

        methods["get" + prop_name[0].upper() + prop_name[1:]] = method
    return methods


_EXECUTION_PROPERTIES: dict[str, Getter] = {
    "processBusinessKey": lambda e: e.business_key,
    "businessKey": lambda e: e.business_key,
    "processInstanceId": lambda e: e.process_instance_id,
    "currentActivityId": lambda e: e.current_activity_id,
    "currentActivityName": lambda e: e.current_activity_name,
    "activityId": lambda e: e.current_activity_id,
    "id": lambda e: e.execution_id,
    "processDefinitionId": lambda e: e.process_definition_id,
}

_TASK_PROPERTIES: dict[str, Getter] = {
    "id": lambda t: t.id,
    "name": lambda t: t.name,
    "assignee": lambda t: t.assignee,
    "owner": lambda t: t.owner,
    "description": lambda t: t.description,
    "taskDefinitionKey": lambda t: t.task_definition_key,
    "priority": lambda t: t.priority,
    "processInstanceId": lambda t: t.process_instance_id,
}


def _date_time_methods() -> dict[str, Method]:
    def shifter(name: str, unit: str, sign: int) -> Method:
        def method(d: Any, args: tuple[Any, ...], _call: Call) -> JuelDateTime:
            _arity(name, args, 1)
            try:
                shifted: JuelDateTime = d.plus(unit, sign * to_int(args[0]))
                return shifted
            except (OverflowError, ValueError):
                raise Fault(f"{name}({args[0]}) leaves the supported date range") from None

        return method

    methods: dict[str, Method] = {}
    for unit in ("years", "months", "weeks", "days", "hours", "minutes", "seconds", "millis"):
        cap = unit.capitalize()
        methods["plus" + cap] = shifter("plus" + cap, unit, 1)
        methods["minus" + cap] = shifter("minus" + cap, unit, -1)

    def to_date(d: Any, args: tuple[Any, ...], _call: Call) -> dt.datetime:
        _arity("toDate", args, 0)
        value: dt.datetime = d.value
        return value

    def compare(name: str, want: int) -> Method:
        def method(d: Any, args: tuple[Any, ...], call: Call) -> bool:
            _arity(name, args, 1)
            other = args[0].value if isinstance(args[0], JuelDateTime) else args[0]
            if not isinstance(other, dt.datetime):
                raise Fault(f"{name} needs a date, got {type_name(args[0])}")
            return compare_values(d.value, other, call.budget) == want

        return method

    methods.update(
        toDate=to_date,
        isBefore=compare("isBefore", -1),
        isAfter=compare("isAfter", 1),
    )
    return methods


_DATE_TIME_PROPERTIES: dict[str, Getter] = {
    "year": lambda d: d.value.year,
    "monthOfYear": lambda d: d.value.month,
    "dayOfMonth": lambda d: d.value.day,
    "dayOfWeek": lambda d: d.value.isoweekday(),
    "hourOfDay": lambda d: d.value.hour,
    "minuteOfHour": lambda d: d.value.minute,
}


def _date_methods() -> dict[str, Method]:
    def get_time(d: Any, args: tuple[Any, ...], _call: Call) -> int:
        _arity("getTime", args, 0)
        if d.tzinfo is None:
            raise Fault("getTime() needs a date with a time zone")
        return int((d - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1))

    def compare(name: str, want: int) -> Method:
        def method(d: Any, args: tuple[Any, ...], call: Call) -> bool:
            _arity(name, args, 1)
            if not isinstance(args[0], dt.datetime):
                raise Fault(f"{name} needs a date, got {type_name(args[0])}")
            return compare_values(d, args[0], call.budget) == want

        return method

    return {"getTime": get_time, "before": compare("before", -1), "after": compare("after", 1)}


# -- the registry ------------------------------------------------------------------------


def _object_methods(spec: dict[str, Method]) -> dict[str, Method]:
    """``toString()`` and ``equals(o)``, which every Java object has."""

    def to_str(x: Any, args: tuple[Any, ...], call: Call) -> str:
        _arity("toString", args, 0)
        return to_string(x, call.budget) if x is not None else "null"

    def equals(x: Any, args: tuple[Any, ...], _call: Call) -> bool:
        _arity("equals", args, 1)
        return _java_equals(x, args[0])

    return {"toString": to_str, "equals": equals, **spec}


def _build_registry() -> dict[type, TypeSpec]:
    numbers = _object_methods(_number_methods())
    registry: dict[type, TypeSpec] = {
        str: TypeSpec(
            "String", {"empty": lambda s: len(s) == 0}, _object_methods(_string_methods())
        ),
        list: TypeSpec("List", {}, _object_methods(_list_methods())),
        tuple: TypeSpec("List", {}, _object_methods(_list_methods())),
        dict: TypeSpec("Map", {}, _object_methods(_map_methods())),
        int: TypeSpec("Long", {}, numbers),
        float: TypeSpec("Double", {}, numbers),
        Decimal: TypeSpec("BigDecimal", {}, numbers),
        bool: TypeSpec("Boolean", {}, _object_methods(_boolean_methods())),
        ExecutionContext: TypeSpec(
            "Execution",
            _EXECUTION_PROPERTIES,
            _object_methods(_with_getters(_EXECUTION_PROPERTIES, _variable_methods())),
        ),
        TaskContext: TypeSpec(
            "Task",
            _TASK_PROPERTIES,
            _object_methods(_with_getters(_TASK_PROPERTIES, _variable_methods())),
        ),
        JuelDateTime: TypeSpec(
            "DateTime",
            _DATE_TIME_PROPERTIES,
            _object_methods(_with_getters(_DATE_TIME_PROPERTIES, _date_time_methods())),
        ),
        dt.datetime: TypeSpec("Date", {}, _object_methods(_date_methods())),
    }
    return registry


REGISTRY: dict[type, TypeSpec] = _build_registry()


def spec_for(value: Any) -> TypeSpec | None:
    """The members of ``value``'s exact type (subclasses get nothing: a caller's subclass
    may carry members nobody reviewed)."""
    return REGISTRY.get(type(value))
