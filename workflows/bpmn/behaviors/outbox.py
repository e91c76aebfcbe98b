"""The read-model outbox: every change marks its rows dirty; one projection activity per
stretch of work writes them with a revision that only grows, scheduled after the
workflow task commits, so the read models never show what the history does not hold.
Also the search attributes the instance publishes and the exclusive local-activity lane.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c
    from baton_client.contracts import search_attributes as sa

from workflows import semantics
from workflows.bpmn.constants import (
    FLUSH_EVERY_LOCALS,
    INFRA_RETRY,
    LOCAL_TIMEOUT,
    PROJECTION_TIMEOUT,
)

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


_T = TypeVar("_T")


async def projected(rt: Runtime, result: _T) -> _T:
    """Answer an update once the rows it changed are written (after the workflow task
    that decided it committed), so a client reads its own writes; older runs answer
    at once, as they always did."""
    if rt.after_commit:
        target = rt.revision
        await workflow.wait_condition(lambda: rt.projected_revision >= target)
    return result


def reseeded(rt: Runtime, _seed: int) -> None:
    """Called outside the workflow's event loop (no workflow time here): it flags the
    rows and wakes the loop, which checks wait conditions only after running
    something (the batch takes its revision then)."""
    resync_projection(rt)
    if rt.loop is not None:
        rt.loop.call_soon(lambda: None)


def resync_projection(rt: Runtime) -> None:
    rt.resync = True
    rt.instance_dirty = True


def refresh_state(rt: Runtime) -> None:
    open_incidents = any(not i.resolved for i in rt.incidents.values())
    if rt.state in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
        rt.state = c.InstanceState.INCIDENT if open_incidents else c.InstanceState.ACTIVE
    rt.touch_instance()


def dirty(rt: Runtime) -> bool:
    return rt.instance_dirty or bool(rt.dirty_tasks) or bool(rt.dirty_incidents)


async def flush_loop(rt: Runtime) -> None:
    """Write dirty rows in one local activity per workflow task, then update the UI."""
    while True:
        await workflow.wait_condition(
            lambda: dirty(rt) and not rt.local_busy and not defer_flush(rt)
        )
        if rt.local_busy or defer_flush(rt):
            continue  # a message/signal local activity woke in the same pass and won
        if rt.local_builtins and await settle(rt):
            continue  # the pass went on: look again
        batch = take_batch(rt)
        revision = rt.revision  # what the batch carries
        rt.locals_since_flush = 0
        written = False
        if (
            batch.instances
            or batch.tasks
            or batch.incidents
            or not rt.holds(semantics.LEAN_PROJECTION)
        ):
            rt.flushing = True
            written = True
            try:
                if rt.after_commit:
                    # the Web UI and correlation see the change in the same workflow
                    # task that schedules its rows, not one round trip later
                    publish(rt)
                    try:
                        await workflow.execute_activity(
                            c.PROJECT,
                            batch,
                            start_to_close_timeout=PROJECTION_TIMEOUT,
                            retry_policy=INFRA_RETRY,
                            summary="read models",
                        )
                    except ActivityError as err:
                        # the database refused the rows for good (a value it cannot
                        # hold): the read model lags for them; the instance goes on
                        workflow.logger.error("read models not written: %s", err.cause)
                else:
                    await workflow.execute_local_activity(
                        c.PROJECT,
                        batch,
                        start_to_close_timeout=LOCAL_TIMEOUT,
                        retry_policy=INFRA_RETRY,
                        summary="read models",
                    )
            finally:
                rt.flushing = False
        rt.projected_revision = max(rt.projected_revision, revision)
        if not (rt.after_commit and written):
            publish(rt)


async def settle(rt: Runtime) -> bool:
    """Let every coroutine that is ready run before a batch is taken (tokens that
    woke in the same activation move on first), so one batch carries what the
    activation did. ``asyncio.sleep(0)`` only yields to the workflow's event loop:
    no timer, no command. True when that started a local activity the batch should
    wait for."""
    revision = -1
    while revision != rt.revision:
        revision = rt.revision
        await asyncio.sleep(0)
    return rt.local_busy or defer_flush(rt) or not dirty(rt)


def defer_flush(rt: Runtime) -> bool:
    """Write the read models once, where a batch would be followed at once by
    another: while a token waits to run a local activity (a built-in task, a message
    or signal send), it goes first; once the process has finished, ``run`` marks the
    instance completed before the last batch. Guarded by ``semantics.LOCAL_BUILTINS``:
    older runs interleaved them."""
    if not rt.local_builtins or flush_overdue(rt):
        return False
    ending = (
        rt.root is not None
        and rt.root.finished
        and rt.state is c.InstanceState.ACTIVE
        and rt.failure is None
    )
    return rt.local_waiting > 0 or ending


def flush_overdue(rt: Runtime) -> bool:
    """A long chain of local activities (a loop over a built-in task) must not keep
    the read models stale until it ends: after ``FLUSH_EVERY_LOCALS`` of them, the
    batch goes before the next one."""
    return rt.local_builtins and rt.locals_since_flush >= FLUSH_EVERY_LOCALS and dirty(rt)


async def exclusive_local(rt: Runtime, activity: str, arg: Any, **options: Any) -> Any:
    """A local activity that never runs beside the projection's: results of two local
    activities in flight can reach the workflow in separate activations when first
    run but in one on replay (sdk-python#1578), and the order in which the flush
    loop then publishes search attributes would differ."""
    # conditions are released together: check again after waking, so a flush or
    # another message/signal local activity released in the same pass goes first
    rt.local_waiting += 1
    try:
        while local_flush(rt) or rt.local_busy or flush_overdue(rt):
            await workflow.wait_condition(
                lambda: not local_flush(rt) and not rt.local_busy and not flush_overdue(rt)
            )
    finally:
        rt.local_waiting -= 1
    rt.local_busy = True
    try:
        return await workflow.execute_local_activity(activity, arg, **options)
    finally:
        rt.local_busy = False
        rt.locals_since_flush += 1


def local_flush(rt: Runtime) -> bool:
    """A projection local activity is in flight (runs before ``semantics.AFTER_COMMIT``);
    a regular one may run beside a local activity."""
    return rt.flushing and not rt.after_commit


def take_batch(rt: Runtime) -> c.ProjectionBatch:
    ref = rt.input.definition
    resync = rt.resync
    rt.resync = False
    if resync:  # every row the instance still has, and its open ones closed elsewhere
        rt.bump_revision()
        rt.dirty_tasks.update(rt.tasks)
        rt.dirty_incidents.update(rt.incidents)
    # what every task and incident row carries besides its own fields
    owner = {
        "process_instance_id": workflow.info().workflow_id,
        "definition_key": ref.key,
        "business_key": rt.input.business_key,
        "revision": rt.revision,
    }
    batch = c.ProjectionBatch(
        tasks=[c.TaskRow(**rt.tasks[tid].model_dump(), **owner) for tid in sorted(rt.dirty_tasks)],
        resync_instance_id=workflow.info().workflow_id if resync else None,
    )
    row = (rt.state.value, rt.end_time)
    if rt.instance_dirty and (
        resync or row != rt.row_written or not rt.holds(semantics.LEAN_PROJECTION)
    ):
        rt.row_written = row
        batch.instances.append(
            c.InstanceRow(
                id=workflow.info().workflow_id,
                definition_key=ref.key,
                definition_version=ref.version,
                business_key=rt.input.business_key,
                state=rt.state,
                start_time=rt.start_time,
                end_time=rt.end_time,
                revision=rt.revision,
            )
        )
    batch.incidents = [
        c.IncidentRow(**rt.incidents[iid].model_dump(), **owner)
        for iid in sorted(rt.dirty_incidents)
        if iid in rt.incidents
    ]
    rt.instance_dirty = False
    rt.dirty_tasks.clear()
    rt.dirty_incidents.clear()
    return batch


def waiting_messages(rt: Runtime) -> tuple[str, ...]:
    """``BpmnWaitingMessages``: what correlation from outside looks instances up by."""
    waiting = [
        s
        for s in rt.subscriptions
        if s.kind == "message" and s.delivered is None and not s.cancelled
    ]
    # Temporal limits search attributes (about 2 KB a value, 40 KB in all): past these
    # bounds an entry with its key is left out and correlation asks by name alone
    keyed = len(waiting) <= sa.MAX_KEYED_WAITS
    entries = {
        entry
        for sub in waiting
        for entry in sa.waiting_entries(sub.name, sub.correlation_key if keyed else None)
        if len(entry) <= sa.MAX_ENTRY_LENGTH
    }
    return tuple(sorted(entries))


def publish(rt: Runtime) -> None:
    """Current details (free) always; search attributes (one event) only on change."""
    active = tuple(sorted({t.element_id for t in rt.live_tokens()}))
    incident = any(not i.resolved for i in rt.incidents.values())
    lines = [f"**State:** {rt.state.value}"]
    if active:
        lines.append("**Active:** " + ", ".join(f"`{e}`" for e in active))
    for task in rt.tasks.values():
        if task.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED):
            who = (
                task.assignee or ", ".join(task.candidate_groups + task.candidate_users) or "anyone"
            )
            lines.append(f"**Task:** {task.name or task.element_id} → {who} (`{task.id}`)")
    for inc in rt.incidents.values():
        if not inc.resolved:
            lines.append(f"**Incident** at `{inc.element_id}`: {inc.message}")
    workflow.set_current_details("\n\n".join(lines))
    waiting = waiting_messages(rt) if rt.waiting_patched else None
    published = (active, rt.state.value, incident, waiting)
    if published == rt.published:
        return
    before = rt.published if rt.local_builtins else None
    rt.published = published
    updates: list[SearchAttributeUpdate[Any]] = []
    if before is None or before[0] != active:
        updates.append(sa.ACTIVE_ELEMENTS.value_set(list(active)))
    if before is None or before[1] != rt.state.value:
        updates.append(sa.STATE.value_set(rt.state.value))
    if before is None or before[2] != incident:
        updates.append(sa.INCIDENT.value_set(incident))
    if waiting is not None and (before is None or before[3] != waiting):
        updates.append(sa.WAITING_MESSAGES.value_set(list(waiting)))
    if before is None:  # the run's first upsert carries its epoch (no extra event)
        updates.extend(rt.semantics.search_attribute_updates())
    workflow.upsert_search_attributes(updates)
