"""``BpmnProcess``: the one workflow that interprets every compiled definition.

State is explicit: tokens positioned at elements inside runs of scopes (the process, each
embedded sub-process activation), plus the variables, user tasks, incidents and message
subscriptions. Each token advances in its own asyncio task, so parallel waits need no
special casing, and cancelling a token (an interrupting boundary event, a terminate end
event) cancels exactly the Temporal commands it was waiting on.

Wait states are Temporal messages: a user task waits for the ``complete_user_task``
update (or signal), a message catch for ``deliver_message`` / ``correlate_message``, a
signal catch for ``deliver_signal``, an incident for ``retry_incident``. Timers are
workflow timers.

This class is the Temporal shell: ``run`` and one delegation per update, signal, query
and validator. The semantics live in ``workflows/bpmn/``: the ``Runtime`` (state, scopes,
tokens), ``advance`` (how a token moves), one behaviour per element family registered by
IR type in ``workflows/bpmn/elements`` and the shared behaviours in
``workflows/bpmn/behaviors`` (docs/interpreter.md, "Where the code lives").

Read models are written through ``behaviors.outbox``: every change marks rows dirty, and
one activity per stretch of work upserts them with a revision that only grows. Since
``projection-after-commit`` it is a regular activity, scheduled by a workflow task that
has committed, so the read models never show a state the history does not contain.

Determinism: only the SDK, pydantic models and our pure modules are imported, passed
through the sandbox (see ``workflows/runner.py``).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler import migrations
    from workflows.graph import Graph

from workflows import semantics
from workflows.bpmn import advance
from workflows.bpmn.behaviors import (
    commands,
    continue_as_new,
    incidents,
    instance,
    outbox,
    query,
    task_commands,
)
from workflows.bpmn.constants import (
    INFRA_RETRY,
    LOCAL_TIMEOUT,
)
from workflows.bpmn.runtime import Runtime
from workflows.semantics import Semantics


@workflow.defn(name=c.WORKFLOW_NAME)
class BpmnProcess:
    @workflow.init
    def __init__(self, input: c.ProcessInput) -> None:
        self.rt = Runtime(input)
        if input.resume is not None:  # continued as new: the last run's data first
            continue_as_new.restore_data(self.rt, input.resume)

    @workflow.run
    async def run(self, input: c.ProcessInput) -> c.ProcessResult:
        # The run's epoch, decided before the first local activity (a marker first
        # consulted after the definition-loading one did not replay in continued runs,
        # sdk-core): a new run records one marker, its epoch's (docs/interpreter.md).
        rt = self.rt
        rt.semantics = Semantics.at_start()
        rt.after_commit = rt.holds(semantics.AFTER_COMMIT)
        rt.local_builtins = rt.holds(semantics.LOCAL_BUILTINS)
        rt.waiting_patched = rt.holds(semantics.WAITING_MESSAGES)
        if self.rt.after_commit:
            instance.describe_self(input)
            # the first batch of a run carries every row and closes the instance's open
            # rows it lacks: a run reset to its very first workflow task (whose reseed
            # comes before the callback below exists) or continued as new starts clean
            self.rt.resync = True
            # Temporal reseeds a run's randomness where it was reset (and only there, so
            # replay does the same): the rows of the replaced run are then rewritten
            self.rt.loop = asyncio.get_running_loop()
            workflow.register_random_seed_callback(functools.partial(outbox.reseeded, self.rt))
        ref = input.definition
        raw = await workflow.execute_local_activity(
            c.LOAD_DEFINITION,
            ref,
            result_type=dict[str, Any],
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=INFRA_RETRY,
            summary=f"load {ref.key} v{ref.version}",
        )
        # Decoded raw and migrated: histories recorded with an older IR still replay.
        self.rt.definition = migrations.load(raw)
        self.rt.graph = Graph(self.rt.definition)
        if input.resume is not None:
            root = continue_as_new.restart(self.rt)
            self.rt.touch_instance()
            flusher = asyncio.create_task(outbox.flush_loop(self.rt))
        else:
            self.rt.record(
                "PROCESS_STARTED", user_id=input.started_by, details={"version": ref.version}
            )
            self.rt.touch_instance()
            flusher = asyncio.create_task(outbox.flush_loop(self.rt))
            starts = advance.process_starts(self.rt, input)
            root = self.rt.root = advance.new_scope(self.rt, None, None)
            for start in starts:
                advance.spawn(self.rt, root, start, via=None)
        drainer = asyncio.create_task(continue_as_new.drain_when_due(self.rt))
        try:
            await workflow.wait_condition(
                lambda: (
                    root.finished
                    or self.rt.failure is not None
                    or self.rt.error_to_caller is not None
                    or continue_as_new.may_continue(self.rt)
                )
            )
        except asyncio.CancelledError:
            if not self.rt.holds(semantics.CANCEL):
                raise
            drainer.cancel()
            await instance.wind_down(self.rt)
            flusher.cancel()
            raise
        if self.rt.failure is not None:
            raise self.rt.failure
        drainer.cancel()
        if self.rt.error_to_caller is not None:
            await instance.end_with_error(self.rt)
            flusher.cancel()
            raise instance.error_for_caller(self.rt.error_to_caller)
        if not root.finished:
            flusher.cancel()
            workflow.continue_as_new(
                continue_as_new.next_run(self.rt),
                search_attributes=workflow.info().typed_search_attributes,
            )
        # a terminate end event completes the instance (BPMN and Camunda agree); the history
        # says how it ended
        self.rt.state = c.InstanceState.COMPLETED
        self.rt.end_time = workflow.now()
        self.rt.record("PROCESS_ENDED", details={"terminated": root.terminated})
        self.rt.touch_instance()
        await instance.final_flush(self.rt)
        flusher.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return c.ProcessResult(state=self.rt.state, variables=self.rt.variables)

    @workflow.update(
        name=c.RETRY_INCIDENT,
        description="Retry an open incident's element, optionally with new variables/attempts.",
    )
    def retry_incident(self, cmd: c.RetryIncident) -> None:
        incidents.retry_incident(self.rt, cmd)

    @workflow.update(
        name=c.RESOLVE_INCIDENT,
        description="Resolve an open incident without running its element again: the "
        "token moves on along the outgoing flows, with the given variables.",
    )
    def resolve_incident(self, cmd: c.ResolveIncident) -> None:
        incidents.resolve_incident(self.rt, cmd)

    @resolve_incident.validator
    def _validate_resolve_incident(self, cmd: c.ResolveIncident) -> None:
        incidents.validate_resolve_incident(self.rt, cmd)

    @retry_incident.validator
    def _validate_retry(self, cmd: c.RetryIncident) -> None:
        incidents.validate_retry(self.rt, cmd)

    @workflow.update(
        name=c.SUSPEND_TASK,
        description="Suspend an open user task: nobody may claim or complete it until resumed.",
    )
    async def suspend_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.suspend_task(self.rt, cmd)

    @suspend_task.validator
    def _validate_suspend(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_suspend(self.rt, cmd)

    @workflow.update(name=c.RESUME_TASK, description="Resume a suspended user task.")
    async def resume_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.resume_task(self.rt, cmd)

    @resume_task.validator
    def _validate_resume(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_resume(self.rt, cmd)

    @workflow.update(
        name=c.CANCEL_TASK,
        description="Cancel an open user task: it ends as CANCELED and the token leaves "
        "the element without output variables, as when an operator resolves an incident.",
    )
    async def cancel_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.cancel_task(self.rt, cmd)

    @cancel_task.validator
    def _validate_cancel_task(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_cancel_task(self.rt, cmd)

    @workflow.update(name=c.CLAIM_TASK, description="Claim an open user task for the caller.")
    async def claim_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.claim_task(self.rt, cmd)

    @claim_task.validator
    def _validate_claim(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_claim(self.rt, cmd)

    @workflow.update(name=c.UNCLAIM_TASK, description="Give a claimed user task back.")
    async def unclaim_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.unclaim_task(self.rt, cmd)

    @unclaim_task.validator
    def _validate_unclaim(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_unclaim(self.rt, cmd)

    @workflow.update(name=c.ASSIGN_TASK, description="Set (or clear) a user task's assignee.")
    async def assign_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.assign_task(self.rt, cmd)

    @assign_task.validator
    def _validate_assign(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_assign(self.rt, cmd)

    @workflow.update(
        name=c.ADD_TASK_CANDIDATES,
        description="Offer an open user task to more candidate users (kept in order, no "
        "duplicates). Only a trusted caller or one who may act on any task.",
    )
    async def add_task_candidates(self, cmd: c.TaskCandidates) -> c.UserTaskView:
        return await task_commands.add_task_candidates(self.rt, cmd)

    @add_task_candidates.validator
    def _validate_add_candidates(self, cmd: c.TaskCandidates) -> None:
        task_commands.validate_add_candidates(self.rt, cmd)

    @workflow.update(
        name=c.DELEGATE_TASK,
        description="Hand an assigned user task to a delegate; it returns to its owner "
        "when the delegate resolves it.",
    )
    async def delegate_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.delegate_task(self.rt, cmd)

    @delegate_task.validator
    def _validate_delegate(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_delegate(self.rt, cmd)

    @workflow.update(
        name=c.RESOLVE_TASK,
        description="The delegate hands a delegated user task back to its owner, "
        "optionally with variables.",
    )
    async def resolve_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        return await task_commands.resolve_task(self.rt, cmd)

    @resolve_task.validator
    def _validate_resolve(self, cmd: c.TaskCommand) -> None:
        task_commands.validate_resolve(self.rt, cmd)

    @workflow.update(
        name=c.COMPLETE_USER_TASK,
        description="Complete an open user task with variables; rejected unless it is active.",
    )
    async def complete_user_task(self, cmd: c.CompleteUserTask) -> c.UserTaskCompleted:
        return await task_commands.complete_user_task(self.rt, cmd)

    @complete_user_task.validator
    def _validate_complete(self, cmd: c.CompleteUserTask) -> None:
        task_commands.validate_complete(self.rt, cmd)

    @workflow.signal(
        name=c.COMPLETE_USER_TASK,
        description="Fire-and-forget completion of a user task; ignored if the task is not active.",
    )
    def complete_user_task_signal(self, cmd: c.CompleteUserTask) -> None:
        task_commands.complete_user_task_signal(self.rt, cmd)

    @workflow.signal(
        name=c.DELIVER_MESSAGE,
        description="Deliver a BPMN message; buffered until an element waits for it.",
    )
    def deliver_message(self, message: c.DeliverMessage) -> None:
        commands.deliver_message(self.rt, message)

    @workflow.update(
        name=c.CORRELATE_MESSAGE,
        description="Correlate a BPMN message with a waiting element; rejected when none waits.",
    )
    def correlate_message(self, message: c.DeliverMessage) -> c.MessageCorrelated:
        return commands.correlate_message(self.rt, message)

    @correlate_message.validator
    def _validate_correlate(self, message: c.DeliverMessage) -> None:
        commands.validate_correlate(self.rt, message)

    @workflow.signal(
        name=c.DELIVER_SIGNAL, description="A broadcast BPMN signal: every waiting catcher fires."
    )
    def deliver_signal(self, signal: c.DeliverSignal) -> None:
        commands.deliver_signal(self.rt, signal)

    @workflow.update(name=c.FIRE_TIMER, description="Fire an element's running timer now.")
    def fire_timer(self, cmd: c.FireTimer) -> None:
        commands.fire_timer(self.rt, cmd)

    @fire_timer.validator
    def _validate_fire_timer(self, cmd: c.FireTimer) -> None:
        commands.validate_fire_timer(self.rt, cmd)

    @workflow.update(
        name=c.CANCEL_INSTANCE,
        description="Record who cancels the instance and why; cancel the workflow next.",
    )
    def cancel_instance(self, cmd: c.CancelInstance) -> None:
        commands.cancel_instance(self.rt, cmd)

    @cancel_instance.validator
    def _validate_cancel_instance(self, cmd: c.CancelInstance) -> None:
        commands.validate_cancel_instance(self.rt, cmd)

    @workflow.update(
        name=c.AWAIT_WAIT_STATE,
        description="Answer with the instance's state once every token waits (for a user "
        "task, a message, a timer, an incident …) or the instance has ended, and the read "
        "models show it.",
    )
    async def await_wait_state(self) -> c.ProcessStateView:
        return await commands.await_wait_state(self.rt)

    @workflow.update(
        name=c.SET_VARIABLES,
        description="Set process variables, then remove the names in deletions.",
    )
    def set_variables(self, cmd: c.SetVariables) -> None:
        commands.set_variables(self.rt, cmd)

    @set_variables.validator
    def _validate_set_variables(self, cmd: c.SetVariables) -> None:
        commands.validate_set_variables(self.rt, cmd)

    @workflow.query(
        name=c.STATE_QUERY,
        description="State, active elements, open tasks, incidents, variables, case history.",
    )
    def state(self) -> c.ProcessStateView:
        return query.state(self.rt)

    @workflow.signal(
        name=c.RESYNC_PROJECTION,
        description="Write every row of the instance again and close the open rows it no "
        "longer has (after a reset; sent by Baton's reconciler).",
    )
    def resync_projection(self) -> None:
        outbox.resync_projection(self.rt)
