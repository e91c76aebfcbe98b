"""Search attributes Baton sets on every instance, shared by the dev server launcher,
the tests and docker-compose (keep `deploy/temporal-setup.sh` in step)."""

from __future__ import annotations

import unicodedata
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

PROCESS_KEY = SearchAttributeKey.for_keyword("BpmnProcessKey")
PROCESS_VERSION = SearchAttributeKey.for_int("BpmnProcessVersion")
BUSINESS_KEY = SearchAttributeKey.for_keyword("BpmnBusinessKey")
ACTIVE_ELEMENTS = SearchAttributeKey.for_keyword_list("BpmnActiveElements")
INCIDENT = SearchAttributeKey.for_bool("BpmnIncident")
STATE = SearchAttributeKey.for_keyword("BpmnState")
#: Message names the instance waits for, each also as ``name|key`` (``name|*`` when the
#: waiting element has no correlation key): correlation finds its candidates by these.
WAITING_MESSAGES = SearchAttributeKey.for_keyword_list("BpmnWaitingMessages")
#: The semantic epoch the run follows (``workflows/semantics.py``), from epoch 3 on: runs
#: without it started before epoch 3. ``baton semantics audit`` counts running instances
#: by it, to tell when the code paths of older epochs may be deleted.
SEMANTICS_EPOCH = SearchAttributeKey.for_int("BpmnSemanticsEpoch")

ALL = (
    PROCESS_KEY,
    PROCESS_VERSION,
    BUSINESS_KEY,
    ACTIVE_ELEMENTS,
    INCIDENT,
    STATE,
    WAITING_MESSAGES,
    SEMANTICS_EPOCH,
)

_CLI_TYPES = {
    "KEYWORD": "Keyword",
    "INT": "Int",
    "KEYWORD_LIST": "KeywordList",
    "BOOL": "Bool",
    "TEXT": "Text",
    "FLOAT": "Double",
    "DATETIME": "Datetime",
}


def at_start(key: str, version: int, business_key: str | None) -> TypedSearchAttributes:
    """What an instance carries from its first event: found by process and business key
    before its first workflow task has run."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(PROCESS_KEY, key),
        SearchAttributePair(PROCESS_VERSION, version),
        SearchAttributePair(STATE, "ACTIVE"),
    ]
    if business_key:
        pairs.append(SearchAttributePair(BUSINESS_KEY, business_key))
    return TypedSearchAttributes(pairs)


def cli_flags() -> list[str]:
    """``--search-attribute NAME=Type`` flags for ``temporal server start-dev``."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags


#: Bounds that keep ``BpmnWaitingMessages`` inside Temporal's search-attribute limits.
MAX_KEYED_WAITS = 50
MAX_ENTRY_LENGTH = 300


def waiting_entries(name: str, correlation_key: str | None) -> list[str]:
    """The ``BpmnWaitingMessages`` entries of one message subscription (``None``: by
    name only, for an element without a key or when the keys would not fit)."""
    return [name, f"{name}|{correlation_key if correlation_key is not None else '*'}"]


class UnsearchableValue(ValueError):
    """A value no visibility query can match exactly (see ``unsearchable``)."""


def unsearchable(value: str) -> str | None:
    """Why a visibility query cannot look ``value`` up exactly, or None when it can.

    Temporal parses a list filter, prints the literal back with backslash escapes and then
    strips the quotes without undoing them, so on this server (1.32) a backslash, a double
    quote or a control character in a value never matches what the workflow stored: the
    SQLite store of the dev server even fails with an SQL error that the client retries
    for seconds (a NUL ends the SQL statement early). Leading or trailing single quotes are
    stripped (temporalio/temporal#12019), and a ``?`` breaks PostgreSQL visibility
    (temporalio/temporal#11797). Such values are refused up front instead of querying for
    something else: that is an injection surface and a silent miss at once.
    """
    for char in value:
        if unicodedata.category(char) == "Cc":
            return f"control character U+{ord(char):04X}"
        if char in _UNSEARCHABLE:
            return f"the character {char!r}"
    if value.startswith("'") or value.endswith("'"):
        return "a single quote at its start or end"
    return None


_UNSEARCHABLE = frozenset('"\\?')


def literal(value: str) -> str:
    """``value`` as a list-filter string literal that matches exactly that value.

    Raises ``UnsearchableValue`` for values no literal can express (``unsearchable``);
    whatever is left needs no escaping inside double quotes.
    """
    reason = unsearchable(value)
    if reason is not None:
        raise UnsearchableValue(f"{value!r} cannot be looked up in Temporal: {reason}")
    return f'"{value}"'


def waiting_query(name: str, correlation_key: str | None) -> str:
    """A visibility filter for instances that may take message ``name`` with this key
    (an element without a correlation key takes any; a message without one, any).
    Raises ``UnsearchableValue`` when the name or key cannot be queried exactly."""
    if correlation_key is None:
        return f"{WAITING_MESSAGES.name} = {literal(name)}"
    keyed = literal(f"{name}|{correlation_key}")
    open_ = literal(f"{name}|*")
    return f"({WAITING_MESSAGES.name} = {keyed} OR {WAITING_MESSAGES.name} = {open_})"
