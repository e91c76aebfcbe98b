"""Data functions: the ``<ref>``, ``<tpl>`` and ``<select>`` objects of a scenario.

Normalization must leave them alone (a response schema written as ``!ref
scenario.actors.client`` is resolved per process, not rewritten as a JSON Schema), so
this module only recognizes them; evaluating them belongs to the process engine.
"""

from __future__ import annotations

from typing import Any, Final

REF: Final = "<ref>"
TPL: Final = "<tpl>"
SELECT: Final = "<select>"
FN_KEYS: Final = (REF, TPL, SELECT)


def is_fn(value: Any) -> bool:
    """True for a data function object, e.g. ``{"<ref>": "actors.client"}``."""
    return isinstance(value, dict) and any(key in value for key in FN_KEYS)
