"""The ``state`` query's answer: active elements, open tasks and incidents, variables, the
case history, what each token waits for (the Web UI and the API read this).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from workflows.tokens import ScopeRun, Token


if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def state(rt: Runtime) -> c.ProcessStateView:
    counts = rt.counts.as_dicts()
    return c.ProcessStateView(
        definition=rt.input.definition,
        business_key=rt.input.business_key,
        state=rt.state,
        ready=rt.definition is not None,
        variables=rt.variables,
        active=active(rt),
        tasks=list(rt.tasks.values()),
        incidents=list(rt.incidents.values()),
        history=rt.history,
        start_time=rt.start_time,
        end_time=rt.end_time,
        counts=c.ElementCounts(**counts, waiting=rt.waiting()),
        waiting_messages=sorted({s.name for s in rt.subscriptions if s.kind == "message"}),
        waiting_timers=sorted(set(rt.timers) | timers_to_resume(rt)),
        children=list(rt.children),
        waiting_elements=sorted({s.element_id for s in rt.subscriptions}),
        runs=rt.runs,
        history_dropped=rt.history_dropped,
    )


def timers_to_resume(rt: Runtime) -> set[str]:
    """Timers of a restored run whose coroutines have not started yet (a query may
    arrive while the new run loads its definition)."""
    found: set[str] = set()
    for scope in rt.live_scopes():
        holders: list[Token | ScopeRun] = [scope, *scope.tokens.values()]
        for holder in holders:
            found.update(k for k, snap in holder.resume.items() if snap.kind == "timer")
    return found


def active(rt: Runtime) -> list[c.ActiveElement]:
    if rt.definition is None:
        return []
    return [
        c.ActiveElement(
            token_id=t.id,
            element_id=t.element_id,
            name=rt.node(t.element_id).name,
            type=rt.node(t.element_id).kind,
        )
        for t in rt.live_tokens()
    ]
