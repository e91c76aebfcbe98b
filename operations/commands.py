"""Every update, signal and query Baton sends to a workflow, typed once.

A handler's name, its argument type and its result type belong together: written at each
call site, a call could send a ``TaskCommand`` to ``complete_user_task`` or read a
``UserTaskView`` where a ``UserTaskCompleted`` comes back, and only a running server
would notice. Here each name is paired with its types once; callers name the entry
(``commands.CLAIM``) and mypy checks the argument and the result. The names themselves
stay in the workflow's contracts (``baton_client.contracts.bpmn``), which the workflow
and SDK clients in other languages read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from baton_client.contracts import bpmn as c
from baton_client.contracts import letsflow as lc
from temporalio.client import WorkflowHandle

A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True)
class Update(Generic[A, R]):
    """A workflow update. ``one_shot``: it acts once on what it names (a task, an
    incident, the instance), so the same command sent again is the same update and may
    be deduplicated by its content (``calls.command_id``); others (claim, unclaim, claim
    again) may rightly repeat and are deduplicated only by the client's key."""

    name: str
    argument: type[A]
    result: type[R]
    one_shot: bool = False

    async def execute(
        self,
        handle: WorkflowHandle[Any, Any],
        arg: A,
        *,
        id: str | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> R:
        if self.argument is type(None):  # the update takes no argument
            done: R = await handle.execute_update(
                self.name, id=id, result_type=self.result, rpc_timeout=rpc_timeout
            )
            return done
        result: R = await handle.execute_update(
            self.name, arg, id=id, result_type=self.result, rpc_timeout=rpc_timeout
        )
        return result


@dataclass(frozen=True)
class Signal(Generic[A]):
    """A workflow signal: fire and forget (the instance keeps what it cannot use yet)."""

    name: str
    argument: type[A]

    async def send(
        self, handle: WorkflowHandle[Any, Any], arg: A, *, rpc_timeout: timedelta | None = None
    ) -> None:
        if self.argument is type(None):
            await handle.signal(self.name, rpc_timeout=rpc_timeout)
        else:
            await handle.signal(self.name, arg, rpc_timeout=rpc_timeout)


@dataclass(frozen=True)
class Query(Generic[R]):
    """A workflow query (answered from the instance's state, changes nothing)."""

    name: str
    result: type[R]

    async def ask(self, handle: WorkflowHandle[Any, Any], *, rpc_timeout: timedelta | None) -> R:
        answer: R = await handle.query(self.name, result_type=self.result, rpc_timeout=rpc_timeout)
        return answer


# ------------------------------------------------------------------ BpmnProcess

COMPLETE = Update(c.COMPLETE_USER_TASK, c.CompleteUserTask, c.UserTaskCompleted, one_shot=True)
CLAIM = Update(c.CLAIM_TASK, c.TaskCommand, c.UserTaskView)
UNCLAIM = Update(c.UNCLAIM_TASK, c.TaskCommand, c.UserTaskView)
ASSIGN = Update(c.ASSIGN_TASK, c.TaskCommand, c.UserTaskView)
ADD_CANDIDATES = Update(c.ADD_TASK_CANDIDATES, c.TaskCandidates, c.UserTaskView)
DELEGATE = Update(c.DELEGATE_TASK, c.TaskCommand, c.UserTaskView)
RESOLVE = Update(c.RESOLVE_TASK, c.TaskCommand, c.UserTaskView)
SUSPEND = Update(c.SUSPEND_TASK, c.TaskCommand, c.UserTaskView)
RESUME = Update(c.RESUME_TASK, c.TaskCommand, c.UserTaskView)
CANCEL_TASK = Update(c.CANCEL_TASK, c.TaskCommand, c.UserTaskView, one_shot=True)
RETRY_INCIDENT = Update(c.RETRY_INCIDENT, c.RetryIncident, type(None), one_shot=True)
RESOLVE_INCIDENT = Update(c.RESOLVE_INCIDENT, c.ResolveIncident, type(None), one_shot=True)
CANCEL_INSTANCE = Update(c.CANCEL_INSTANCE, c.CancelInstance, type(None), one_shot=True)
SET_VARIABLES = Update(c.SET_VARIABLES, c.SetVariables, type(None))
CORRELATE = Update(c.CORRELATE_MESSAGE, c.DeliverMessage, c.MessageCorrelated)
FIRE_TIMER = Update(c.FIRE_TIMER, c.FireTimer, type(None))
AWAIT_WAIT_STATE = Update(c.AWAIT_WAIT_STATE, type(None), c.ProcessStateView)

DELIVER_MESSAGE = Signal(c.DELIVER_MESSAGE, c.DeliverMessage)
DELIVER_SIGNAL = Signal(c.DELIVER_SIGNAL, c.DeliverSignal)
RESYNC_PROJECTION = Signal(c.RESYNC_PROJECTION, type(None))

STATE = Query(c.STATE_QUERY, c.ProcessStateView)

# ------------------------------------------------------------- LetsflowProcess

LETSFLOW_STEP = Update(lc.STEP, lc.StepCommand, lc.StepResult)
LETSFLOW_PROCESS = Query(lc.PROCESS_QUERY, dict)
