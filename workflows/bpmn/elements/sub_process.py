"""Embedded, transaction and event sub-processes: a new scope run with its own tokens,
which ends when its last token ends (or rethrows what its content threw).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import StartEvent, SubProcess, implicit_starts
    from workflows.tokens import Token, Wait

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.control import Incident, waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def run(rt: Runtime, node: SubProcess, token: Token) -> bool:
    """Embedded and transaction sub-processes run their scope; an event sub-process runs
    once its start event triggered; an empty ad-hoc sub-process completes at once."""
    if node.variant in ("embedded", "transaction"):
        await sub_process(rt, node, token)
        return True
    if node.variant == "event" and token.start_event:
        await run_scope(rt, node, token, [token.start_event])
        return True
    if node.variant == "adHoc" and not node.children and rt.holds(semantics.EMPTY_AD_HOC):
        return True  # nothing can be activated inside: it completes at once
    raise Incident(f"{node.kind} elements are not executable yet")


async def sub_process(rt: Runtime, node: SubProcess, token: Token) -> None:
    starts = [
        s for s in node.start_nodes if isinstance((n := rt.node(s)), StartEvent) and n.event is None
    ]
    if not starts and not (token.resume or implicit_starts(rt.nodes(), node.id)):
        return
    await run_scope(rt, node, token, starts)


async def run_scope(rt: Runtime, node: SubProcess, token: Token, starts: list[str]) -> None:
    """Run a child scope from ``start`` until it finishes or throws (after
    continue-as-new: go on waiting for the run restored from the snapshot)."""
    snap = token.resume.pop(node.id, None)
    if snap is not None and token.child_run is not None:
        scope = token.child_run
    else:
        scope = advance.new_scope(rt, node.id, token.scope)
        token.child_run = scope
        for start in advance.scope_starts(rt, starts, implicit_starts(rt.nodes(), node.id)):
            advance.spawn(rt, scope, start, via=None)
    ready = lambda: scope.finished or scope.thrown is not None  # noqa: E731
    try:
        with waiting_on(token, node.id, Wait("scope", ready, scope=scope)):
            await workflow.wait_condition(ready)
    except asyncio.CancelledError:
        for inner in list(scope.tokens.values()):
            if inner.task is not None:
                inner.task.cancel()
        raise
    finally:
        rt.finish_scope(scope, force=True)
    if scope.thrown is not None:
        for inner in list(scope.tokens.values()):
            if inner.task is not None:
                inner.task.cancel()
        raise scope.thrown
