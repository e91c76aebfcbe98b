"""Event sub-processes: each scope run watches its event sub-processes' message, timer and
signal starts, and starts one (interrupting the scope or beside it) when it triggers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import StartEvent, SubProcess
    from workflows.tokens import ScopeRun, Token

from workflows.bpmn import advance
from workflows.bpmn.behaviors import catch_events
from workflows.bpmn.control import Exhausted

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def event_starts(rt: Runtime, scope: ScopeRun) -> list[tuple[str, StartEvent]]:
    """The event sub-processes of ``scope`` with their (triggered) start events."""
    assert rt.definition is not None
    if scope.element_id is None:
        esp_ids = rt.definition.event_subprocesses
    else:
        host = rt.node(scope.element_id)
        esp_ids = host.event_subprocesses if isinstance(host, SubProcess) else []
    found: list[tuple[str, StartEvent]] = []
    for esp_id in esp_ids:
        esp = rt.node(esp_id)
        assert isinstance(esp, SubProcess)
        for start_id in esp.start_nodes:
            start = rt.node(start_id)
            if isinstance(start, StartEvent) and start.event is not None:
                found.append((esp_id, start))
    return found


async def watch(rt: Runtime, scope: ScopeRun, esp_id: str, start: StartEvent) -> None:
    """Wait for an event sub-process's message/timer/signal start; a non-interrupting
    one keeps listening after each trigger."""
    snap = scope.resume.get(start.id)
    occurrence = snap.occurrence if snap is not None else 0
    while not scope.finished:
        try:
            await catch_events.catch(
                rt, start, start.event, occurrence, owner=scope.id, holder=scope
            )
        except Exhausted:
            return
        occurrence += 1
        trigger_esp(rt, scope, esp_id, start, current=None)
        if start.interrupting:
            return


def trigger_esp(
    rt: Runtime, scope: ScopeRun, esp_id: str, start: StartEvent, current: Token | None
) -> None:
    """Start an event sub-process in ``scope``; an interrupting one first cancels
    everything else the scope does."""
    token = Token(id=rt.new_id("t"), element_id=esp_id, scope=scope, start_event=start.id)
    scope.tokens[token.id] = token
    if start.interrupting:
        for other in list(scope.tokens.values()):
            if other is not token and other is not current and other.task is not None:
                other.task.cancel()
        for watcher in scope.watchers:
            if watcher is not asyncio.current_task():
                watcher.cancel()
    token.task = asyncio.create_task(advance.run_token(rt, token))
    rt.touch_instance()
