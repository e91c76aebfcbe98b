"""A process's event log: timestamps, the hash chain, and what kind each event is.

The events are the process's source of truth: ``replay`` rebuilds the process from
them, and the last hash is the process's ETag. So they must hash the same here as in
LetsFlow: timestamps are written as JavaScript's ``Date.toJSON()`` does
(``YYYY-MM-DDTHH:mm:ss.sssZ``, millisecond precision) and each event's ``hash`` is
:func:`letsflow.identity.event_hash` of the rest of it, ``previous`` linking to the
event before.

Three kinds, told apart by their keys as in LetsFlow: an *instantiate* event has
``scenario``, an *action* event has ``action``, a *timeout* event has neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from letsflow.errors import ProcessError
from letsflow.identity import event_hash


def format_timestamp(moment: datetime) -> str:
    """``moment`` as JavaScript's ``Date.toJSON()`` writes it (UTC, milliseconds, ``Z``).

    A naive datetime is taken to be UTC already. Sub-millisecond digits are dropped (not
    rounded), since a JavaScript ``Date`` holds whole milliseconds.
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: Any) -> datetime:
    """The aware UTC datetime of a timestamp written by :func:`format_timestamp`."""
    if not isinstance(text, str):
        raise ProcessError(f"a timestamp is an ISO 8601 string, not {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ProcessError(f"invalid timestamp {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def seconds_since(start: str, moment: datetime) -> float:
    """Seconds from the timestamp ``start`` to ``moment``, at millisecond precision (the
    precision both ends are stored with, so replays compute the same number)."""
    later = parse_timestamp(format_timestamp(moment))
    return round((later - parse_timestamp(start)).total_seconds(), 3)


def with_hash(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with its ``hash`` (re)computed, as the last key."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return {**body, "hash": event_hash(body)}


def last_hash(process: Mapping[str, Any]) -> str:
    """The hash the next event links to (the process's ETag)."""
    events = process.get("events")
    if not isinstance(events, list) or not events or not isinstance(events[-1], dict):
        raise ProcessError("the process has no events")
    value = events[-1].get("hash")
    if not isinstance(value, str):
        raise ProcessError("the last event of the process has no hash")
    return value


def is_instantiate_event(event: Mapping[str, Any]) -> bool:
    return "scenario" in event


def is_action_event(event: Mapping[str, Any]) -> bool:
    return "action" in event


def is_timeout_event(event: Mapping[str, Any]) -> bool:
    return "scenario" not in event and "action" not in event


def verify_chain(events: Sequence[Mapping[str, Any]]) -> None:
    """Raise :class:`ProcessError` unless each event hashes to its ``hash`` and links to
    the one before (the first must be an instantiate event)."""
    if not events or not is_instantiate_event(events[0]):
        raise ProcessError("the first event must be an instantiate event")
    previous: str | None = None
    for index, event in enumerate(events):
        expected = event_hash(event)
        if event.get("hash") != expected:
            raise ProcessError(
                f"event {index} has hash {event.get('hash')!r}; it hashes to {expected}"
            )
        if index and event.get("previous") != previous:
            raise ProcessError(
                f"event {index} does not follow the event before; "
                f"expected previous {previous}, got {event.get('previous')!r}"
            )
        if index and is_instantiate_event(event):
            raise ProcessError(f"event {index} is a second instantiate event")
        previous = expected
