"""LetsFlow-compatible scenarios: read, normalize and content-address them.

Pure and deterministic (no I/O, clock or randomness), so the same code runs in the API
and inside a Temporal workflow. The YAML half (:func:`load_yaml`, :func:`dump_yaml`)
loads on first use, so a workflow sandbox that only normalizes JSON never imports PyYAML.

Exception tree::

    ScenarioError    invalid scenario or YAML text; ``.path``/``.pointer`` say where
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scenarios.errors import ScenarioError
from scenarios.fn import is_fn
from scenarios.identity import event_hash, scenario_id, schema_namespace, stable_json
from scenarios.naming import (
    ACTION_SCHEMA,
    FN_SCHEMA,
    SCENARIO_SCHEMA,
    is_end_state,
    is_end_state_key,
)
from scenarios.normalize import normalize
from scenarios.schema import normalize_schema
from scenarios.time_period import to_seconds

if TYPE_CHECKING:
    from scenarios.yaml_tags import dump_yaml, load_yaml

__all__ = [
    "ACTION_SCHEMA",
    "FN_SCHEMA",
    "SCENARIO_SCHEMA",
    "ScenarioError",
    "dump_yaml",
    "event_hash",
    "is_end_state",
    "is_end_state_key",
    "is_fn",
    "load_yaml",
    "normalize",
    "normalize_schema",
    "scenario_id",
    "schema_namespace",
    "stable_json",
    "to_seconds",
]

_LAZY = {"dump_yaml", "load_yaml"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from scenarios import yaml_tags

        return getattr(yaml_tags, name)
    raise AttributeError(f"module 'scenarios' has no attribute {name!r}")
