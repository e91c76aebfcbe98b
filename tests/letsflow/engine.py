"""Helpers for the process-engine tests: scenarios from dicts or the corpus, a fake clock,
and a small "world" that plays the Gherkin steps of ``@letsflow/testing``."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from letsflow import UNDEFINED, instantiate, load_yaml, normalize, scenario_id, step
from tests.letsflow.corpus import LETSFLOW

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PROCESS_ID = "00000000-0000-4000-8000-000000000000"


def scenario(document: dict[str, Any]) -> dict[str, Any]:
    """A normalized scenario with its id, as the engine receives it."""
    normalized = normalize(document)
    return {"id": scenario_id(normalized), **normalized}


def corpus_scenario(name: str) -> dict[str, Any]:
    return scenario(load_yaml((LETSFLOW / f"{name}.yaml").read_text()))


def uuids() -> Callable[[], str]:
    """A deterministic ``new_uuid`` (what ``workflow.uuid4`` is inside a workflow)."""
    counter = itertools.count(1)
    return lambda: str(uuid.UUID(int=next(counter)))


def start(document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("process_id", PROCESS_ID)
    kwargs.setdefault("timestamp", T0)
    return instantiate(scenario(document), **kwargs)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def last_event(process: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = process["events"][-1]
    return event


def errors(process: dict[str, Any]) -> list[str]:
    event = last_event(process)
    assert event.get("skipped"), f"the last event is not skipped: {event}"
    found: list[str] = event["errors"]
    return found


class World:
    """One process driven the way ``@letsflow/testing`` drives it.

    ``"Alice" is the "customer" actor`` only names who plays which actor (the process
    gets no id for them); ``"Alice" does "x" with ...`` steps as ``{key: <actor>}``;
    ``the "default" service does ...`` steps as ``{key: "service:default"}``. Each step
    is a second after the one before.
    """

    def __init__(self, name: str) -> None:
        self.process = instantiate(corpus_scenario(name), process_id=PROCESS_ID, timestamp=T0)
        self.actors: dict[str, dict[str, Any]] = {}
        self.clock = itertools.count(1)

    def is_the(self, name: str, actor: str) -> None:
        self.actors[name] = {"key": actor}

    def does(self, name: str, action: str, response: Any = UNDEFINED) -> None:
        actor = {"key": name} if name.startswith("service:") else self.actors[name]
        self.process = step(self.process, action, actor, response, timestamp=at(next(self.clock)))

    def service_does(self, service: str, action: str, response: Any = UNDEFINED) -> None:
        self.does(f"service:{service}", action, response)

    @property
    def state(self) -> str:
        key: str = self.process["current"]["key"]
        return key

    @property
    def last(self) -> dict[str, Any]:
        return last_event(self.process)
