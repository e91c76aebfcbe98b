"""Interpreter state that is plain data: tokens, scope runs, throws, counters.

Kept apart from the workflow class so the rules for counting and scoping read on their
own. Nothing here calls Temporal APIs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Token:
    """A token at an element. ``via`` is the sequence flow it arrived by (joins need it)."""

    id: str
    element_id: str
    scope: ScopeRun
    via: str | None = None
    attempts: int | None = None  # an incident retry may grant a new number of attempts
    task: asyncio.Task[None] | None = None
    start_event: str | None = None  # for an event sub-process: the start event that fired
    child_run: ScopeRun | None = None  # the scope run a sub-process token created
    merged: bool = False  # absorbed by a join another token activated
    # what the token waits for now, by the element that waits (itself, a boundary event,
    # an event gateway's target) or by a marker ("@enter", "@incident"); a snapshot for
    # continue-as-new is made of these
    waits: dict[str, Wait] = field(default_factory=dict)
    # waits to restore after continue-as-new, consumed by the element that waits
    resume: dict[str, Any] = field(default_factory=dict)
    awaited: bool = False  # another coroutine waits for this token (compensation)
    busy: bool = False  # in a multi-instance body or a call activity: cannot be snapshotted
    skip: bool = False  # its incident was resolved by hand: leave without running again
    # a multi-instance body's completed instances: each one's loop variables
    completed_instances: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class ScopeRun:
    """One run of a scope: the process, or one activation of an embedded sub-process."""

    id: str
    element_id: str | None  # None for the process itself
    parent: ScopeRun | None
    tokens: dict[str, Token] = field(default_factory=dict)
    finished: bool = False
    thrown: BpmnThrow | None = None  # an error/escalation leaving this scope
    terminated: bool = False
    watchers: list[asyncio.Task[None]] = field(default_factory=list)  # event sub-process triggers
    # completed activities that can still be compensated: (element id, its own run if a
    # sub-process), in completion order
    compensable: list[tuple[str, ScopeRun | None]] = field(default_factory=list)
    # the loop variables of compensable multi-instance instances, by element, in
    # completion order: one per entry of that element in ``compensable``
    instance_locals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    waits: dict[str, Wait] = field(default_factory=dict)  # event sub-process start triggers
    resume: dict[str, Any] = field(default_factory=dict)

    def chain(self) -> list[ScopeRun]:
        scopes: list[ScopeRun] = []
        scope: ScopeRun | None = self
        while scope is not None:
            scopes.append(scope)
            scope = scope.parent
        return scopes


class BpmnThrow(Exception):  # a BPMN "throw", not a Python error
    """An error or escalation thrown inside the process, travelling to its catcher."""

    def __init__(
        self,
        kind: str,
        code: str | None,
        message: str = "",
        element_id: str | None = None,
        ref: str | None = None,
    ) -> None:
        super().__init__(f"{kind} {code or '(no code)'}: {message}")
        self.kind = kind
        self.code = code
        self.message = message
        self.element_id = element_id
        self.ref = ref  # the error/escalation element thrown, when it has no code


@dataclass
class Counts:
    """Per element: entered, completed, cancelled and merged (see the conformance kit)."""

    entered: Counter[str] = field(default_factory=Counter)
    completed: Counter[str] = field(default_factory=Counter)
    cancelled: Counter[str] = field(default_factory=Counter)
    merged: Counter[str] = field(default_factory=Counter)

    def as_dicts(self) -> dict[str, dict[str, int]]:
        return {
            "entered": dict(self.entered),
            "completed": dict(self.completed),
            "cancelled": dict(self.cancelled),
            "merged": dict(self.merged),
        }


@dataclass(eq=False)
class Subscription:
    """A wait for a message or signal, created by a catch event, receive task or boundary."""

    kind: str  # "message" | "signal"
    name: str
    element_id: str
    correlation_key: str | None
    sequence: int
    delivered: dict[str, Any] | None = None  # the variables of the matching message/signal
    cancelled: bool = False
    owner: str | None = None  # the scope run whose event sub-process this starts


@dataclass(eq=False)
class Wait:
    """One wait of a token or scope that a continue-as-new snapshot can carry over.

    ``ready`` is the condition the waiting coroutine waits on: a snapshot is only taken
    when no wait is ready, so no trigger that already arrived can be lost.
    """

    kind: str  # enter | task | message | signal | timer | conditional | join | gateway
    #            | incident | scope
    ready: Callable[[], bool]
    task_id: str | None = None
    subscription: Subscription | None = None
    deadline: Any = None  # datetime of a timer
    occurrence: int = 0  # of a repeating timer
    incident_id: str | None = None
    scope: ScopeRun | None = None
