"""``BpmnProcess``: the one workflow that interprets every compiled definition.

State is explicit: tokens positioned at elements, the variables, user tasks and incidents.
Each token advances in its own asyncio task, so parallel waits (two user tasks, a task and a
service call) need no special casing. Wait states are Temporal messages: a user task waits
for the ``complete_user_task`` update (or signal), an incident for ``retry_incident``.

Read models are written through ``_flush_loop``: every change marks rows dirty, and one
local activity per workflow task upserts them with a revision that only grows, so a retry
or a replay never moves a row backwards.

Determinism: only the SDK, pydantic models and our pure modules are imported, and those
are passed through the sandbox so they are not re-imported for every run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler import migrations
    from bpmn_compiler.ir import (
        EndEvent,
        Expression,
        Gateway,
        Node,
        ProcessDefinition,
        ServiceTask,
        StartEvent,
        Task,
        UserTask,
    )
    from workflows import contracts as c
    from workflows import search_attributes as sa
    from workflows.expressions import ExecutionContext, ExpressionError, evaluate

SERVICE_TASK_TIMEOUT = timedelta(minutes=5)
LOCAL_TIMEOUT = timedelta(seconds=30)
INFRA_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)


@dataclass
class _Token:
    id: str
    element_id: str
    attempts: int | None = None  # an incident retry may grant a new number of attempts


class _Incident(Exception):
    """Raised inside a token when an element cannot proceed; parks the token."""


@workflow.defn(name=c.WORKFLOW_NAME)
class BpmnProcess:
    @workflow.init
    def __init__(self, input: c.ProcessInput) -> None:
        self._input = input
        self._definition: ProcessDefinition | None = None
        self._variables: dict[str, Any] = dict(input.variables)
        self._tokens: dict[str, _Token] = {}
        self._runners: set[asyncio.Task[None]] = set()
        self._tasks: dict[str, c.UserTaskView] = {}
        self._incidents: dict[str, c.IncidentView] = {}
        self._retries: dict[str, c.RetryIncident] = {}
        self._history: list[c.HistoryEntry] = []
        self._state = c.InstanceState.ACTIVE
        self._start_time = workflow.info().start_time
        self._end_time: datetime | None = None
        self._failure: BaseException | None = None
        self._next_id = 0
        # read-model outbox
        self._revision = 0
        self._instance_dirty = False
        self._dirty_tasks: set[str] = set()
        self._flushing = False
        self._published: tuple[tuple[str, ...], str, bool] | None = None

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: c.ProcessInput) -> c.ProcessResult:
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
        self._definition = migrations.load(raw)
        self._record("PROCESS_STARTED", user_id=input.started_by, details={"version": ref.version})
        self._touch_instance()
        flusher = asyncio.create_task(self._flush_loop())
        for start in self._definition.start_nodes[:1]:
            self._spawn(start)
        await workflow.wait_condition(lambda: not self._tokens or self._failure is not None)
        if self._failure is not None:
            raise self._failure
        self._state = c.InstanceState.COMPLETED
        self._end_time = workflow.now()
        self._record("PROCESS_ENDED")
        self._touch_instance()
        await workflow.wait_condition(lambda: not self._dirty() and not self._flushing)
        flusher.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return c.ProcessResult(state=self._state, variables=self._variables)

    # -------------------------------------------------------------- tokens

    def _new_id(self, prefix: str) -> str:
        self._next_id += 1
        return f"{prefix}{self._next_id}"

    def _spawn(self, element_id: str) -> None:
        token = _Token(id=self._new_id("t"), element_id=element_id)
        self._tokens[token.id] = token
        runner = asyncio.create_task(self._advance(token))
        self._runners.add(runner)
        runner.add_done_callback(self._runners.discard)
        self._touch_instance()

    def _node(self, element_id: str) -> Node:
        assert self._definition is not None
        return self._definition.nodes[element_id]

    async def _advance(self, token: _Token) -> None:
        """Run the element under ``token``, then move it along the outgoing flows."""
        try:
            node = self._node(token.element_id)
            self._record("ACTIVITY_STARTED", node.id, details={"type": node.kind})
            while True:
                try:
                    await self._execute(node, token)
                    taken = self._taken_flows(node)
                    break
                except _Incident as incident:
                    await self._park(node, token, str(incident))
            self._record("ACTIVITY_COMPLETED", node.id)
            targets = [self._flow_target(f) for f in taken]
            del self._tokens[token.id]
            self._touch_instance()
            for target in targets:
                self._spawn(target)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an interpreter bug: fail the workflow task, keep the run
            self._failure = exc

    def _flow_target(self, flow_id: str) -> str:
        assert self._definition is not None
        return self._definition.flows[flow_id].target

    def _taken_flows(self, node: Node) -> list[str]:
        """Outgoing flows to follow.

        Exclusive gateway: the first flow (document order) whose condition holds, else the
        default, else an incident. Elsewhere: every unconditional flow and every flow whose
        condition holds, the default only when no conditional flow was taken.
        """
        assert self._definition is not None
        flows = self._definition.flows
        default = getattr(node, "default_flow", None)
        candidates = [f for f in node.outgoing if f != default]
        if isinstance(node, Gateway) and node.gateway == "exclusive":
            for flow_id in candidates:
                condition = flows[flow_id].condition
                if condition is None or self._condition(flow_id, condition):
                    return [flow_id]
            if default is not None:
                return [default]
            raise _Incident("no outgoing flow of the exclusive gateway matched")
        taken = [
            f
            for f in candidates
            if (cond := flows[f].condition) is None or self._condition(f, cond)
        ]
        if default is not None and not any(flows[f].condition is not None for f in taken):
            taken.append(default)
        return taken

    async def _execute(self, node: Node, token: _Token) -> None:
        if isinstance(node, ServiceTask):
            await self._service_task(node, token)
        elif isinstance(node, UserTask):
            await self._user_task(node)
        elif isinstance(node, Task | StartEvent) or (
            isinstance(node, EndEvent) and node.event is None
        ):
            return
        elif isinstance(node, Gateway) and (
            node.gateway == "exclusive" or (node.gateway == "parallel" and len(node.incoming) < 2)
        ):
            return  # joins (parallel, inclusive) come with the full token semantics
        else:
            raise _Incident(f"{node.kind} elements are not executable yet")

    def _evaluate(self, expr: Expression, element_id: str | None = None) -> Any:
        execution = ExecutionContext(
            business_key=self._input.business_key,
            process_instance_id=workflow.info().workflow_id,
            current_activity_id=element_id,
        )
        try:
            return evaluate(expr, self._variables, now=workflow.now(), execution=execution)
        except ExpressionError as exc:
            raise _Incident(f"expression {expr.source!r}: {exc}") from exc

    def _condition(self, flow_id: str, expr: Expression) -> bool:
        """A flow condition must yield a boolean (as in Zeebe); anything else is an incident."""
        value = self._evaluate(expr, flow_id)
        if not isinstance(value, bool):
            raise _Incident(
                f"the condition of flow {flow_id!r} ({expr.source!r}) gave {value!r}, not a boolean"
            )
        return value

    # ------------------------------------------------------- service tasks

    async def _service_task(self, node: ServiceTask, token: _Token) -> None:
        impl = node.implementation
        if impl.kind != "activity" or not impl.task_type:
            raise _Incident(f"{impl.kind} implementations are not executable yet")
        attempts = token.attempts or impl.retries
        try:
            result = await workflow.execute_activity(
                impl.task_type,
                c.ServiceTaskInput(
                    process_instance_id=workflow.info().workflow_id,
                    element_id=node.id,
                    business_key=self._input.business_key,
                    variables=self._variables,
                    headers=impl.headers,
                ),
                result_type=c.ServiceTaskResult,
                start_to_close_timeout=SERVICE_TASK_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=attempts),
                summary=f"{node.id}: {node.name or impl.task_type}",
            )
        except ActivityError as err:
            cause = err.cause
            message = str(cause) if cause is not None else str(err)
            raise _Incident(
                f"{impl.task_type} failed after {attempts} attempts: {message}"
            ) from err
        self._set_variables(result.variables, node.id)

    # ---------------------------------------------------------- incidents

    async def _park(self, node: Node, token: _Token, message: str) -> None:
        """Keep the token at ``node`` until an operator retries the incident."""
        incident = c.IncidentView(
            id=str(workflow.uuid4()),
            element_id=node.id,
            message=message,
            attempts=token.attempts or 1,
            created=workflow.now(),
        )
        self._incidents[incident.id] = incident
        self._record(
            "INCIDENT_CREATED", node.id, details={"incident_id": incident.id, "message": message}
        )
        self._refresh_state()
        await workflow.wait_condition(lambda: incident.id in self._retries)
        retry = self._retries.pop(incident.id)
        incident.resolved = True
        token.attempts = retry.attempts
        self._set_variables(retry.variables, node.id)
        self._record("INCIDENT_RESOLVED", node.id, details={"incident_id": incident.id})
        self._refresh_state()

    @workflow.update(
        name=c.RETRY_INCIDENT,
        description="Retry an open incident's element, optionally with new variables/attempts.",
    )
    def retry_incident(self, cmd: c.RetryIncident) -> None:
        self._retries[cmd.incident_id] = cmd

    @retry_incident.validator
    def _validate_retry(self, cmd: c.RetryIncident) -> None:
        incident = self._incidents.get(cmd.incident_id)
        if incident is None:
            raise ApplicationError(f"no incident {cmd.incident_id}", type="IncidentNotFound")
        if incident.resolved or cmd.incident_id in self._retries:
            raise ApplicationError(
                f"incident {cmd.incident_id} is resolved", type="IncidentResolved"
            )

    # ---------------------------------------------------------- user tasks

    async def _user_task(self, node: UserTask) -> None:
        assignee = self._evaluate(node.assignee, node.id) if node.assignee else None
        priority = self._evaluate(node.priority, node.id) if node.priority else 50
        task = c.UserTaskView(
            id=str(workflow.uuid4()),
            element_id=node.id,
            name=node.name,
            state=c.TaskState.ASSIGNED if assignee else c.TaskState.CREATED,
            assignee=str(assignee) if assignee else None,
            candidate_users=self._string_list(node.candidate_users),
            candidate_groups=self._string_list(node.candidate_groups),
            form_key=node.form_key,
            priority=int(priority),
            due=None,
            created=workflow.now(),
        )
        self._tasks[task.id] = task
        self._touch_task(task.id)
        self._record(
            "TASK_CREATED", node.id, details={"task_id": task.id, "assignee": task.assignee}
        )
        await workflow.wait_condition(lambda: task.state is c.TaskState.COMPLETED)

    def _string_list(self, exprs: list[Expression]) -> list[str]:
        values: list[str] = []
        for expr in exprs:
            value = self._evaluate(expr)
            if isinstance(value, list):
                values += [str(v) for v in value]
            elif isinstance(value, str):
                values += [v.strip() for v in value.split(",") if v.strip()]
            elif value is not None:
                values.append(str(value))
        return values

    def _check_completable(self, cmd: c.CompleteUserTask) -> c.UserTaskView:
        task = self._tasks.get(cmd.task_id)
        if task is None:
            raise ApplicationError(
                f"no user task {cmd.task_id} in this instance", type="TaskNotFound"
            )
        if task.state not in (c.TaskState.CREATED, c.TaskState.ASSIGNED):
            raise ApplicationError(
                f"user task {cmd.task_id} is {task.state.value}", type="TaskNotActive"
            )
        return task

    def _complete(self, cmd: c.CompleteUserTask) -> None:
        task = self._check_completable(cmd)
        task.state = c.TaskState.COMPLETED
        task.ended = workflow.now()
        self._touch_task(task.id)
        self._record(
            "TASK_COMPLETED", task.element_id, user_id=cmd.user_id, details={"task_id": task.id}
        )
        self._set_variables(cmd.variables, task.element_id, user_id=cmd.user_id)

    @workflow.update(
        name=c.COMPLETE_USER_TASK,
        description="Complete an open user task with variables; rejected unless it is active.",
    )
    def complete_user_task(self, cmd: c.CompleteUserTask) -> c.UserTaskCompleted:
        self._complete(cmd)
        return c.UserTaskCompleted(task_id=cmd.task_id, variables=dict(self._variables))

    @complete_user_task.validator
    def _validate_complete(self, cmd: c.CompleteUserTask) -> None:
        self._check_completable(cmd)

    @workflow.signal(
        name=c.COMPLETE_USER_TASK,
        description="Fire-and-forget completion of a user task; ignored if the task is not active.",
    )
    def complete_user_task_signal(self, cmd: c.CompleteUserTask) -> None:
        try:
            self._complete(cmd)
        except ApplicationError as err:
            workflow.logger.warning("ignored complete_user_task signal: %s", err)

    # ---------------------------------------------------------- variables

    def _set_variables(
        self, values: dict[str, Any], element_id: str, user_id: str | None = None
    ) -> None:
        if not values:
            return
        self._variables.update(values)
        self._record(
            "VARIABLES_UPDATED", element_id, user_id=user_id, details={"names": sorted(values)}
        )

    # -------------------------------------------------------------- query

    @workflow.query(
        name=c.STATE_QUERY,
        description="State, active elements, open tasks, incidents, variables, case history.",
    )
    def state(self) -> c.ProcessStateView:
        return c.ProcessStateView(
            definition=self._input.definition,
            business_key=self._input.business_key,
            state=self._state,
            variables=self._variables,
            active=self._active(),
            tasks=list(self._tasks.values()),
            incidents=list(self._incidents.values()),
            history=self._history,
            start_time=self._start_time,
            end_time=self._end_time,
        )

    def _active(self) -> list[c.ActiveElement]:
        if self._definition is None:
            return []
        return [
            c.ActiveElement(
                token_id=t.id,
                element_id=t.element_id,
                name=self._node(t.element_id).name,
                type=self._node(t.element_id).kind,
            )
            for t in self._tokens.values()
        ]

    def _record(
        self,
        type: str,
        element_id: str | None = None,
        *,
        user_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._history.append(
            c.HistoryEntry(
                timestamp=workflow.now(),
                type=type,
                element_id=element_id,
                user_id=user_id,
                details=details or {},
            )
        )

    # ---------------------------------------------- read models and UI

    def _touch_instance(self) -> None:
        self._revision += 1
        self._instance_dirty = True

    def _touch_task(self, task_id: str) -> None:
        self._revision += 1
        self._dirty_tasks.add(task_id)

    def _refresh_state(self) -> None:
        open_incidents = any(not i.resolved for i in self._incidents.values())
        if self._state in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
            self._state = c.InstanceState.INCIDENT if open_incidents else c.InstanceState.ACTIVE
        self._touch_instance()

    def _dirty(self) -> bool:
        return self._instance_dirty or bool(self._dirty_tasks)

    async def _flush_loop(self) -> None:
        """Write dirty rows in one local activity per workflow task, then update the UI."""
        while True:
            await workflow.wait_condition(self._dirty)
            batch = self._take_batch()
            self._flushing = True
            try:
                await workflow.execute_local_activity(
                    c.PROJECT,
                    batch,
                    start_to_close_timeout=LOCAL_TIMEOUT,
                    retry_policy=INFRA_RETRY,
                    summary="read models",
                )
            finally:
                self._flushing = False
            self._publish()

    def _take_batch(self) -> c.ProjectionBatch:
        ref = self._input.definition
        batch = c.ProjectionBatch(
            tasks=[
                c.TaskRow(
                    **self._tasks[tid].model_dump(),
                    process_instance_id=workflow.info().workflow_id,
                    definition_key=ref.key,
                    business_key=self._input.business_key,
                    revision=self._revision,
                )
                for tid in sorted(self._dirty_tasks)
            ]
        )
        if self._instance_dirty:
            batch.instances.append(
                c.InstanceRow(
                    id=workflow.info().workflow_id,
                    definition_key=ref.key,
                    definition_version=ref.version,
                    business_key=self._input.business_key,
                    state=self._state,
                    start_time=self._start_time,
                    end_time=self._end_time,
                    revision=self._revision,
                )
            )
        self._instance_dirty = False
        self._dirty_tasks.clear()
        return batch

    def _publish(self) -> None:
        """Current details (free) always; search attributes (one event) only on change."""
        active = tuple(sorted({t.element_id for t in self._tokens.values()}))
        incident = any(not i.resolved for i in self._incidents.values())
        lines = [f"**State:** {self._state.value}"]
        if active:
            lines.append("**Active:** " + ", ".join(f"`{e}`" for e in active))
        for task in self._tasks.values():
            if task.state in (c.TaskState.CREATED, c.TaskState.ASSIGNED):
                who = (
                    task.assignee
                    or ", ".join(task.candidate_groups + task.candidate_users)
                    or "anyone"
                )
                lines.append(f"**Task:** {task.name or task.element_id} → {who} (`{task.id}`)")
        for inc in self._incidents.values():
            if not inc.resolved:
                lines.append(f"**Incident** at `{inc.element_id}`: {inc.message}")
        workflow.set_current_details("\n\n".join(lines))
        published = (active, self._state.value, incident)
        if published != self._published:
            self._published = published
            workflow.upsert_search_attributes(
                [
                    sa.ACTIVE_ELEMENTS.value_set(list(active)),
                    sa.STATE.value_set(self._state.value),
                    sa.INCIDENT.value_set(incident),
                ]
            )
