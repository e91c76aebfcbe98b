"""Control-flow exceptions and small helpers every behaviour uses."""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import (
        BoundaryEvent,
        ErrorEventDefinition,
        EscalationEventDefinition,
        StartEvent,
    )
    from workflows.tokens import ScopeRun, Token, Wait


#: Variables local to the running execution (a multi-instance item, its loop counters).
#: A ContextVar, because each token runs in its own asyncio task and copies it.
LOCALS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "locals", default=None
)


class Incident(Exception):
    """Raised inside a token when an element cannot proceed; parks the token.
    ``attempts``: how often the element was tried (an activity's retries), if it was;
    ``incident_type`` and ``configuration`` as Camunda 7 names them (``failedJob``, or
    ``failedExternalTask`` with the HTTP worker's task id as configuration)."""

    def __init__(
        self,
        message: str,
        attempts: int | None = None,
        *,
        incident_type: str = "failedJob",
        configuration: str | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.incident_type = incident_type
        self.configuration = configuration


@dataclass
class Catcher:
    """Where a thrown error or escalation is caught."""

    run: ScopeRun  # the scope whose event sub-process, or whose host's boundary, catches
    interrupting: bool
    esp: str | None = None
    start: StartEvent | None = None
    boundary: BoundaryEvent | None = None


class Exhausted(Exception):  # control flow, not a failure
    """A repeating timer fired as often as its cycle allows."""


def code_and_ref(
    event: ErrorEventDefinition | EscalationEventDefinition,
) -> tuple[str | None, str | None]:
    if isinstance(event, ErrorEventDefinition):
        return event.error_code, event.error_ref
    return event.escalation_code, event.escalation_ref


def encoded_size(values: dict[str, Any]) -> int:
    """About what the variables weigh in a payload (JSON, as the converter writes it)."""
    return len(json.dumps(values, default=str, separators=(",", ":")).encode())


@contextlib.contextmanager
def waiting_on(holder: Token | ScopeRun, key: str, wait: Wait) -> Iterator[Wait]:
    """Register what ``holder`` waits for while the body awaits it (the material of a
    continue-as-new snapshot); unregistered however the wait ends."""
    holder.waits[key] = wait
    try:
        yield wait
    finally:
        if holder.waits.get(key) is wait:
            del holder.waits[key]
