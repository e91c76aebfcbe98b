"""replay and the hash chain: a process rebuilt from its events is the same process."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from letsflow import ProcessError, event_hash, replay, step, timeout, verify_chain
from tests.letsflow.corpus import needs_corpus
from tests.letsflow.engine import World, at, corpus_scenario, scenario, start, uuids

DOCUMENT: dict[str, Any] = {
    "actors": {"client": {"properties": {"name": "string"}}, "admin": {"role": "admin"}},
    "vars": {"n": {"type": "integer", "default": 0}, "id": "string"},
    "actions": {
        "bump": {
            "update": [
                {"set": "vars.n", "value": {"<ref>": "vars.n + `1`"}},
                {"set": "vars.id", "value": {"<ref>": "uuid()"}},
            ]
        },
        "name": {"response": "string", "update": {"set": "actors.client.name"}},
    },
    "states": {
        "initial": {
            "transitions": [
                {"on": "bump", "goto": None},
                {"on": "name", "by": "client", "goto": "waiting"},
            ]
        },
        "waiting": {
            "transitions": [
                {"on": "approve", "by": "admin", "goto": "(done)"},
                {"after": 60, "goto": None},
            ]
        },
    },
}


def _history() -> dict[str, Any]:
    new_uuid = uuids()
    process = start(DOCUMENT, actors={"client": {"id": "u1"}}, new_uuid=new_uuid)
    process = step(
        process, "bump", {"key": "client", "id": "u1"}, timestamp=at(1), new_uuid=new_uuid
    )
    process = step(process, "name", {"key": "client", "id": "u2"}, "x", timestamp=at(2))  # skipped
    process = step(process, "name", {"key": "client", "id": "u1"}, "Claire", timestamp=at(3))
    process = timeout(process, timestamp=at(63))
    process = step(
        process, "approve", {"key": "admin", "id": "a", "roles": ["admin"]}, timestamp=at(64)
    )
    return process


def test_every_event_links_to_the_one_before() -> None:
    process = _history()
    verify_chain(process["events"])
    for before, event in zip(process["events"], process["events"][1:], strict=False):
        assert event["previous"] == before["hash"]
        assert event["hash"] == event_hash(event)
    assert [bool(e.get("skipped")) for e in process["events"]] == [
        False,
        False,
        True,
        False,
        False,
        False,
    ]


def test_replay_rebuilds_the_process() -> None:
    process = _history()
    assert process["current"]["key"] == "(done)"
    rebuilt = replay(scenario(DOCUMENT), process["events"], new_uuid=uuids())
    assert rebuilt == process


def test_replay_refuses_a_tampered_event() -> None:
    events = copy.deepcopy(_history()["events"])
    events[3]["response"] = "Mallory"
    with pytest.raises(ProcessError, match="hashes to"):
        replay(scenario(DOCUMENT), events, new_uuid=uuids())


def test_replay_refuses_a_rehashed_event_that_breaks_the_chain() -> None:
    events = copy.deepcopy(_history()["events"])
    events[3]["response"] = "Mallory"
    events[3]["hash"] = event_hash(events[3])
    with pytest.raises(ProcessError, match="does not follow"):
        replay(scenario(DOCUMENT), events, new_uuid=uuids())


def test_replay_refuses_another_scenario() -> None:
    events = _history()["events"]
    other = scenario({**DOCUMENT, "title": "other"})
    with pytest.raises(ProcessError, match="does not match scenario id"):
        replay(other, events, new_uuid=uuids())


def test_replay_refuses_an_event_that_should_have_been_skipped() -> None:
    process = start(DOCUMENT, new_uuid=uuids())
    forged = {
        "previous": process["events"][-1]["hash"],
        "timestamp": "2025-01-01T00:00:01.000Z",
        "action": "approve",
        "actor": {"key": "admin"},
        "skipped": False,
    }
    forged["hash"] = event_hash(forged)
    with pytest.raises(ProcessError, match="does not replay") as err:
        replay(scenario(DOCUMENT), [*process["events"], forged], new_uuid=uuids())
    assert err.value.errors == ["Action 'approve' is not allowed in state 'initial'"]


def test_replay_refuses_an_early_timeout() -> None:
    process = start(DOCUMENT, actors={"client": {"id": "u1"}}, new_uuid=uuids())
    process = step(process, "name", {"key": "client", "id": "u1"}, "C", timestamp=at(1))
    early = {"previous": process["events"][-1]["hash"], "timestamp": "2025-01-01T00:00:30.000Z"}
    early["hash"] = event_hash(early)
    with pytest.raises(ProcessError, match="should not have fired"):
        replay(scenario(DOCUMENT), [*process["events"], early], new_uuid=uuids())


@needs_corpus
def test_replay_the_meeting() -> None:
    world = World("meeting")
    world.is_the("Bob", "person_1")
    world.is_the("Eve", "person_2")
    world.service_does("default", "start", {"person_1": None, "person_2": None})
    world.does("Bob", "introduce", {"name": "Bob", "organization": "Jasny"})
    world.does("Eve", "introduce", {"name": "Eve", "organization": "Acme"})
    world.does("Bob", "talk", "Hello")
    world.does("Bob", "talk", "Again")  # skipped: not his turn
    world.does("Eve", "leave")
    world.does("Bob", "leave")
    assert world.state == "(done)"
    assert replay(corpus_scenario("meeting"), world.process["events"]) == world.process
