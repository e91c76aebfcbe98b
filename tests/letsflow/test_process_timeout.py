"""timeout and next_timeout: ``after`` transitions, driven by the caller's clock."""

from __future__ import annotations

from typing import Any

from letsflow import event_hash, next_timeout, step, timeout, verify_chain
from tests.letsflow.corpus import needs_corpus
from tests.letsflow.engine import PROCESS_ID, T0, World, at, last_event, start

DAY = 86400

EXPIRING = {
    "states": {
        "initial": {
            "transitions": [
                {"on": "complete", "goto": "(done)"},
                {"after": "1 minute", "goto": "(expired)"},
            ]
        }
    }
}


def test_next_timeout_is_the_smallest_after() -> None:
    assert next_timeout(start(EXPIRING)) == 60.0


def test_no_timeout_before_it_is_due() -> None:
    process = start(EXPIRING)
    assert timeout(process, timestamp=at(59.999)) is process


def test_a_due_timeout_moves_on_and_records_an_event() -> None:
    process = start(EXPIRING)
    expired = timeout(process, timestamp=at(60))
    event = last_event(expired)
    assert event == {
        "previous": process["events"][0]["hash"],
        "timestamp": "2025-01-01T00:01:00.000Z",
        "hash": event_hash(event),
    }
    assert expired["current"]["key"] == "(expired)"
    assert expired["current"]["timestamp"] == "2025-01-01T00:01:00.000Z"
    assert expired["isRunning"] is False
    assert expired["tags"] == ["(expired)"]
    assert expired["previous"] == []  # timeouts are not logged unless asked
    assert next_timeout(expired) is None
    verify_chain(expired["events"])


def test_a_late_timer_still_fires() -> None:
    assert timeout(start(EXPIRING), timestamp=at(3 * DAY))["current"]["key"] == "(expired)"


def test_no_timeout_in_a_state_without_after() -> None:
    process = start({"states": {"initial": {"on": "complete", "goto": "(done)"}}})
    assert next_timeout(process) is None
    assert timeout(process, timestamp=at(10 * DAY)) is process


REMINDING: dict[str, Any] = {
    "vars": {"remind": {"type": "boolean", "default": True}},
    "states": {
        "initial": {
            "transitions": [
                {"on": "complete", "goto": "(done)"},
                {"after": "10 days", "goto": "(failed)"},
                {
                    "after": "1 day",
                    "if": {"<ref>": "vars.remind"},
                    "goto": None,
                    "log": {"title": "Reminder sent"},
                },
            ]
        }
    },
}


def test_goto_null_timeout_stays_and_the_next_one_follows() -> None:
    process = start(REMINDING)
    assert next_timeout(process) == DAY
    reminded = timeout(process, timestamp=at(DAY))
    assert reminded["current"] == process["current"]  # stayed, timer not reset
    assert reminded["previous"] == [
        {"title": "Reminder sent", "description": "", "timestamp": "2025-01-02T00:00:00.000Z"}
    ]
    assert next_timeout(reminded) == 10 * DAY
    assert timeout(reminded, timestamp=at(2 * DAY)) is reminded  # the reminder fired already
    failed = timeout(reminded, timestamp=at(10 * DAY))
    assert failed["current"]["key"] == "(failed)"
    assert [e.get("action") for e in failed["events"]] == [None, None, None]


def test_timeout_conditions_are_checked_when_due() -> None:
    process = start(REMINDING, vars={"remind": False})
    assert next_timeout(process) == 10 * DAY
    assert timeout(process, timestamp=at(DAY)) is process
    assert timeout(process, timestamp=at(10 * DAY))["current"]["key"] == "(failed)"


def test_entering_a_state_again_restarts_its_timer() -> None:
    document = {
        "states": {
            "initial": {
                "transitions": [
                    {"on": "snooze", "goto": "initial"},
                    {"after": 60, "goto": "(expired)"},
                ]
            }
        }
    }
    process = start(document)
    snoozed = step(process, "snooze", {"key": "actor"}, timestamp=at(50))
    assert snoozed["current"]["timestamp"] == "2025-01-01T00:00:50.000Z"
    assert next_timeout(snoozed) == 60.0
    assert timeout(snoozed, timestamp=at(100)) is snoozed
    assert timeout(snoozed, timestamp=at(110))["current"]["key"] == "(expired)"


def test_a_timeout_into_a_state_with_an_immediate_timeout() -> None:
    document = {
        "states": {
            "initial": {"after": 5, "goto": "second"},
            "second": {"after": 0, "goto": "(done)"},
        }
    }
    second = timeout(start(document), timestamp=at(5))
    assert second["current"]["key"] == "second"
    assert next_timeout(second) == 0.0
    assert timeout(second, timestamp=at(5))["current"]["key"] == "(done)"


@needs_corpus
def test_an_unanswered_quote_is_rejected_after_ten_days() -> None:
    world = World("quote")
    world.is_the("Alice", "customer")
    world.is_the("Bob", "sales")
    request = {"company": "Acme", "email": "alice@example.com", "requirements": "X"}
    world.does("Alice", "request", {**request, "contact": "Alice", "address": "Main St"})
    assert not world.last["skipped"], world.last.get("errors")
    world.does("Bob", "create_quote", "https://example.com/quote.pdf")
    assert world.state == "quoted"
    assert world.process["result"] == "https://example.com/quote.pdf"
    assert [n["service"] for n in world.process["current"]["notify"]] == ["email"]
    assert next_timeout(world.process) == 10 * DAY
    entered = world.process["current"]["timestamp"]
    assert entered == "2025-01-01T00:00:02.000Z"
    rejected = timeout(world.process, timestamp=at(2 + 10 * DAY))
    assert rejected["current"]["key"] == "(rejected)"
    assert rejected["current"]["description"] == "The customer has not responded to the quote."
    assert rejected["isRunning"] is False
    assert rejected["tags"] == ["(rejected)"]
    assert rejected["id"] == PROCESS_ID
    assert rejected["events"][0]["timestamp"] == T0.strftime("%Y-%m-%dT%H:%M:%S.000Z")
