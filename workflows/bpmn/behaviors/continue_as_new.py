"""Continue-as-new: when the history grows long the run drains to a quiet point (new
tokens wait at their element's entry), snapshots tokens, waits and data
(``workflows.continuation``), and the next run restarts from the snapshot.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from workflows import continuation
    from workflows.tokens import Counts, ScopeRun, Token, Wait

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.behaviors import event_subprocesses, outbox
from workflows.bpmn.constants import (
    CARRIED_CHILDREN,
    CARRIED_HISTORY,
    CARRIED_MESSAGE_IDS,
    DRAIN_BACKOFF_EVENTS,
    DRAIN_PATIENCE,
    OPEN_TASK_STATES,
)
from workflows.bpmn.control import waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def hold(rt: Runtime, token: Token) -> None:
    """While the run drains for continue-as-new, a token that just entered its element
    waits here; the next run starts its behaviour."""
    ready = lambda: not rt.draining  # noqa: E731
    with waiting_on(token, "@enter", Wait("enter", ready)):
        await workflow.wait_condition(ready)


def continue_due(rt: Runtime) -> bool:
    info = workflow.info()
    length = info.get_current_history_length()
    if length < rt.drain_after:
        return False
    limit = rt.input.continue_as_new_after
    if not (info.is_continue_as_new_suggested() or (limit is not None and length >= limit)):
        return False
    # a multi-instance body or a call activity cannot be carried over: let it finish
    return not any(t.busy for t in rt.live_tokens())


async def drain_when_due(rt: Runtime) -> None:
    """When the history grows long (the server suggests it, or the input's limit is
    reached), hold new tokens at entry until every token waits somewhere a snapshot
    can describe; ``run`` then continues as new. An instance that does not become
    quiet within ``DRAIN_PATIENCE`` goes on and tries again later."""
    while True:
        await workflow.wait_condition(functools.partial(continue_due, rt))
        if not rt.holds(semantics.CONTINUE_AS_NEW):
            return
        rt.draining = True
        await workflow.sleep(DRAIN_PATIENCE, summary="drain for continue-as-new")
        rt.draining = False
        rt.drain_after = workflow.info().get_current_history_length() + DRAIN_BACKOFF_EVENTS


def may_continue(rt: Runtime) -> bool:
    return (
        rt.draining
        and rt.detached == 0
        and not outbox.dirty(rt)
        and not rt.flushing
        and workflow.all_handlers_finished()
        and continuation.quiet(rt.live_scopes())
    )


def next_run(rt: Runtime) -> c.ProcessInput:
    """The input of the next run: the same instance, with its open state as data."""
    assert rt.root is not None
    history = rt.history[-CARRIED_HISTORY:]
    carried = c.Continuation(
        runs=rt.runs,
        root=rt.root.id,
        scopes=continuation.snapshot_scopes(rt.live_scopes()),
        tasks=[t for t in rt.tasks.values() if t.state in OPEN_TASK_STATES],
        incidents=[i for i in rt.incidents.values() if not i.resolved],
        buffered=list(rt.buffered),
        seen_message_ids=list(rt.seen_message_ids)[-CARRIED_MESSAGE_IDS:],
        children=rt.children[-CARRIED_CHILDREN:],
        history=history,
        history_dropped=rt.history_dropped + len(rt.history) - len(history),
        counts=rt.counts.as_dicts(),
        state=rt.state,
        start_time=rt.start_time,
        next_id=rt.next_id,
        revision=rt.revision,
    )
    return rt.input.model_copy(
        update={
            "variables": dict(rt.variables),
            "resume": carried,
            "start_event": None,
            "partners": rt.partners,
        }
    )


def restore_data(rt: Runtime, carried: c.Continuation) -> None:
    """Rebuild the previous run's open state as data, at init: a query that arrives
    before the definition is loaded already sees the instance as it was."""
    scopes = continuation.restore_scopes(carried.scopes)
    rt.root = scopes[carried.root]
    rt.runs = carried.runs + 1
    rt.tasks = {t.id: t for t in carried.tasks}
    rt.incidents = {i.id: i for i in carried.incidents}
    rt.buffered = list(carried.buffered)
    rt.seen_message_ids = dict.fromkeys(carried.seen_message_ids)
    rt.children = list(carried.children)
    rt.history = list(carried.history)
    rt.history_dropped = carried.history_dropped
    rt.counts = Counts(**{k: Counter(v) for k, v in carried.counts.items()})
    rt.state = carried.state
    rt.start_time = carried.start_time
    rt.next_id = carried.next_id
    rt.revision = carried.revision
    rt.dirty_tasks.update(rt.tasks)
    rt.scopes = [s for s in scopes.values() if not s.finished]


def restart(rt: Runtime) -> ScopeRun:
    """Restart the coroutines of the restored tokens and event sub-process triggers;
    each picks up its wait from the snapshot."""
    assert rt.root is not None
    for scope in list(rt.scopes):
        for esp_id, start in event_subprocesses.event_starts(rt, scope):
            if start.id in scope.resume:
                scope.watchers.append(
                    asyncio.create_task(event_subprocesses.watch(rt, scope, esp_id, start))
                )
        for token in list(scope.tokens.values()):
            token.task = asyncio.create_task(advance.run_token(rt, token, resumed=True))
    return rt.root
