"""Is a process still consistent with its scenario? (LetsFlow's ``validateProcess``.)

A step's update instructions may write anything the scenario's ``set`` paths allow, so
after them the engine checks the outcome before accepting the step: the title is text,
every actor matches its schema and keeps the role the scenario fixed (roles decide who
may act, so an update must not grant them), no declared actor went missing, and the
variables and the result match theirs. A failing check skips the step; the messages are
LetsFlow's, with the validator's errors joined as ajv's ``errorsText()`` joins them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from letsflow.data_functions import apply_fn
from letsflow.js_compat import truthy
from letsflow.naming import wildcard_key
from letsflow.schema_validation import errors_text, schema_errors


def validate_process(
    process: Mapping[str, Any], *, new_uuid: Callable[[], str] | None = None
) -> list[str]:
    """The reasons ``process`` is inconsistent with its scenario (empty when it is not)."""
    return [
        *_title(process),
        *_actors(process, new_uuid),
        *_vars(process, new_uuid),
        *_result(process, new_uuid),
    ]


def _title(process: Mapping[str, Any]) -> list[str]:
    return [] if isinstance(process.get("title"), str) else ["Title is invalid: must be a string"]


def _actors(process: Mapping[str, Any], new_uuid: Callable[[], str] | None) -> list[str]:
    errors: list[str] = []
    schemas = process["scenario"].get("actors") or {}
    actors = process.get("actors") or {}
    for key, actor in actors.items():
        found = find_schema(schemas, key)
        if found is None:
            errors.append(f"Actor '{key}' is not defined in the scenario")
            continue
        schema = apply_fn(found, process, new_uuid=new_uuid)
        if not isinstance(schema, dict):
            continue
        role = schema.get("role")
        messages = schema_errors({k: v for k, v in schema.items() if k != "role"}, actor)
        if messages:
            errors.append(f"Actor '{key}' is invalid: {errors_text(messages)}")
        if role and not _same_roles(role, actor.get("role") if isinstance(actor, dict) else None):
            errors.append(f"Role of actor '{key}' must not be changed")
    for key in schemas:
        if not key.endswith("*") and key not in actors:
            errors.append(f"Actor '{key}' is missing")
    return errors


def _vars(process: Mapping[str, Any], new_uuid: Callable[[], str] | None) -> list[str]:
    errors: list[str] = []
    schemas = process["scenario"].get("vars") or {}
    for key, value in (process.get("vars") or {}).items():
        found = find_schema(schemas, key)
        if found is None:
            errors.append(f"Variable '{key}' is not defined in the scenario")
            continue
        messages = schema_errors(apply_fn(found, process, new_uuid=new_uuid), value)
        if messages:
            errors.append(f"Variable '{key}' is invalid: {errors_text(messages)}")
    return errors


def _result(process: Mapping[str, Any], new_uuid: Callable[[], str] | None) -> list[str]:
    result = process.get("result")
    schema = process["scenario"].get("result")
    if not truthy(result) or schema is None:
        return []  # LetsFlow checks a result only once it is set (truthy)
    messages = schema_errors(apply_fn(schema, process, new_uuid=new_uuid), result)
    return [f"Result is invalid: {errors_text(messages)}"] if messages else []


def find_schema(schemas: Mapping[str, Any], key: str) -> Any:
    """The schema for ``key``: its own, else its wildcard's (``person_*``), else None."""
    if schemas.get(key) is not None:
        return schemas[key]
    return schemas.get(wildcard_key(key))


def _same_roles(fixed: Any, actual: Any) -> bool:
    def as_sorted(role: Any) -> list[str]:
        if role is None:
            return []
        return sorted(str(r) for r in role) if isinstance(role, list) else [str(role)]

    return as_sorted(fixed) == as_sorted(actual)
