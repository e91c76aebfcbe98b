"""LetsFlow-compatible scenarios: read, normalize and content-address them, and run
processes on them (LetsFlow core's instantiate, step, timeout, predict and replay).

Pure and deterministic (no I/O, clock or randomness), so the same code runs in the API
and inside a Temporal workflow: timestamps, process ids and ``new_uuid`` (for ``uuid()``
in data functions) are passed in. The YAML half (:func:`load_yaml`, :func:`dump_yaml`)
loads on first use, so a workflow sandbox that only normalizes JSON never imports PyYAML.

Exception tree::

    ScenarioError    invalid scenario or YAML text; ``.path``/``.pointer`` say where
        ProcessError     a process the engine cannot run, or unfit start instructions;
                         ``.errors`` lists the reasons (invalid *steps* are not errors:
                         they become skipped events)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from letsflow.access import allowed_by_api_key, resolve_actor
from letsflow.errors import ProcessError, ScenarioError
from letsflow.events import format_timestamp, parse_timestamp, verify_chain
from letsflow.fn import is_fn
from letsflow.identity import event_hash, scenario_id, schema_namespace, stable_json
from letsflow.naming import (
    ACTION_SCHEMA,
    FN_SCHEMA,
    SCENARIO_SCHEMA,
    is_end_state,
    is_end_state_key,
)
from letsflow.normalize import normalize
from letsflow.predict import predict
from letsflow.process import UNDEFINED, current_state_key, instantiate
from letsflow.process_validation import validate_process
from letsflow.replay import replay
from letsflow.schema import normalize_schema
from letsflow.schema_validation import schema_errors
from letsflow.step import next_timeout, step, timeout
from letsflow.time_period import to_seconds

if TYPE_CHECKING:
    from letsflow.yaml_tags import dump_yaml, load_yaml

__all__ = [
    "ACTION_SCHEMA",
    "FN_SCHEMA",
    "SCENARIO_SCHEMA",
    "UNDEFINED",
    "ProcessError",
    "ScenarioError",
    "allowed_by_api_key",
    "current_state_key",
    "dump_yaml",
    "event_hash",
    "format_timestamp",
    "instantiate",
    "is_end_state",
    "is_end_state_key",
    "is_fn",
    "load_yaml",
    "next_timeout",
    "normalize",
    "normalize_schema",
    "parse_timestamp",
    "predict",
    "replay",
    "resolve_actor",
    "scenario_id",
    "schema_errors",
    "schema_namespace",
    "stable_json",
    "step",
    "timeout",
    "to_seconds",
    "validate_process",
    "verify_chain",
]

_LAZY = {"dump_yaml", "load_yaml"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from letsflow import yaml_tags

        return getattr(yaml_tags, name)
    raise AttributeError(f"module 'letsflow' has no attribute {name!r}")
