"""The interpreter's state and its core moves: scopes and tokens, ids, expression
evaluation, the case history. Every behaviour receives the ``Runtime`` (injected, like
Zeebe's ``BpmnBehaviors``) instead of importing the workflow class; the runtime imports no
behaviour (spawning a token and opening a scope, which start behaviours, are in
``advance``), so it is the floor they all stand on and the workflow shell stays thin.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import Expression, Node, ProcessDefinition
    from workflows.expressions import ExecutionContext, ExpressionError, evaluate, explain
    from workflows.graph import Graph
    from workflows.tokens import BpmnThrow, Counts, ScopeRun, Subscription, Token

from workflows.bpmn.control import LOCALS, Incident
from workflows.semantics import Rule, Semantics


class Runtime:
    def __init__(self, input: c.ProcessInput) -> None:
        self.input = input
        #: the OpenTelemetry context of the last update or signal, with its workflow time
        #: (``behaviors.causes``); never part of the instance's state
        self.cause: tuple[Any, datetime] | None = None
        self.definition: ProcessDefinition | None = None
        self.graph: Graph | None = None
        self.variables: dict[str, Any] = dict(input.variables)
        self.root: ScopeRun | None = None
        self.scopes: list[ScopeRun] = []
        self.tasks: dict[str, c.UserTaskView] = {}
        self.incidents: dict[str, c.IncidentView] = {}
        #: parsed DMN files by (decision key, version): parsing is pure, so a run that
        #: continued as new parses again and gets the same model
        self.decision_models: dict[tuple[str, int], Any] = {}
        self.retries: dict[str, c.RetryIncident | c.ResolveIncident] = {}
        self.subscriptions: list[Subscription] = []
        self.buffered: list[c.DeliverMessage] = []
        self.seen_message_ids: dict[str, None] = {}  # ordered, so snapshots are deterministic
        self.timers: Counter[str] = Counter()  # element id → running timers
        self.fire_requests: Counter[str] = Counter()
        self.children: list[str] = []
        self.partners: dict[str, list[str]] = {k: list(v) for k, v in input.partners.items()}
        self.history: list[c.HistoryEntry] = []
        self.counts = Counts()
        self.state = c.InstanceState.ACTIVE
        self.start_time = workflow.info().start_time
        self.end_time: datetime | None = None
        self.failure: BaseException | None = None
        #: a BPMN error this called instance did not catch, for its caller
        #: (semantics.CALLED_ERROR): the run ends with it
        self.error_to_caller: BpmnThrow | None = None
        self.cancel_request: c.CancelInstance | None = None
        #: the rules this run follows; epoch 0 (each consulted by its own marker) until
        #: ``run()`` decides the run's epoch first thing
        self.semantics = Semantics()
        self.waiting_patched = False  # semantics.WAITING_MESSAGES, decided first in run()
        self.local_builtins = False  # semantics.LOCAL_BUILTINS, likewise
        self.after_commit = False  # semantics.AFTER_COMMIT, likewise
        self.next_id = 0
        self.burst_time: datetime | None = None
        self.burst = 0
        # continue-as-new
        self.runs = 1
        self.history_dropped = 0
        self.draining = False  # new tokens wait at their element's entry
        self.drain_after = 0  # history length before which no drain starts
        self.detached = 0  # compensation runs nobody waits for
        # read-model outbox
        self.revision = 0
        self.instance_dirty = False
        self.dirty_tasks: set[str] = set()
        self.dirty_incidents: set[str] = set()
        self.flushing = False
        self.projected_revision = 0  # the revision the last written batch carried
        self.resync = False  # the next batch carries every row (resync_projection)
        self.loop: asyncio.AbstractEventLoop | None = None  # the workflow's own loop
        self.local_busy = False  # a message/signal local activity is in flight
        self.local_waiting = 0  # tokens waiting in _exclusive_local for their turn
        self.locals_since_flush = 0  # local activities run since the last batch
        self.published: tuple[tuple[str, ...], str, bool, tuple[str, ...] | None] | None = None
        self.row_written: tuple[str, datetime | None] | None = None  # last instance row

    def bump_revision(self) -> None:
        """The next revision: one more than the last, and since ``semantics.AFTER_COMMIT``
        at least the workflow time in ms shifted by 16 bits, so a run that replaced
        another (a reset) writes above anything the replaced run wrote."""
        self.revision += 1
        if self.after_commit:
            stamp = int(workflow.now().timestamp() * 1000) << 16
            self.revision = max(self.revision, stamp)

    def touch_instance(self) -> None:
        """The instance's row changed: the outbox writes it with the next batch."""
        self.bump_revision()
        self.instance_dirty = True

    def touch_task(self, task_id: str) -> None:
        """A task's row changed: the outbox writes it with the next batch."""
        self.bump_revision()
        self.dirty_tasks.add(task_id)

    def holds(self, rule: Rule) -> bool:
        """Whether this run follows the semantic ``rule`` (``workflows.semantics``)."""
        return self.semantics.holds(rule)

    def new_id(self, prefix: str) -> str:
        self.next_id += 1
        return f"{prefix}{self.next_id}"

    def finish_scope(self, scope: ScopeRun, *, force: bool = False) -> None:
        if scope.finished:
            return
        if not force and any(
            s.owner == scope.id and s.delivered is not None and not s.cancelled
            for s in self.subscriptions
        ):
            return  # an event sub-process was just triggered: it will run in this scope
        scope.finished = True
        for watcher in scope.watchers:
            watcher.cancel()

    def node(self, element_id: str) -> Node:
        assert self.definition is not None
        return self.definition.nodes[element_id]

    def finish_token(self, token: Token) -> None:
        scope = token.scope
        scope.tokens.pop(token.id, None)
        if not scope.tokens:
            self.finish_scope(scope)
        self.touch_instance()

    def flow_target(self, flow_id: str) -> str:
        assert self.definition is not None
        return self.definition.flows[flow_id].target

    def condition(self, flow_id: str, expr: Expression) -> bool:
        """A flow condition must yield a boolean (as in Zeebe); anything else is an incident."""
        value = self.evaluate(expr, flow_id)
        if not isinstance(value, bool):
            why = explain(expr, self.variables, now=workflow.now()) if value is None else ""
            raise Incident(
                f"the condition of flow {flow_id!r} ({expr.source!r}) gave {value!r}, "
                f"not a boolean" + (f" ({why})" if why else "")
            )
        return value

    def evaluate(self, expr: Expression, element_id: str | None = None) -> Any:
        execution = ExecutionContext(
            business_key=self.input.business_key,
            process_instance_id=workflow.info().workflow_id,
            current_activity_id=element_id,
        )
        local = LOCALS.get()
        variables = {**self.variables, **local} if local else self.variables
        try:
            return evaluate(expr, variables, now=workflow.now(), execution=execution)
        except ExpressionError as exc:
            raise Incident(f"expression {expr.source!r}: {exc}") from exc

    def nodes(self) -> dict[str, Node]:
        assert self.definition is not None
        return self.definition.nodes

    def check_running(self) -> None:
        if self.state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
            raise ApplicationError(
                "the instance has ended", type=c.Rejection.INSTANCE_ENDED, non_retryable=True
            )

    def set_variables(
        self, values: dict[str, Any], element_id: str | None, user_id: str | None = None
    ) -> None:
        if not values:
            return
        self.variables.update(values)
        self.record(
            "VARIABLES_UPDATED", element_id, user_id=user_id, details={"names": sorted(values)}
        )

    def delete_variables(
        self, names: list[str], element_id: str | None, user_id: str | None = None
    ) -> None:
        """Remove the named variables the instance holds (names it does not hold are
        no error, and no entry in the case history)."""
        removed = sorted({name for name in names if name in self.variables})
        if not removed:
            return
        for name in removed:
            del self.variables[name]
        self.record("VARIABLES_DELETED", element_id, user_id=user_id, details={"names": removed})

    def waiting(self) -> dict[str, int]:
        waiting: Counter[str] = Counter()
        for token in self.live_tokens():
            waiting[token.element_id] += 1
        return dict(waiting)

    def live_tokens(self) -> list[Token]:
        return [t for scope in self.live_scopes() for t in scope.tokens.values()]

    def live_scopes(self) -> list[ScopeRun]:
        self.scopes = [s for s in self.scopes if not s.finished]
        return self.scopes

    def record(
        self,
        type: str,
        element_id: str | None = None,
        *,
        user_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.history.append(
            c.HistoryEntry(
                timestamp=workflow.now(),
                type=type,
                element_id=element_id,
                user_id=user_id,
                details=details or {},
            )
        )
