"""Gateways: exclusive and inclusive choice happen in ``advance.taken_flows``; here the
waiting sides: parallel and inclusive joins (which tokens a join still waits for is
``workflows.graph``) and the event-based gateway's race between its catch events.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import Gateway
    from workflows.tokens import ScopeRun, Token, Wait

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.behaviors import catch_events, variables
from workflows.bpmn.control import waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def gateway(rt: Runtime, node: Gateway, token: Token) -> bool:
    if node.gateway == "eventBased":
        await event_gateway(rt, node, token)
        return False
    if len(node.incoming) > 1 and node.gateway in ("parallel", "inclusive"):
        await join(rt, node, token)
    return True


async def join(rt: Runtime, node: Gateway, token: Token) -> None:
    """Wait until the join may fire; the token that fires it continues, the other
    arrivals it consumes are merged."""
    scope = token.scope
    links = node.gateway == "inclusive" and rt.holds(semantics.JOIN_THROUGH_LINKS)

    def arrivals() -> dict[str, list[Token]]:
        found: dict[str, list[Token]] = {}
        for other in scope.tokens.values():
            if other.element_id == node.id and not other.merged and other.via:
                found.setdefault(other.via, []).append(other)
        return found

    def can_fire() -> bool:
        if token.merged:
            return True
        present = arrivals()
        if node.gateway == "parallel":
            return all(flow in present for flow in node.incoming)
        # inclusive: no other token of the scope can still arrive on an empty flow
        assert rt.graph is not None
        for other in scope.tokens.values():
            if other.element_id == node.id:
                continue
            if node.id in rt.graph.reachable(other.element_id, links=links):
                return False
        return True

    token.resume.pop(node.id, None)
    with waiting_on(token, node.id, Wait("join", can_fire)):
        await workflow.wait_condition(can_fire)
    if token.merged:
        raise asyncio.CancelledError  # counted as merged by _run_token
    for flow, waiting in arrivals().items():
        consumed = [t for t in waiting if t is not token][: 1 if flow != token.via else 0]
        for other in consumed:
            other.merged = True


async def event_gateway(rt: Runtime, node: Gateway, token: Token) -> None:
    """The first of the following events wins; the token continues from it."""
    assert rt.definition is not None
    targets = [rt.flow_target(f) for f in node.outgoing]
    waits: dict[asyncio.Task[None], str] = {}
    for target in targets:
        target_node = rt.node(target)
        event = getattr(target_node, "event", None)
        waits[asyncio.create_task(catch_events.catch(rt, target_node, event, holder=token))] = (
            target
        )
    with waiting_on(token, node.id, Wait("gateway", lambda: False)):
        done, pending = await workflow.wait(list(waits), return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    winner = next(iter(done))
    winner.result()
    continue_after_catch(rt, token.scope, waits[winner])


def continue_after_catch(rt: Runtime, scope: ScopeRun, element_id: str) -> None:
    """Enter and leave a catch event whose trigger already happened."""
    node = rt.node(element_id)
    rt.counts.entered[element_id] += 1
    rt.counts.completed[element_id] += 1
    variables.apply_mappings(rt, getattr(node, "outputs", []), element_id)
    for flow_id in advance.taken_flows(rt, node):
        advance.spawn(rt, scope, rt.flow_target(flow_id), via=flow_id)
