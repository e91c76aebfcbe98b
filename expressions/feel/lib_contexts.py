"""FEEL context functions (DMN 1.5 §10.3.4.11): ``get value``, ``get entries``,
``context``, ``context put`` and ``context merge``. Contexts are insertion-ordered dicts;
functions never mutate their arguments."""

from __future__ import annotations

from typing import Any

from expressions.feel.functions import CallEnv, builtin


def _context(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expected a context")
    return value


def _key(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a context key must be a string")
    return value


@builtin("get value", "m", "key")
def get_value(m: Any, key: Any) -> Any:
    return _context(m).get(_key(key))


@builtin("get entries", "m")
def get_entries(m: Any, *, env: CallEnv) -> list[dict[str, Any]]:
    context = _context(m)
    env.budget.collection(len(context))
    return [{"key": key, "value": value} for key, value in context.items()]


@builtin("context", "entries")
def context(entries: Any, *, env: CallEnv) -> dict[str, Any]:
    if entries is None:
        raise TypeError("context: entries is null")
    items = entries if isinstance(entries, list) else [entries]
    env.budget.collection(len(items))
    result: dict[str, Any] = {}
    for entry in items:
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            raise TypeError("context: each entry must be a context with key and value")
        key = _key(entry["key"])
        if key in result:
            raise ValueError(f"context: duplicate key {key!r}")
        result[key] = entry["value"]
    return result


def _put(context: dict[str, Any], keys: list[Any], value: Any) -> dict[str, Any]:
    first = _key(keys[0])
    result = dict(context)
    if len(keys) == 1:
        result[first] = value
    else:
        result[first] = _put(_context(context.get(first)), keys[1:], value)
    return result


@builtin("context put", "context", "key", "value")
def context_put(context: Any, key: Any, value: Any, *, env: CallEnv) -> dict[str, Any]:
    base = _context(context)
    env.budget.collection(len(base) + 1)
    if isinstance(key, list):
        return _put_keys(base, key, value, env)
    return _put(base, [key], value)


@builtin("context put", "context", "keys", "value")
def context_put_keys(context: Any, keys: Any, value: Any, *, env: CallEnv) -> dict[str, Any]:
    return _put_keys(_context(context), keys, value, env)


def _put_keys(base: dict[str, Any], keys: Any, value: Any, env: CallEnv) -> dict[str, Any]:
    if not isinstance(keys, list) or not keys:
        raise TypeError("context put: keys must be a non-empty list of strings")
    if len(keys) > env.budget.limits.max_depth:
        raise ValueError("context put: too many keys")
    env.budget.collection(len(base) + len(keys))
    return _put(base, keys, value)


@builtin("context merge", "contexts")
def context_merge(contexts: Any, *, env: CallEnv) -> dict[str, Any]:
    if contexts is None:
        raise TypeError("context merge: contexts is null")
    items = contexts if isinstance(contexts, list) else [contexts]
    result: dict[str, Any] = {}
    for item in items:
        result.update(_context(item))
        env.budget.collection(len(result))
    return result
