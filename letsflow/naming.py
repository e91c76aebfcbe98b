"""Keys and titles: the naming conventions a scenario relies on.

LetsFlow derives default titles from keys, and marks end states by wrapping their key in
parentheses. These rules feed the scenario id, so they follow LetsFlow to the letter.
"""

from __future__ import annotations

import re
from typing import Any, Final

SCENARIO_SCHEMA: Final = "https://schemas.letsflow.io/v1.0/scenario"
ACTION_SCHEMA: Final = "https://schemas.letsflow.io/v1.0/action"
FN_SCHEMA: Final = "https://schemas.letsflow.io/v1.0/fn"

ANY_STATE: Final = "*"
"""The partial state merged into every other state."""

SERVICE_PREFIX: Final = "service:"

_END_STATE_KEY = re.compile(r"\(.+\)")
_TRAILING_DIGITS = re.compile(r"\d+\Z", re.ASCII)
_TRAILING_STAR = re.compile(r"\*\Z")


def key_to_title(key: str) -> str:
    """Default title for a key: drop a trailing ``*``, the *first* ``_`` becomes a space.

    Only the first underscore is replaced (``wait_on_client`` → ``wait on_client``), as
    in LetsFlow; the titles are part of the hashed document.
    """
    return _TRAILING_STAR.sub("", key, count=1).replace("_", " ", 1).strip()


def is_end_state_key(key: str) -> bool:
    """``(done)``-style keys name end states."""
    return _END_STATE_KEY.fullmatch(key) is not None


def end_state_title(key: str) -> str:
    """Title of an implicit end state: the key without its parentheses."""
    return key_to_title(key[1:-1])


def is_end_state(state: Any) -> bool:
    """A state without transitions (or a ``goto``) ends the process."""
    return not isinstance(state, dict) or not ("transitions" in state or "goto" in state)


def wildcard_key(key: str) -> str:
    """The wildcard an actor key belongs to (``person_2`` → ``person_*``): where the
    engine finds the schema of an actor created at runtime."""
    return _TRAILING_DIGITS.sub("*", key, count=1)
