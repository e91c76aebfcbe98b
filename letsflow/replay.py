"""``replay``: rebuild a process from its scenario and its events, checking each one.

The events are the process's history and its integrity proof: each one's hash covers
its content and the hash before it. Replaying re-runs them through the engine and
demands the same outcome, event by event, so a stored process can be verified (or
rebuilt after a scenario migration) without trusting its stored state.

Events that were skipped changed nothing and are re-appended as they are (the user
checks that skipped them cannot be repeated: the events do not hold the user's roles).
Applied action events are re-applied without the user check for the same reason.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from letsflow.errors import ProcessError
from letsflow.events import (
    is_action_event,
    is_instantiate_event,
    parse_timestamp,
    verify_chain,
)
from letsflow.identity import scenario_id
from letsflow.process import UNDEFINED, UuidFactory, instantiate
from letsflow.step import fire_timeout, perform


def replay(
    scenario: dict[str, Any],
    events: Sequence[dict[str, Any]],
    *,
    new_uuid: UuidFactory | None = None,
) -> dict[str, Any]:
    """The process ``events`` describe, rebuilt on ``scenario`` (normalized).

    Raises :class:`ProcessError` when the chain is broken, the first event names another
    scenario, or an event does not reproduce (a skipped event that should apply, or an
    applied one whose outcome differs). Data functions calling ``uuid()`` without a name
    need the same ``new_uuid`` sequence as the original run.
    """
    verify_chain(events)
    first = events[0]
    expected = scenario.get("id") if isinstance(scenario.get("id"), str) else scenario_id(scenario)
    if first.get("scenario") != expected:
        raise ProcessError(
            f"Event scenario id '{first.get('scenario')}' does not match scenario id '{expected}'"
        )
    process = instantiate(
        scenario,
        process_id=first["id"],
        timestamp=parse_timestamp(first["timestamp"]),
        actors=first.get("actors"),
        vars=first.get("vars"),
        new_uuid=new_uuid,
    )
    _same(process["events"][-1], first, 0)

    for index, event in enumerate(events[1:], start=1):
        if is_instantiate_event(event):
            raise ProcessError(f"event {index}: cannot replay a second instantiate event")
        if is_action_event(event) and event.get("skipped"):
            process = copy.deepcopy(process)
            process["events"].append(copy.deepcopy(event))
            continue
        if is_action_event(event):
            process = perform(
                process,
                event["action"],
                event["actor"],
                copy.deepcopy(event["response"]) if "response" in event else UNDEFINED,
                timestamp=event["timestamp"],
                new_uuid=new_uuid,
                authorize=False,
            )
        else:
            before = len(process["events"])
            process = fire_timeout(process, timestamp=event["timestamp"], new_uuid=new_uuid)
            if len(process["events"]) == before:
                raise ProcessError(f"event {index}: timeout {event['hash']} should not have fired")
        _same(process["events"][-1], event, index)
    return process


def _same(produced: dict[str, Any], recorded: dict[str, Any], index: int) -> None:
    if produced.get("hash") == recorded.get("hash"):
        return
    reasons = produced.get("errors") or []
    detail = f": {'; '.join(reasons)}" if reasons else ""
    raise ProcessError(
        f"event {index} ({recorded.get('hash')}) does not replay; the engine produced "
        f"{produced.get('hash')}{detail}",
        reasons,
    )
