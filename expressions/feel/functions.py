"""The built-in function registry and the rules for calling functions.

Library modules (``lib_*.py``) register implementations with :func:`builtin`::

    @builtin("substring", "string", "start position", "length?")
    def substring(string: str, start: Decimal, length: Decimal | None = None) -> str | None:
        ...

* parameter names are the DMN spec's (they are the names used for named arguments);
  a trailing ``?`` marks an optional parameter; ``*name`` a variadic last parameter
  (e.g. ``max(*list)`` accepts ``max(1, 2, 3)``; the impl receives a Python list);
* one name may be registered several times with different parameter lists (overloads,
  e.g. ``date(from)`` and ``date(year, month, day)``); a call picks the overload whose
  parameters match the call's argument count or argument names;
* implementations receive FEEL values (see ``values.py``) and return a FEEL value; on
  invalid input they return ``None`` or simply raise ``TypeError``/``ValueError``/
  ``ArithmeticError``/``decimal.InvalidOperation``/``KeyError``/``IndexError``: the
  dispatcher turns those into ``null`` (FEEL semantics). ``LimitExceeded`` propagates.
* implementations that need the evaluation budget or clock take a keyword-only
  ``env: CallEnv`` parameter (declare it in the impl signature; it is passed if present).
"""

from __future__ import annotations

import datetime as dt
import decimal
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from expressions.errors import LimitExceeded
from expressions.feel.values import FeelFunction
from expressions.limits import Budget


@dataclass
class CallEnv:
    """What a built-in may need from the evaluation: the budget and the injected clock."""

    budget: Budget
    now: dt.datetime | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Builtin:
    name: str
    params: tuple[str, ...]
    required: int
    variadic: bool
    impl: Callable[..., Any]
    wants_env: bool


BUILTINS: dict[str, list[Builtin]] = {}

_NULL_ON = (
    TypeError,
    ValueError,
    ArithmeticError,
    decimal.InvalidOperation,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
)


def builtin(name: str, *params: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as FEEL built-in ``name`` with the spec's parameter names."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        names: list[str] = []
        required = 0
        variadic = False
        for i, raw in enumerate(params):
            if raw.startswith("*"):
                if i != len(params) - 1:
                    raise ValueError(f"{name}: only the last parameter may be variadic")
                variadic = True
                names.append(raw[1:])
            elif raw.endswith("?"):
                names.append(raw[:-1])
            else:
                if len(names) != required:
                    raise ValueError(f"{name}: required parameters must come first")
                names.append(raw)
                required += 1
        wants_env = "env" in inspect.signature(fn).parameters
        BUILTINS.setdefault(name, []).append(
            Builtin(name, tuple(names), required, variadic, fn, wants_env)
        )
        return fn

    return register


def _bind(
    spec: Builtin, positional: Sequence[Any], named: dict[str, Any] | None
) -> list[Any] | None:
    """Arguments in declaration order, or None when this overload does not fit."""
    if named:
        if not set(named) <= set(spec.params):
            return None
        if any(p not in named for p in spec.params[: spec.required]):
            return None
        args = [named.get(p) for p in spec.params]
        while args and spec.params[len(args) - 1] not in named and len(args) > spec.required:
            args.pop()
        if spec.variadic and spec.params[-1] in named:
            value = named[spec.params[-1]]
            args[-1] = value if isinstance(value, list) else [value]
        return args
    count = len(positional)
    if spec.variadic:
        fixed = len(spec.params) - 1
        if count < fixed:
            return None
        return [*positional[:fixed], list(positional[fixed:])]
    if spec.required <= count <= len(spec.params):
        return list(positional)
    return None


def call_builtin(
    name: str, positional: Sequence[Any], named: dict[str, Any] | None, env: CallEnv
) -> Any:
    """Call built-in ``name``; unknown names and failed calls evaluate to null."""
    for spec in BUILTINS.get(name, ()):
        args = _bind(spec, positional, named)
        if args is None:
            continue
        try:
            if spec.wants_env:
                return spec.impl(*args, env=env)
            return spec.impl(*args)
        except LimitExceeded:
            raise
        except _NULL_ON as exc:
            env.warnings.append(f"{name}(): {type(exc).__name__}: {exc}")
            return None
    env.warnings.append(f"no function {name!r} accepts these arguments")
    return None


class BuiltinFunction(FeelFunction):
    """A built-in used as a value (``sort(xs, precedes: <)`` style calls pass functions)."""

    def __init__(self, name: str, env: CallEnv) -> None:
        self.name = name
        self.env = env
        self.params = BUILTINS[name][0].params if name in BUILTINS else ()

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        return call_builtin(self.name, positional, named, self.env)


def load_library() -> None:
    """Import every library module so its functions register (idempotent)."""
    from expressions.feel import (  # noqa: F401 - imported to register
        lib_contexts,
        lib_conversions,
        lib_lists,
        lib_numbers,
        lib_ranges,
        lib_strings,
        lib_temporal,
    )
