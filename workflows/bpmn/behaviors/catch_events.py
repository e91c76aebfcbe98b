"""Waiting for an event (catch events, receive tasks, boundary and event sub-process
starts): timers, messages, signals and conditions, each registered as a wait so a
continue-as-new snapshot can carry it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler import timers
    from bpmn_compiler.ir import (
        ConditionalEventDefinition,
        LinkEventDefinition,
        MessageEventDefinition,
        Node,
        SignalEventDefinition,
        TimerEventDefinition,
    )
    from workflows.tokens import ScopeRun, Token, Wait

from workflows import semantics
from workflows.bpmn.behaviors import subscriptions
from workflows.bpmn.control import Exhausted, Incident, waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def catch(
    rt: Runtime,
    node: Node,
    event: Any,
    occurrence: int = 0,
    owner: str | None = None,
    *,
    holder: Token | ScopeRun,
) -> None:
    """Wait for the trigger of a catch event, receive task or boundary event; the
    wait is registered on ``holder`` under the catching element's id."""
    if isinstance(event, TimerEventDefinition):
        await timer(rt, node, event, occurrence, holder)
        return
    if isinstance(event, MessageEventDefinition | SignalEventDefinition):
        await subscriptions.wait_subscription(rt, node, event, owner, holder, occurrence)
        return
    if isinstance(event, LinkEventDefinition):
        return
    if isinstance(event, ConditionalEventDefinition):
        # re-checked whenever the instance's state changes (e.g. set_variables)
        holder.resume.pop(node.id, None)
        ready = lambda: condition_holds(rt, event, node)  # noqa: E731
        with waiting_on(holder, node.id, Wait("conditional", ready, occurrence=occurrence)):
            await workflow.wait_condition(ready)
        return
    kind = getattr(event, "kind", "none")
    raise Incident(f"{kind} catch events are not executable yet")


def condition_holds(rt: Runtime, event: ConditionalEventDefinition, node: Node) -> bool:
    """Evaluated inside a wait condition: must not raise; only True counts."""
    try:
        return rt.evaluate(event.condition, node.id) is True
    except Incident:
        return False


async def timer(
    rt: Runtime, node: Node, event: TimerEventDefinition, occurrence: int, holder: Token | ScopeRun
) -> None:
    """A workflow timer that an operator may also fire early (``fire_timer``). After
    continue-as-new it keeps the deadline it had."""
    snap = holder.resume.pop(node.id, None)
    now = workflow.now()
    if snap is not None and snap.deadline is not None:
        delay = max(snap.deadline - now, timedelta(0))
    else:
        delay = timer_delay(rt, node, event, occurrence)

    def ready() -> bool:
        return rt.fire_requests[node.id] > 0

    wait = Wait("timer", ready, deadline=now + delay, occurrence=occurrence)
    one_each = rt.holds(semantics.FIRE_ONE_TIMER)
    claimed = False

    def claim() -> bool:
        """Take one request as the condition turns true. Checked after the others of
        the same activation saw it, a decrement after the wait came too late: every
        token at the element woke for one request (the old path, before
        ``FIRE_ONE_TIMER``)."""
        nonlocal claimed
        if not claimed and ready():
            rt.fire_requests[node.id] -= 1
            claimed = True
        return claimed

    rt.timers[node.id] += 1
    try:
        with waiting_on(holder, node.id, wait):
            await workflow.wait_condition(
                claim if one_each else ready,
                timeout=delay,
                timeout_summary=f"{node.id}: {node.name or event.timer}",
            )
        if not one_each:
            rt.fire_requests[node.id] -= 1
    except TimeoutError:
        pass  # the timer ran out: the normal case
    finally:
        rt.timers[node.id] -= 1
        if rt.timers[node.id] <= 0:
            del rt.timers[node.id]


def timer_delay(rt: Runtime, node: Node, event: TimerEventDefinition, occurrence: int) -> timedelta:
    value = rt.evaluate(event.value, node.id)
    now = workflow.now()
    try:
        if event.timer == "date":
            moment = value if isinstance(value, datetime) else timers.parse_date(str(value))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(moment - now, timedelta(0))
        if event.timer == "duration":
            if isinstance(value, timedelta):
                return value
            return timers.parse_duration(str(value)).add_to(now) - now
        cycle = timers.parse_cycle(str(value))
    except timers.TimerValueError as exc:
        raise Incident(f"timer of {node.id}: {exc}") from exc
    if cycle.interval is None:
        raise Incident(f"timer of {node.id}: cron cycles are not executable yet")
    if cycle.repetitions is not None and occurrence >= cycle.repetitions:
        raise Exhausted
    if cycle.start is not None and occurrence == 0:
        start = cycle.start if cycle.start.tzinfo else cycle.start.replace(tzinfo=UTC)
        return max(start - now, timedelta(0))
    return cycle.interval.add_to(now) - now
