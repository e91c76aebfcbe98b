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

Read models are written through ``_flush_loop``: every change marks rows dirty, and one
activity per stretch of work upserts them with a revision that only grows. Since
``projection-after-commit`` it is a regular activity, scheduled by a workflow task that
has committed, so the read models never show a state the history does not contain.

Determinism: only the SDK, pydantic models and our pure modules are imported, passed
through the sandbox (see ``workflows/runner.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler import migrations, timers
    from bpmn_compiler.ir import (
        BoundaryEvent,
        CallActivity,
        CancelEventDefinition,
        CompensateEventDefinition,
        ConditionalEventDefinition,
        EndEvent,
        ErrorEventDefinition,
        EscalationEventDefinition,
        Expression,
        Gateway,
        Implementation,
        IntermediateCatchEvent,
        IntermediateThrowEvent,
        LinkEventDefinition,
        Mapping,
        MessageEventDefinition,
        MessageFlow,
        MultiInstance,
        Node,
        ProcessDefinition,
        ReceiveTask,
        ScriptTask,
        ServiceTask,
        SignalEventDefinition,
        StandardLoop,
        StartEvent,
        SubProcess,
        Task,
        TerminateEventDefinition,
        TimerEventDefinition,
        UserTask,
        implicit_starts,
    )
    from workflows import continuation
    from workflows import contracts as c
    from workflows import search_attributes as sa
    from workflows.expressions import ExecutionContext, ExpressionError, evaluate, explain
    from workflows.graph import Graph
    from workflows.tokens import BpmnThrow, Counts, ScopeRun, Subscription, Token, Wait

_T = TypeVar("_T")

SERVICE_TASK_TIMEOUT = timedelta(minutes=5)
#: Encoded size of the variables one command may bring, and of all of an instance's
#: variables after it: far enough under Temporal's 2 MB payload limit that the update's
#: acceptance, its answer (which repeats the variables) and the next activity's input
#: still fit. A command past them is refused by the validator (no history event), never
#: accepted into a workflow task that could not commit. The API refuses far less.
MAX_COMMAND_VARIABLES_BYTES = 1_000_000
MAX_INSTANCE_VARIABLES_BYTES = 1_500_000
#: A service task's attempt, bounded by heartbeats (SERVICE_TASK_TIMEOUT) instead: an
#: activity that runs longer than that heartbeats; a task parked for HTTP workers is
#: heartbeaten by the worker while it waits (changing timeouts needs no patch).
EXTERNAL_TASK_TIMEOUT = timedelta(days=30)
LOCAL_TIMEOUT = timedelta(seconds=30)
INFRA_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
MAX_MESSAGE_BUFFER = 1000
#: Element entries allowed in one workflow task: a cycle without a wait state (a modelling
#: error) must become an incident, not a workflow task that never yields.
MAX_BURST = 2000
#: Local activities in a row (built-in tasks, sends) after which the read models are
#: written before the next one, although the instance has not stopped yet.
FLUSH_EVERY_LOCALS = 20
_OPEN_TASK_STATES = (c.TaskState.CREATED, c.TaskState.ASSIGNED, c.TaskState.SUSPENDED)
#: ``workflow.patched`` marker: an uncaught error/escalation from a throw or end event
#: acts like a none event instead of parking an incident (see _unhandled_throw_passes).
UNHANDLED_THROW_PATCH = "unhandled-throw-is-none-event"
#: ``workflow.patched`` marker: a throw out of an event sub-process skips that scope's
#: event sub-processes (see _rethrower).
ESP_RETHROW_PATCH = "event-subprocess-rethrow"
#: ``workflow.patched`` marker: compensation thrown inside an event sub-process undoes
#: the enclosing scope (see _compensation_scope).
ESP_COMPENSATION_PATCH = "event-subprocess-compensates-host"
#: ``workflow.patched`` marker: an empty ad-hoc sub-process completes instead of parking
#: an incident (ad-hoc sub-processes with content are not executable yet).
EMPTY_AD_HOC_PATCH = "empty-ad-hoc-completes"
#: ``workflow.patched`` marker: a gateway with no outgoing flow at all ends its token
#: (implicit end) instead of parking a "no flow matched" incident.
SINK_PATCH = "gateway-without-outgoing-is-implicit-end"
#: ``workflow.patched`` marker: the projection activity runs only when a read-model row
#: changed; a change that only the Web UI shows (active elements) costs no event.
LEAN_PROJECTION_PATCH = "projection-only-for-changed-rows"
#: ``workflow.patched`` marker: an inclusive join also waits for tokens that can reach it
#: through link events.
JOIN_THROUGH_LINKS_PATCH = "inclusive-join-follows-links"
#: ``workflow.patched`` marker: a signal thrown inside the instance reaches enclosing
#: catchers innermost first and stops at the first interrupting one (see _throw_signal);
#: unnamed signals reach unnamed catchers.
SIGNAL_SCOPE_PATCH = "signal-throw-innermost-first"
#: ``workflow.patched`` marker: elements without incoming sequence flow get a token when
#: their scope starts, beside its start events (see _scope_starts).
IMPLICIT_START_PATCH = "implicit-start-beside-start-events"
#: ``workflow.patched`` marker: a signal thrown inside also reaches other instances and
#: starts processes with a matching signal start event (``baton.broadcast_signal``).
SIGNAL_BROADCAST_PATCH = "signal-reaches-other-instances"
#: ``workflow.patched`` marker: message flows between pools carry messages (see
#: _message_flows); a buffered message addressed to an element reaches that element.
MESSAGE_FLOW_PATCH = "message-flows-carry-messages"
#: ``workflow.patched`` marker: among catchers without code, the one referencing the same
#: code-less error/escalation as the throw comes first (see _catches).
THROW_REF_PATCH = "code-less-throws-match-by-reference"
#: ``workflow.patched`` marker: compensating a sub-process that has both a compensation
#: event sub-process and a compensation boundary event runs both (see _compensate_one).
COMPENSATE_BOTH_PATCH = "compensate-sub-process-and-boundary-handler"
#: ``workflow.patched`` marker: a Spring-bean call in an expression runs as an activity.
BEAN_CALL_PATCH = "bean-calls-as-activities"
_BEAN_CALL = re.compile(
    r"[#$]\{\s*(?P<bean>[A-Za-z_]\w*)\s*\.\s*(?P<method>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*\}",
    re.DOTALL,
)
#: ``workflow.patched`` marker: standard loops run instead of parking an incident.
STANDARD_LOOP_PATCH = "standard-loops-run"
#: ``workflow.patched`` marker: long histories continue as new (see _drain_when_due).
CONTINUE_AS_NEW_PATCH = "continue-as-new-at-quiet-point"
#: ``workflow.patched`` marker: a cancelled instance winds down (see _wind_down) instead of
#: ending with its tasks and read-model row still open.
CANCEL_PATCH = "cancel-winds-down"
#: ``workflow.patched`` marker: the ``BpmnWaitingMessages`` search attribute is kept up to
#: date (it can add an upsert where the active elements did not change).
WAITING_MESSAGES_PATCH = "waiting-messages-search-attribute"
#: ``workflow.patched`` marker: built-in synchronous task types
#: (``contracts.SYNCHRONOUS_TASK_TYPES``) run as local activities, and a search-attribute
#: upsert carries only the attributes that changed (each value is a payload to encode).
#: It is also the baseline: a run that has it follows every older patch without
#: consulting it (see ``_patched``).
LOCAL_BUILTINS_PATCH = "synchronous-builtins-run-locally"
#: ``workflow.patched`` marker: the read models are written by a regular activity, which
#: runs only once the workflow task that decided the change has committed (a local
#: activity runs before: its rows outlived workflow tasks that never committed); update
#: handlers that change rows answer once their rows are written; revisions grow with
#: workflow time, so a reset run's rows replace those of the run it replaced; an
#: instance started without Baton's search attributes sets them itself. It is the new
#: baseline: a run that has it follows ``LOCAL_BUILTINS_PATCH`` and every older patch.
AFTER_COMMIT_PATCH = "projection-after-commit"
#: The projection activity's attempt; it is retried without limit (the database may be
#: down for a while: the rows wait in the history, not in memory).
PROJECTION_TIMEOUT = timedelta(seconds=15)
#: How long new tokens are held at their element's entry while the run drains for
#: continue-as-new; if the instance is not quiet by then, it goes on and tries later.
DRAIN_PATIENCE = timedelta(minutes=5)
#: After a drain gave up, wait for this many more history events before the next one.
DRAIN_BACKOFF_EVENTS = 500
#: Case-history entries, seen message ids and child ids carried into the next run.
CARRIED_HISTORY = 500
CARRIED_MESSAGE_IDS = 1000
CARRIED_CHILDREN = 1000


#: Variables local to the running execution (a multi-instance item, its loop counters).
#: A ContextVar, because each token runs in its own asyncio task and copies it.
_LOCALS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "locals", default=None
)


class _Incident(Exception):
    """Raised inside a token when an element cannot proceed; parks the token.
    ``attempts``: how often the element was tried (an activity's retries), if it was."""

    def __init__(self, message: str, attempts: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class _Catcher:
    """Where a thrown error or escalation is caught."""

    run: ScopeRun  # the scope whose event sub-process, or whose host's boundary, catches
    interrupting: bool
    esp: str | None = None
    start: StartEvent | None = None
    boundary: BoundaryEvent | None = None


class _Exhausted(Exception):  # control flow, not a failure
    """A repeating timer fired as often as its cycle allows."""


def _code_and_ref(
    event: ErrorEventDefinition | EscalationEventDefinition,
) -> tuple[str | None, str | None]:
    if isinstance(event, ErrorEventDefinition):
        return event.error_code, event.error_ref
    return event.escalation_code, event.escalation_ref


def _encoded_size(values: dict[str, Any]) -> int:
    """About what the variables weigh in a payload (JSON, as the converter writes it)."""
    return len(json.dumps(values, default=str, separators=(",", ":")).encode())


@contextlib.contextmanager
def _waiting(holder: Token | ScopeRun, key: str, wait: Wait) -> Iterator[Wait]:
    """Register what ``holder`` waits for while the body awaits it (the material of a
    continue-as-new snapshot); unregistered however the wait ends."""
    holder.waits[key] = wait
    try:
        yield wait
    finally:
        if holder.waits.get(key) is wait:
            del holder.waits[key]


@workflow.defn(name=c.WORKFLOW_NAME)
class BpmnProcess:
    @workflow.init
    def __init__(self, input: c.ProcessInput) -> None:
        self._input = input
        self._definition: ProcessDefinition | None = None
        self._graph: Graph | None = None
        self._variables: dict[str, Any] = dict(input.variables)
        self._root: ScopeRun | None = None
        self._scopes: list[ScopeRun] = []
        self._tasks: dict[str, c.UserTaskView] = {}
        self._incidents: dict[str, c.IncidentView] = {}
        self._retries: dict[str, c.RetryIncident | c.ResolveIncident] = {}
        self._subscriptions: list[Subscription] = []
        self._buffered: list[c.DeliverMessage] = []
        self._seen_message_ids: dict[str, None] = {}  # ordered, so snapshots are deterministic
        self._timers: Counter[str] = Counter()  # element id → running timers
        self._fire_requests: Counter[str] = Counter()
        self._children: list[str] = []
        self._partners: dict[str, list[str]] = {k: list(v) for k, v in input.partners.items()}
        self._history: list[c.HistoryEntry] = []
        self._counts = Counts()
        self._state = c.InstanceState.ACTIVE
        self._start_time = workflow.info().start_time
        self._end_time: datetime | None = None
        self._failure: BaseException | None = None
        self._cancel_request: c.CancelInstance | None = None
        self._waiting_patched = False  # WAITING_MESSAGES_PATCH, consulted first in run()
        self._local_builtins = False  # LOCAL_BUILTINS_PATCH, likewise
        self._after_commit = False  # AFTER_COMMIT_PATCH, likewise
        self._next_id = 0
        self._burst_time: datetime | None = None
        self._burst = 0
        # continue-as-new
        self._runs = 1
        self._history_dropped = 0
        self._draining = False  # new tokens wait at their element's entry
        self._drain_after = 0  # history length before which no drain starts
        self._detached = 0  # compensation runs nobody waits for
        # read-model outbox
        self._revision = 0
        self._instance_dirty = False
        self._dirty_tasks: set[str] = set()
        self._dirty_incidents: set[str] = set()
        self._flushing = False
        self._projected_revision = 0  # the revision the last written batch carried
        self._resync = False  # the next batch carries every row (resync_projection)
        self._loop: asyncio.AbstractEventLoop | None = None  # the workflow's own loop
        self._local_busy = False  # a message/signal local activity is in flight
        self._local_waiting = 0  # tokens waiting in _exclusive_local for their turn
        self._locals_since_flush = 0  # local activities run since the last batch
        self._published: tuple[tuple[str, ...], str, bool, tuple[str, ...] | None] | None = None
        self._row_written: tuple[str, datetime | None] | None = None  # last instance row
        if input.resume is not None:
            self._restore_data(input.resume)

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: c.ProcessInput) -> c.ProcessResult:
        # Consulted before the first local activity: a patch first consulted right after
        # the definition-loading one did not replay in continued runs (sdk-core).
        # The newest baseline is consulted first: a run that has it does not consult the
        # older one (two events each: the marker and TemporalChangeVersion).
        self._after_commit = workflow.patched(AFTER_COMMIT_PATCH)
        self._local_builtins = self._after_commit or workflow.patched(LOCAL_BUILTINS_PATCH)
        self._waiting_patched = self._patched(WAITING_MESSAGES_PATCH)
        if self._after_commit:
            self._describe_self(input)
            # the first batch of a run carries every row and closes the instance's open
            # rows it lacks: a run reset to its very first workflow task (whose reseed
            # comes before the callback below exists) or continued as new starts clean
            self._resync = True
            # Temporal reseeds a run's randomness where it was reset (and only there, so
            # replay does the same): the rows of the replaced run are then rewritten
            self._loop = asyncio.get_running_loop()
            workflow.register_random_seed_callback(self._reseeded)
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
        self._graph = Graph(self._definition)
        if input.resume is not None:
            root = self._restart()
            self._touch_instance()
            flusher = asyncio.create_task(self._flush_loop())
        else:
            self._record(
                "PROCESS_STARTED", user_id=input.started_by, details={"version": ref.version}
            )
            self._touch_instance()
            flusher = asyncio.create_task(self._flush_loop())
            starts = self._process_starts(input)
            root = self._root = self._new_scope(None, None)
            for start in starts:
                self._spawn(root, start, via=None)
        drainer = asyncio.create_task(self._drain_when_due())
        try:
            await workflow.wait_condition(
                lambda: root.finished or self._failure is not None or self._may_continue()
            )
        except asyncio.CancelledError:
            if not self._patched(CANCEL_PATCH):
                raise
            drainer.cancel()
            await self._wind_down()
            flusher.cancel()
            raise
        if self._failure is not None:
            raise self._failure
        drainer.cancel()
        if not root.finished:
            flusher.cancel()
            workflow.continue_as_new(
                self._next_run(),
                search_attributes=workflow.info().typed_search_attributes,
            )
        # a terminate end event completes the instance (BPMN and Camunda agree); the history
        # says how it ended
        self._state = c.InstanceState.COMPLETED
        self._end_time = workflow.now()
        self._record("PROCESS_ENDED", details={"terminated": root.terminated})
        self._touch_instance()
        await self._final_flush()
        flusher.cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return c.ProcessResult(state=self._state, variables=self._variables)

    async def _final_flush(self) -> None:
        """Wait until the last rows are written. The process has ended: a cancellation
        arriving now changes nothing, and before ``AFTER_COMMIT_PATCH`` it ended the run
        as cancelled with its last rows unwritten (the read model kept it ACTIVE)."""
        while True:
            try:
                await workflow.wait_condition(lambda: not self._dirty() and not self._flushing)
                return
            except asyncio.CancelledError:
                if not self._after_commit:
                    raise

    def _describe_self(self, input: c.ProcessInput) -> None:
        """An instance started by a plain Temporal client (an SDK, the CLI) carries no
        Baton search attributes: it sets them, so the documented filters find it like one
        started through REST. One upsert, only for such instances."""
        if workflow.info().typed_search_attributes.get(sa.PROCESS_KEY) is not None:
            return
        ref = input.definition
        workflow.upsert_search_attributes(
            [
                pair.key.value_set(pair.value)
                for pair in sa.at_start(ref.key, ref.version, input.business_key)
            ]
        )

    async def _wind_down(self) -> None:
        """The workflow was cancelled (``cancel_instance`` then ``WorkflowHandle.cancel``,
        or the Web UI): every token and event sub-process trigger stops, open tasks end
        as CANCELED, open incidents close, and the read model says TERMINATED, with who
        cancelled and why in the case history, before the run ends as cancelled."""
        stopping: list[asyncio.Task[None]] = []
        for scope in list(self._live_scopes()):
            for task in [*scope.watchers, *(t.task for t in scope.tokens.values() if t.task)]:
                task.cancel()
                stopping.append(task)
        await asyncio.gather(*stopping, return_exceptions=True)
        for incident in self._incidents.values():
            if not incident.resolved:
                incident.resolved = True
                self._dirty_incidents.add(incident.id)
        request = self._cancel_request or c.CancelInstance()
        self._state = c.InstanceState.TERMINATED
        self._end_time = workflow.now()
        details = {"reason": request.reason} if request.reason else {}
        self._record("PROCESS_CANCELLED", user_id=request.user_id, details=details)
        self._touch_instance()
        await workflow.wait_condition(lambda: not self._dirty() and not self._flushing)

    # --------------------------------------------------------- scopes, tokens

    def _process_starts(self, input: c.ProcessInput) -> list[str]:
        """Where a new instance puts its first tokens: the start event asked for (or the
        only none start event), plus every element without incoming sequence flow."""
        assert self._definition is not None
        key = input.definition.key
        start = input.start_event
        if start is None:
            nones = self._definition.none_starts()
            if len(nones) > 1:
                raise ApplicationError(
                    f"process {key!r} has several none start events ({', '.join(nones)}); "
                    "name the one to begin at",
                    type="NoStartEvent",
                    non_retryable=True,
                )
            start = nones[0] if nones else None
        if start is not None and start not in self._definition.nodes:
            raise ApplicationError(
                f"process {key!r} has no element {start!r} to start at",
                type="NoStartEvent",
                non_retryable=True,
            )
        implicit = implicit_starts(self._definition.nodes, None)
        if start is None and not implicit:
            raise ApplicationError(
                f"process {key!r} has no none start event; start it by message or timer",
                type="NoStartEvent",
                non_retryable=True,
            )
        return self._scope_starts([start] if start else [], implicit)

    def _scope_starts(self, starts: list[str], implicit: list[str]) -> list[str]:
        """Start events plus the scope's elements without incoming sequence flow (the
        BPMN token simulation's rule; BPMN's own for scopes without start events). Only
        diagrams that have such elements ask for the patch marker."""
        extra = [n for n in implicit if n not in starts]
        if extra and (not starts or self._patched(IMPLICIT_START_PATCH)):
            return starts + extra
        return starts

    def _new_id(self, prefix: str) -> str:
        self._next_id += 1
        return f"{prefix}{self._next_id}"

    def _new_scope(self, element_id: str | None, parent: ScopeRun | None) -> ScopeRun:
        scope = ScopeRun(id=self._new_id("s"), element_id=element_id, parent=parent)
        self._scopes.append(scope)
        for esp_id, start in self._event_starts(scope):
            event = start.event
            if event is not None and event.kind in ("message", "timer", "signal"):
                scope.watchers.append(asyncio.create_task(self._watch(scope, esp_id, start)))
        return scope

    def _event_starts(self, scope: ScopeRun) -> list[tuple[str, StartEvent]]:
        """The event sub-processes of ``scope`` with their (triggered) start events."""
        assert self._definition is not None
        if scope.element_id is None:
            esp_ids = self._definition.event_subprocesses
        else:
            host = self._node(scope.element_id)
            esp_ids = host.event_subprocesses if isinstance(host, SubProcess) else []
        found: list[tuple[str, StartEvent]] = []
        for esp_id in esp_ids:
            esp = self._node(esp_id)
            assert isinstance(esp, SubProcess)
            for start_id in esp.start_nodes:
                start = self._node(start_id)
                if isinstance(start, StartEvent) and start.event is not None:
                    found.append((esp_id, start))
        return found

    async def _watch(self, scope: ScopeRun, esp_id: str, start: StartEvent) -> None:
        """Wait for an event sub-process's message/timer/signal start; a non-interrupting
        one keeps listening after each trigger."""
        snap = scope.resume.get(start.id)
        occurrence = snap.occurrence if snap is not None else 0
        while not scope.finished:
            try:
                await self._catch(start, start.event, occurrence, owner=scope.id, holder=scope)
            except _Exhausted:
                return
            occurrence += 1
            self._trigger_esp(scope, esp_id, start, current=None)
            if start.interrupting:
                return

    def _trigger_esp(
        self, scope: ScopeRun, esp_id: str, start: StartEvent, current: Token | None
    ) -> None:
        """Start an event sub-process in ``scope``; an interrupting one first cancels
        everything else the scope does."""
        token = Token(id=self._new_id("t"), element_id=esp_id, scope=scope, start_event=start.id)
        scope.tokens[token.id] = token
        if start.interrupting:
            for other in list(scope.tokens.values()):
                if other is not token and other is not current and other.task is not None:
                    other.task.cancel()
            for watcher in scope.watchers:
                if watcher is not asyncio.current_task():
                    watcher.cancel()
        token.task = asyncio.create_task(self._run_token(token))
        self._touch_instance()

    def _finish_scope(self, scope: ScopeRun, *, force: bool = False) -> None:
        if scope.finished:
            return
        if not force and any(
            s.owner == scope.id and s.delivered is not None and not s.cancelled
            for s in self._subscriptions
        ):
            return  # an event sub-process was just triggered: it will run in this scope
        scope.finished = True
        for watcher in scope.watchers:
            watcher.cancel()

    def _node(self, element_id: str) -> Node:
        assert self._definition is not None
        return self._definition.nodes[element_id]

    def _spawn(
        self, scope: ScopeRun, element_id: str, via: str | None, *, awaited: bool = False
    ) -> Token:
        token = Token(
            id=self._new_id("t"), element_id=element_id, scope=scope, via=via, awaited=awaited
        )
        scope.tokens[token.id] = token
        token.task = asyncio.create_task(self._run_token(token))
        self._touch_instance()
        return token

    def _finish_token(self, token: Token) -> None:
        scope = token.scope
        scope.tokens.pop(token.id, None)
        if not scope.tokens:
            self._finish_scope(scope)
        self._touch_instance()

    async def _run_token(self, token: Token, *, resumed: bool = False) -> None:
        """Enter the element, run its behaviour, then follow the outgoing flows. A token
        ``resumed`` after continue-as-new was entered in an earlier run."""
        node = self._node(token.element_id)
        if not resumed:
            self._counts.entered[node.id] += 1
            self._record("ACTIVITY_STARTED", node.id, details={"type": node.kind})
        try:
            if not resumed and self._draining and not token.awaited:
                await self._hold(token)
            token.resume.pop("@enter", None)
            parked = token.resume.pop("@incident", None)
            if parked is not None:
                await self._await_retry(node, token, self._incidents[parked.incident_id])
            while True:
                try:
                    if token.skip:  # an operator resolved the incident: leave as done
                        token.skip = False
                        outcome = "continue"
                        taken = self._taken_flows(node)
                        break
                    self._count_burst(node)
                    outcome = await self._behave(node, token)
                    taken = self._taken_flows(node) if outcome == "continue" else []
                    break
                except _Incident as incident:
                    await self._park(node, token, str(incident), incident.attempts)
                except BpmnThrow as thrown:
                    catcher = self._find_catcher(token.scope, thrown, self._rethrower(node))
                    if catcher is None and self._unhandled_throw_passes(node, thrown):
                        outcome = "continue" if isinstance(node, IntermediateThrowEvent) else "end"
                        taken = self._taken_flows(node) if outcome == "continue" else []
                        break
                    if catcher is None:
                        await self._park(
                            node,
                            token,
                            f"uncaught {thrown.kind} {thrown.code!r}: {thrown.message}",
                        )
                        continue
                    if not catcher.interrupting:
                        # non-interrupting escalation: the catcher runs, the thrower goes on
                        self._fire_catcher(catcher, thrown, token)
                        outcome = "continue" if isinstance(node, IntermediateThrowEvent) else "end"
                        taken = self._taken_flows(node) if outcome == "continue" else []
                        break
                    if catcher.run is token.scope and catcher.esp is not None:
                        self._fire_catcher(catcher, thrown, token)
                        outcome = "interrupted"
                        taken = []
                        break
                    raise  # unwinds to the sub-process that hosts this scope
        except asyncio.CancelledError:
            if token.merged:
                self._counts.merged[node.id] += 1
            else:
                self._counts.cancelled[node.id] += 1
                self._record("ACTIVITY_CANCELLED", node.id)
            self._finish_token(token)
            raise
        except BpmnThrow as thrown:
            # caught further up: this scope run ends, its host activity handles it
            self._counts.cancelled[node.id] += 1
            scope = token.scope
            scope.tokens.pop(token.id, None)
            scope.thrown = thrown
            self._touch_instance()
            return
        except Exception as exc:  # an interpreter bug: fail the workflow task, keep the run
            self._failure = exc
            return
        if outcome == "interrupted":
            self._counts.cancelled[node.id] += 1
            self._record("ACTIVITY_CANCELLED", node.id)
            self._finish_token(token)
            return
        if token.merged:
            self._counts.merged[node.id] += 1
            self._finish_token(token)
            return
        self._counts.completed[node.id] += 1
        self._record("ACTIVITY_COMPLETED", node.id)
        scope = token.scope
        self._remember_compensable(node, token)
        scope.tokens.pop(token.id, None)
        for flow_id in taken:
            self._spawn(scope, self._flow_target(flow_id), via=flow_id)
        if not scope.tokens:
            self._finish_scope(scope)
        self._touch_instance()

    def _unhandled_throw_passes(self, node: Node, thrown: BpmnThrow) -> bool:
        """An error or escalation thrown by an end or intermediate throw event that no
        one catches behaves like a none event (BPMN leaves an uncaught escalation without
        effect; Camunda 7 treats an unhandled error end event as a none end event). It is
        kept in the case history. Errors raised by service tasks still park as incidents:
        silently dropping failed work would lose it. Histories recorded before this rule
        raised an incident here, hence the patch marker."""
        if (
            thrown.kind not in ("error", "escalation")
            or thrown.element_id != node.id
            or not isinstance(node, EndEvent | IntermediateThrowEvent)
            or not self._patched(UNHANDLED_THROW_PATCH)
        ):
            return False
        self._record(
            f"UNHANDLED_{thrown.kind.upper()}", node.id, details={"code": thrown.code or ""}
        )
        return True

    def _count_burst(self, node: Node) -> None:
        now = workflow.now()
        if now != self._burst_time:
            self._burst_time, self._burst = now, 0
        self._burst += 1
        if self._burst > MAX_BURST:
            self._burst = 0
            raise _Incident(
                f"more than {MAX_BURST} elements ran without any wait: {node.id} is on a cycle "
                "that never waits (add a wait state or a condition that ends it)"
            )

    def _flow_target(self, flow_id: str) -> str:
        assert self._definition is not None
        return self._definition.flows[flow_id].target

    # -------------------------------------------------------------- routing

    def _taken_flows(self, node: Node) -> list[str]:
        """Outgoing flows to follow.

        A gateway with no outgoing flow at all ends the token, as any element without
        outgoing flows does. Exclusive gateway: the first flow (document order) whose
        condition holds, else the default, else an incident. Inclusive gateway and other
        elements: every flow whose condition holds (unconditional ones always), the
        default only when no other flow is taken; an inclusive gateway with no flow to
        take is an incident.
        """
        assert self._definition is not None
        flows = self._definition.flows
        default = getattr(node, "default_flow", None)
        candidates = [f for f in node.outgoing if f != default]
        if isinstance(node, Gateway) and not node.outgoing and self._patched(SINK_PATCH):
            return []  # a gateway without outgoing flows is an implicit end, not a dead end
        if isinstance(node, Gateway) and node.gateway == "exclusive":
            for flow_id in candidates:
                condition = flows[flow_id].condition
                if condition is None or self._condition(flow_id, condition):
                    return [flow_id]
            if default is not None:
                return [default]
            raise _Incident("no outgoing flow of the exclusive gateway matched")
        if isinstance(node, Gateway) and node.gateway in ("parallel", "eventBased"):
            return [] if node.gateway == "eventBased" else list(node.outgoing)
        taken = [
            f
            for f in candidates
            if (cond := flows[f].condition) is None or self._condition(f, cond)
        ]
        if default is not None and not taken:
            taken.append(default)
        if (
            isinstance(node, Gateway)
            and node.gateway == "inclusive"
            and node.outgoing
            and not taken
        ):
            raise _Incident("no outgoing flow of the inclusive gateway matched")
        return taken

    def _condition(self, flow_id: str, expr: Expression) -> bool:
        """A flow condition must yield a boolean (as in Zeebe); anything else is an incident."""
        value = self._evaluate(expr, flow_id)
        if not isinstance(value, bool):
            why = explain(expr, self._variables, now=workflow.now()) if value is None else ""
            raise _Incident(
                f"the condition of flow {flow_id!r} ({expr.source!r}) gave {value!r}, "
                f"not a boolean" + (f" ({why})" if why else "")
            )
        return value

    def _evaluate(self, expr: Expression, element_id: str | None = None) -> Any:
        execution = ExecutionContext(
            business_key=self._input.business_key,
            process_instance_id=workflow.info().workflow_id,
            current_activity_id=element_id,
        )
        local = _LOCALS.get()
        variables = {**self._variables, **local} if local else self._variables
        try:
            return evaluate(expr, variables, now=workflow.now(), execution=execution)
        except ExpressionError as exc:
            raise _Incident(f"expression {expr.source!r}: {exc}") from exc

    # ------------------------------------------------------------ behaviour

    async def _behave(self, node: Node, token: Token) -> str:
        """Run ``node`` for ``token``: "continue" along the outgoing flows, "end" here, or
        "interrupted" (a boundary event took the token elsewhere)."""
        boundaries = getattr(node, "boundary_events", [])
        if boundaries:
            return await self._with_boundaries(node, token, boundaries)
        return "continue" if await self._body(node, token) else "end"

    async def _body(self, node: Node, token: Token) -> bool:
        """The element's behaviour; a multi-instance activity runs it once per item."""
        loop = getattr(node, "loop", None)
        if isinstance(loop, MultiInstance):
            token.busy = True  # instance coroutines are not carried by continue-as-new
            try:
                await self._multi_instance(node, loop, token)
            finally:
                token.busy = False
            return True
        if isinstance(loop, StandardLoop) and self._patched(STANDARD_LOOP_PATCH):
            token.busy = True  # the loop's counter lives in this coroutine
            try:
                await self._standard_loop(node, loop, token)
            finally:
                token.busy = False
            return True
        if loop is not None:
            raise _Incident("standard loops are not executable yet")
        return await self._single(node, token)

    async def _standard_loop(self, node: Node, loop: StandardLoop, token: Token) -> None:
        """BPMN's standard loop: run the activity while ``loopCondition`` holds, testing
        before each run (``testBefore``) or after it (the default, so it runs at least
        once), at most ``loopMaximum`` times; ``loopCounter`` counts the runs."""
        if loop.condition is None and loop.maximum is None:
            raise _Incident(f"the standard loop of {node.id} has neither a condition nor a maximum")
        runs = 0

        def again() -> bool:
            if loop.condition is None:
                return True
            _LOCALS.set({"loopCounter": runs})
            return self._evaluate(loop.condition, node.id) is True

        outer = _LOCALS.get()  # restored, so the tokens after the loop do not see its counter
        try:
            while loop.maximum is None or runs < loop.maximum:
                if loop.test_before and not again():
                    return
                _LOCALS.set({"loopCounter": runs + 1})
                await self._single(node, token)
                runs += 1
                if not loop.test_before and not again():
                    return
        finally:
            _LOCALS.set(outer)

    async def _multi_instance(self, node: Node, loop: MultiInstance, token: Token) -> None:
        """Parallel or sequential instances over a collection or a cardinality; the
        completion condition may end the rest early; results gather in outputCollection."""
        if loop.collection is not None:
            items = self._evaluate(loop.collection, node.id)
            if not isinstance(items, list):
                raise _Incident(f"the multi-instance collection of {node.id} is not a list")
        elif loop.cardinality is not None:
            count = self._evaluate(loop.cardinality, node.id)
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise _Incident(f"the loop cardinality of {node.id} is not a whole number")
            items = list(range(1, count + 1))
        else:
            raise _Incident(f"{node.id} has neither a collection nor a cardinality")
        total = len(items)
        results: list[Any] = [None] * total
        progress = {"completed": 0, "active": 0}

        def counters() -> dict[str, Any]:
            return {
                "nrOfInstances": total,
                "nrOfCompletedInstances": progress["completed"],
                "nrOfActiveInstances": progress["active"],
            }

        async def one(index: int) -> None:
            local = {"loopCounter": index + 1, **counters()}
            if loop.element_variable:
                local[loop.element_variable] = items[index]
            _LOCALS.set(local)
            progress["active"] += 1
            await self._single(node, token)
            progress["active"] -= 1
            progress["completed"] += 1
            if loop.output_element is not None:
                results[index] = self._evaluate(loop.output_element, node.id)
            elif loop.output_collection and loop.element_variable:
                results[index] = self._variables.get(loop.element_variable)

        def done_early() -> bool:
            if loop.completion_condition is None:
                return False
            _LOCALS.set(counters())
            return self._evaluate(loop.completion_condition, node.id) is True

        if loop.sequential:
            for index in range(total):
                await asyncio.create_task(one(index))
                if done_early():
                    break
        else:
            runs = [asyncio.create_task(one(index)) for index in range(total)]
            try:
                await workflow.wait_condition(lambda: all(r.done() for r in runs) or done_early())
            finally:
                for run in runs:
                    if not run.done():
                        run.cancel()
            for run in runs:
                if run.done() and not run.cancelled() and run.exception() is not None:
                    raise run.exception()  # type: ignore[misc]
        if loop.output_collection:
            self._set_variables({loop.output_collection: results}, node.id)

    async def _single(self, node: Node, token: Token) -> bool:
        if self._has_message_flows(node):
            await self._message_flows(node, token)
        if isinstance(node, StartEvent | Task):
            return True
        if isinstance(node, ServiceTask | ScriptTask):
            await self._run_implementation(node, node.implementation, token)
            return True
        if isinstance(node, UserTask):
            await self._user_task(node, token)
            return True
        if isinstance(node, Gateway):
            return await self._gateway(node, token)
        if isinstance(node, EndEvent):
            return await self._end_event(node, token)
        if isinstance(node, IntermediateThrowEvent):
            return await self._throw_event(node, token)
        if isinstance(node, IntermediateCatchEvent):
            await self._catch(node, node.event, holder=token)
            self._apply_mappings(node.outputs, node.id)
            return True
        if isinstance(node, ReceiveTask):
            await self._catch(node, node.event, holder=token)
            return True
        if isinstance(node, SubProcess) and node.variant in ("embedded", "transaction"):
            await self._sub_process(node, token)
            return True
        if isinstance(node, SubProcess) and node.variant == "event" and token.start_event:
            await self._run_scope(node, token, [token.start_event])
            return True
        if isinstance(node, BoundaryEvent):
            return True  # its trigger already happened; the token just leaves
        if (
            isinstance(node, SubProcess)
            and node.variant == "adHoc"
            and not node.children
            and self._patched(EMPTY_AD_HOC_PATCH)
        ):
            return True  # nothing can be activated inside: it completes at once
        if isinstance(node, CallActivity):
            token.busy = True  # a child workflow does not survive continue-as-new
            try:
                await self._call_activity(node)
            finally:
                token.busy = False
            return True
        raise _Incident(f"{node.kind} elements are not executable yet")

    # ---------------------------------------------------------- message flows

    def _has_message_flows(self, node: Node) -> bool:
        assert self._definition is not None
        if not self._definition.message_flows or not isinstance(
            node, Task | ServiceTask | ScriptTask | UserTask | EndEvent | IntermediateThrowEvent
        ):
            return False
        return any(node.id in (f.source, f.target) for f in self._definition.message_flows)

    async def _message_flows(self, node: Node, token: Token) -> None:
        """An element with message flows to or from other pools handles them when its
        token arrives, left to right as they attach to it in the diagram: an outgoing
        flow sends, an incoming one (tasks only) waits for its message; then the element
        does its own work. Messages carry no variables."""
        assert self._definition is not None
        steps: list[tuple[float, int, MessageFlow, bool]] = []
        for index, flow in enumerate(self._definition.message_flows):
            if flow.source == node.id:
                steps.append(
                    (flow.source_x if flow.source_x is not None else 1e18, index, flow, True)
                )
            if flow.target == node.id and not isinstance(node, EndEvent | IntermediateThrowEvent):
                steps.append(
                    (flow.target_x if flow.target_x is not None else 1e18, index, flow, False)
                )
        if not steps or not self._patched(MESSAGE_FLOW_PATCH):
            return
        token.busy = True  # a half-done sequence cannot be carried by continue-as-new
        try:
            for _, _, flow, sends in sorted(steps, key=lambda s: (s[0], s[1])):
                if sends:
                    await self._send_along(flow)
                else:
                    await self._wait_along(node, flow)
        finally:
            token.busy = False

    async def _send_along(self, flow: MessageFlow) -> None:
        if flow.target_process is None:
            return
        sent = await self._exclusive_local(
            c.SEND_ALONG_FLOW,
            c.SendAlongFlow(
                flow_id=flow.id,
                target=flow.target,
                target_process=flow.target_process,
                sender_instance_id=workflow.info().workflow_id,
                sender_process=self._input.definition.key,
                partners=self._partners.get(flow.target_process, []),
                throw_id=self._new_id("m"),
            ),
            result_type=c.FlowSent,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=INFRA_RETRY,
            summary=f"message flow {flow.id} to {flow.target}",
        )
        if sent.started:
            self._partners.setdefault(flow.target_process, []).append(sent.started)
        self._record(
            "MESSAGE_SENT",
            flow.source,
            details={"flow": flow.id, "started": sent.started or "", "delivered": sent.delivered},
        )

    async def _wait_along(self, node: Node, flow: MessageFlow) -> None:
        subscription = Subscription(
            kind="flow",
            name=flow.id,
            element_id=node.id,
            correlation_key=None,
            sequence=len(self._subscriptions),
        )
        self._subscriptions.append(subscription)
        try:
            self._take_buffered(subscription)
            await workflow.wait_condition(lambda: subscription.delivered is not None)
        finally:
            subscription.cancelled = True
            self._subscriptions = [s for s in self._subscriptions if not s.cancelled]
        assert subscription.delivered is not None
        self._set_variables(subscription.delivered, node.id)
        self._record("MESSAGE_CORRELATED", node.id, details={"flow": flow.id})

    # ------------------------------------------------- service and scripts

    async def _run_implementation(self, node: Node, impl: Implementation, token: Token) -> None:
        inputs = getattr(node, "inputs", [])
        if impl.kind == "none":
            return
        if impl.kind == "expression" and impl.expression is not None:
            value = await self._evaluate_or_call(impl.expression, node)
            if impl.result_variable:
                self._set_variables({impl.result_variable: value}, node.id)
            return
        if impl.kind == "decision" and impl.decision_ref is not None:
            # a DMN decision is evaluated by whichever worker serves "decision:<id>"
            ref = str(self._evaluate(impl.decision_ref, node.id))
            impl = impl.model_copy(update={"kind": "activity", "task_type": f"decision:{ref}"})
        if impl.kind in ("activity", "script") and impl.task_type:
            local = self._mapped(inputs, node.id)
            if impl.script is not None:
                local = {**local, "script": impl.script.source, "scriptFormat": impl.script.format}
            result = await self._activity(node, impl, token, local)
            outputs = getattr(node, "outputs", [])
            if impl.result_variable and "result" in result:
                result = {impl.result_variable: result["result"]}
            if outputs:
                self._apply_mappings(outputs, node.id, extra=result)
            else:
                self._set_variables(result, node.id)
            return
        raise _Incident(f"{impl.kind} implementations are not executable yet")

    async def _activity(
        self, node: Node, impl: Implementation, token: Token, inputs: dict[str, Any]
    ) -> dict[str, Any]:
        assert impl.task_type is not None
        attempts = token.attempts or impl.retries
        task = c.ServiceTaskInput(
            process_instance_id=workflow.info().workflow_id,
            element_id=node.id,
            business_key=self._input.business_key,
            variables={**self._variables, **inputs},
            headers=impl.headers,
            definition_key=self._input.definition.key,
        )
        retry = RetryPolicy(maximum_attempts=attempts, non_retryable_error_types=["BpmnError"])
        summary = f"{node.id}: {node.name or impl.task_type}"
        try:
            if self._runs_locally(node, impl.task_type):
                result = await self._exclusive_local(
                    impl.task_type,
                    task,
                    result_type=c.ServiceTaskResult,
                    start_to_close_timeout=LOCAL_TIMEOUT,
                    retry_policy=retry,
                    summary=summary,
                )
                # a wait, as a regular activity is, although workflow time stands still
                # while local activities run: a loop over one is no cycle without waits
                self._burst = 0
            else:
                result = await workflow.execute_activity(
                    impl.task_type,
                    task,
                    result_type=c.ServiceTaskResult,
                    # an attempt may wait long for an HTTP worker (a parked task is kept
                    # alive by heartbeats while it waits); a dead worker is noticed in 5 min
                    start_to_close_timeout=EXTERNAL_TASK_TIMEOUT,
                    heartbeat_timeout=SERVICE_TASK_TIMEOUT,
                    retry_policy=retry,
                    summary=summary,
                )
        except ActivityError as err:
            self._reraise_cancel(err)
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "BpmnError":
                code = str(cause.details[0]) if cause.details else cause.message
                raise BpmnThrow("error", code, cause.message, node.id) from err
            message = str(cause) if cause is not None else str(err)
            raise _Incident(
                f"{impl.task_type} failed after {attempts} attempts: {message}", attempts
            ) from err
        return dict(result.variables)

    def _reraise_cancel(self, err: ActivityError) -> None:
        """An activity cancelled because its token was (the instance is being cancelled,
        an interrupting event fired) ends the token, not parks an incident: before
        ``AFTER_COMMIT_PATCH`` it became an incident that held the instance's wind-down
        for ever (a cancel racing a running task left the instance running)."""
        if self._after_commit and is_cancelled_exception(err):
            raise asyncio.CancelledError() from err

    def _patched(self, patch: str) -> bool:
        """``workflow.patched`` for every patch older than ``LOCAL_BUILTINS_PATCH``: a run
        that has that marker (every run started by this code or later) follows all older
        rules without consulting them, because each marker costs two events (the marker
        and Temporal's ``TemporalChangeVersion`` upsert). Runs recorded before it consult
        each old marker where they always did, so their histories replay unchanged."""
        return self._local_builtins or workflow.patched(patch)

    def _runs_locally(self, node: Node, task_type: str) -> bool:
        """A built-in that answers at once runs as a local activity, unless the diagram
        asks for asynchronous continuation around the element (Camunda 7 ``asyncBefore``
        / ``asyncAfter``: a transaction boundary, which a regular activity is)."""
        return (
            self._local_builtins
            and task_type in c.SYNCHRONOUS_TASK_TYPES
            and not getattr(node, "async_before", False)
            and not getattr(node, "async_after", False)
        )

    def _bean_call(self, expr: Expression) -> tuple[str, list[Expression]] | None:
        """``#{bean.method(arg, …)}`` where ``bean`` is no variable: a Camunda 7 Spring
        bean call. Baton runs it as the activity ``bean:bean.method`` (a worker in any
        Temporal SDK can serve it) with the arguments evaluated here."""
        if expr.language != "juel":
            return None
        found = _BEAN_CALL.fullmatch(expr.source.strip())
        if found is None or found["bean"] in self._variables:
            return None
        raw = found["args"].strip()
        if any(ch in raw for ch in "()'\"\\"):
            return None  # only plain arguments are split here
        args = [
            Expression(language="juel", source="${" + part.strip() + "}")
            for part in raw.split(",")
            if part.strip()
        ]
        return f"bean:{found['bean']}.{found['method']}", args

    async def _evaluate_or_call(self, expr: Expression, node: Node) -> Any:
        call = self._bean_call(expr)
        if call is None or not self._patched(BEAN_CALL_PATCH):
            return self._evaluate(expr, node.id)
        task_type, args = call
        arguments = [self._evaluate(arg, node.id) for arg in args]
        try:
            result = await workflow.execute_activity(
                task_type,
                c.ServiceTaskInput(
                    process_instance_id=workflow.info().workflow_id,
                    element_id=node.id,
                    business_key=self._input.business_key,
                    variables={**self._variables, "arguments": arguments},
                    definition_key=self._input.definition.key,
                ),
                result_type=c.ServiceTaskResult,
                start_to_close_timeout=SERVICE_TASK_TIMEOUT,
                retry_policy=RetryPolicy(
                    maximum_attempts=3, non_retryable_error_types=["BpmnError"]
                ),
                summary=f"{node.id}: {task_type}",
            )
        except ActivityError as err:
            self._reraise_cancel(err)
            raise _Incident(f"{task_type} failed: {err.cause or err}") from err
        return result.variables.get("result")

    def _mapped(self, mappings: list[Mapping], element_id: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for mapping in mappings:
            source = mapping.source
            values[mapping.target] = (
                self._evaluate(source, element_id) if isinstance(source, Expression) else None
            )
        return values

    def _apply_mappings(
        self, mappings: list[Mapping], element_id: str, extra: dict[str, Any] | None = None
    ) -> None:
        """Output mappings see the process variables plus what the element produced."""
        if not mappings:
            if extra:
                self._set_variables(extra, element_id)
            return
        saved = self._variables
        self._variables = {**saved, **(extra or {})}
        try:
            values = self._mapped(mappings, element_id)
        finally:
            self._variables = saved
        self._set_variables(values, element_id)

    # ------------------------------------------------------- call activities

    async def _call_activity(self, node: CallActivity) -> None:
        """The called process runs as a child workflow; variables go in and out as the
        diagram maps them (Zeebe propagates all by default, Camunda 7 only when asked)."""
        key = str(self._evaluate(node.called_element, node.id))
        version = int(node.version) if node.binding == "version" and node.version else None
        # beside built-ins running locally it must take its turn (see _exclusive_local)
        run_local = (
            self._exclusive_local if self._local_builtins else workflow.execute_local_activity
        )
        try:
            ref = await run_local(
                c.RESOLVE_DEFINITION,
                c.ResolveDefinition(key=key, version=version),
                result_type=c.DefinitionRef,
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=INFRA_RETRY,
                summary=f"resolve {key}",
            )
        except ActivityError as err:
            self._reraise_cancel(err)
            raise _Incident(f"called process {key!r}: {err.cause or err}") from err
        variables: dict[str, Any] = {}
        if node.propagate_all_parent_variables:
            variables.update(self._variables)
        variables.update(self._mapped(node.in_mappings, node.id))
        variables.update(self._mapped(node.inputs, node.id))
        business_key = (
            str(self._evaluate(node.business_key, node.id))
            if node.business_key is not None
            else self._input.business_key
        )
        child_id = f"{workflow.info().workflow_id}/{node.id}/{workflow.uuid4().hex[:8]}"
        self._children.append(child_id)
        result = await workflow.execute_child_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(
                definition=ref,
                business_key=business_key,
                variables=variables,
                parent_instance_id=workflow.info().workflow_id,
            ),
            id=child_id,
            result_type=c.ProcessResult,
            static_summary=f"{key} v{ref.version}, called by {node.id}",
        )
        produced: dict[str, Any] = {}
        if node.propagate_all_child_variables:
            produced.update(result.variables)
        if node.out_mappings:
            saved = self._variables
            self._variables = {**saved, **result.variables}
            try:
                produced.update(self._mapped(node.out_mappings, node.id))
            finally:
                self._variables = saved
        if node.outputs:
            self._apply_mappings(node.outputs, node.id, extra=produced)
        else:
            self._set_variables(produced, node.id)

    # ------------------------------------------------------------ gateways

    async def _gateway(self, node: Gateway, token: Token) -> bool:
        if node.gateway == "eventBased":
            await self._event_gateway(node, token)
            return False
        if len(node.incoming) > 1 and node.gateway in ("parallel", "inclusive"):
            await self._join(node, token)
        return True

    async def _join(self, node: Gateway, token: Token) -> None:
        """Wait until the join may fire; the token that fires it continues, the other
        arrivals it consumes are merged."""
        scope = token.scope
        links = node.gateway == "inclusive" and self._patched(JOIN_THROUGH_LINKS_PATCH)

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
            assert self._graph is not None
            for other in scope.tokens.values():
                if other.element_id == node.id:
                    continue
                if node.id in self._graph.reachable(other.element_id, links=links):
                    return False
            return True

        token.resume.pop(node.id, None)
        with _waiting(token, node.id, Wait("join", can_fire)):
            await workflow.wait_condition(can_fire)
        if token.merged:
            raise asyncio.CancelledError  # counted as merged by _run_token
        for flow, waiting in arrivals().items():
            consumed = [t for t in waiting if t is not token][: 1 if flow != token.via else 0]
            for other in consumed:
                other.merged = True
        # only one token per incoming flow is consumed; later arrivals wait for the next firing

    async def _event_gateway(self, node: Gateway, token: Token) -> None:
        """The first of the following events wins; the token continues from it."""
        assert self._definition is not None
        targets = [self._flow_target(f) for f in node.outgoing]
        waits: dict[asyncio.Task[None], str] = {}
        for target in targets:
            target_node = self._node(target)
            event = getattr(target_node, "event", None)
            waits[asyncio.create_task(self._catch(target_node, event, holder=token))] = target
        with _waiting(token, node.id, Wait("gateway", lambda: False)):
            done, pending = await workflow.wait(list(waits), return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        winner = next(iter(done))
        winner.result()
        self._continue_after_catch(token.scope, waits[winner])

    def _continue_after_catch(self, scope: ScopeRun, element_id: str) -> None:
        """Enter and leave a catch event whose trigger already happened."""
        node = self._node(element_id)
        self._counts.entered[element_id] += 1
        self._counts.completed[element_id] += 1
        self._apply_mappings(getattr(node, "outputs", []), element_id)
        for flow_id in self._taken_flows(node):
            self._spawn(scope, self._flow_target(flow_id), via=flow_id)

    # -------------------------------------------------------------- events

    async def _end_event(self, node: EndEvent, token: Token) -> bool:
        event = node.event
        if event is None:
            return False
        if isinstance(event, TerminateEventDefinition):
            self._terminate(token)
            return False
        if isinstance(event, ErrorEventDefinition | EscalationEventDefinition):
            code, ref = _code_and_ref(event)
            raise BpmnThrow(event.kind, code, f"thrown by {node.id}", node.id, ref)
        if isinstance(event, SignalEventDefinition):
            await self._throw_signal(event, node, token)
            return False
        if isinstance(event, MessageEventDefinition):
            if node.implementation is not None:
                await self._run_implementation(node, node.implementation, token)
            return False
        if isinstance(event, CompensateEventDefinition):
            await self._compensate(self._compensation_scope(token.scope), event)
            return False
        if isinstance(event, CancelEventDefinition):
            # a transaction's cancel end: undo what completed, then leave by the cancel
            # boundary event of the transaction
            await self._compensate(
                self._compensation_scope(token.scope), CompensateEventDefinition()
            )
            raise BpmnThrow("cancel", None, f"cancelled by {node.id}", node.id)
        raise _Incident(f"{event.kind} end events are not executable yet")

    async def _throw_event(self, node: IntermediateThrowEvent, token: Token) -> bool:
        event = node.event
        if event is None:
            return True
        if isinstance(event, LinkEventDefinition):
            self._spawn(token.scope, self._link_target(node, event.link_name), via=None)
            return False
        if isinstance(event, SignalEventDefinition):
            await self._throw_signal(event, node, token)
            return True
        if isinstance(event, MessageEventDefinition):
            if node.implementation is not None:
                await self._run_implementation(node, node.implementation, token)
            return True
        if isinstance(event, EscalationEventDefinition):
            raise BpmnThrow(
                "escalation",
                event.escalation_code,
                f"thrown by {node.id}",
                node.id,
                event.escalation_ref,
            )
        if isinstance(event, CompensateEventDefinition):
            await self._compensate(self._compensation_scope(token.scope), event)
            return True
        raise _Incident(f"{event.kind} throw events are not executable yet")

    def _link_target(self, node: Node, name: str) -> str:
        assert self._definition is not None
        for other in self._definition.nodes.values():
            if (
                isinstance(other, IntermediateCatchEvent)
                and isinstance(other.event, LinkEventDefinition)
                and other.event.link_name == name
                and other.scope == node.scope
            ):
                return other.id
        raise _Incident(f"no link catch event named {name!r}")

    def _terminate(self, token: Token) -> None:
        """Terminate end event: every other token of the scope is cancelled."""
        scope = token.scope
        scope.terminated = True
        for other in list(scope.tokens.values()):
            if other is not token and other.task is not None:
                other.task.cancel()

    async def _catch(
        self,
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
            await self._timer(node, event, occurrence, holder)
            return
        if isinstance(event, MessageEventDefinition | SignalEventDefinition):
            await self._wait_subscription(node, event, owner, holder, occurrence)
            return
        if isinstance(event, LinkEventDefinition):
            return
        if isinstance(event, ConditionalEventDefinition):
            # re-checked whenever the instance's state changes (e.g. set_variables)
            holder.resume.pop(node.id, None)
            ready = lambda: self._condition_holds(event, node)  # noqa: E731
            with _waiting(holder, node.id, Wait("conditional", ready, occurrence=occurrence)):
                await workflow.wait_condition(ready)
            return
        kind = getattr(event, "kind", "none")
        raise _Incident(f"{kind} catch events are not executable yet")

    def _condition_holds(self, event: ConditionalEventDefinition, node: Node) -> bool:
        """Evaluated inside a wait condition: must not raise; only True counts."""
        try:
            return self._evaluate(event.condition, node.id) is True
        except _Incident:
            return False

    async def _timer(
        self, node: Node, event: TimerEventDefinition, occurrence: int, holder: Token | ScopeRun
    ) -> None:
        """A workflow timer that an operator may also fire early (``fire_timer``). After
        continue-as-new it keeps the deadline it had."""
        snap = holder.resume.pop(node.id, None)
        now = workflow.now()
        if snap is not None and snap.deadline is not None:
            delay = max(snap.deadline - now, timedelta(0))
        else:
            delay = self._timer_delay(node, event, occurrence)
        ready = lambda: self._fire_requests[node.id] > 0  # noqa: E731
        wait = Wait("timer", ready, deadline=now + delay, occurrence=occurrence)
        self._timers[node.id] += 1
        try:
            with _waiting(holder, node.id, wait):
                await workflow.wait_condition(
                    ready,
                    timeout=delay,
                    timeout_summary=f"{node.id}: {node.name or event.timer}",
                )
            self._fire_requests[node.id] -= 1
        except TimeoutError:
            pass  # the timer ran out: the normal case
        finally:
            self._timers[node.id] -= 1
            if self._timers[node.id] <= 0:
                del self._timers[node.id]

    def _timer_delay(self, node: Node, event: TimerEventDefinition, occurrence: int) -> timedelta:
        value = self._evaluate(event.value, node.id)
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
            raise _Incident(f"timer of {node.id}: {exc}") from exc
        if cycle.interval is None:
            raise _Incident(f"timer of {node.id}: cron cycles are not executable yet")
        if cycle.repetitions is not None and occurrence >= cycle.repetitions:
            raise _Exhausted
        if cycle.start is not None and occurrence == 0:
            start = cycle.start if cycle.start.tzinfo else cycle.start.replace(tzinfo=UTC)
            return max(start - now, timedelta(0))
        return cycle.interval.add_to(now) - now

    def _message_name(self, event: MessageEventDefinition, node: Node) -> str:
        """The message's name; an unnamed message is reachable only by element id."""
        if event.message_name is None:
            return ""
        return str(self._evaluate(event.message_name, node.id))

    def _signal_name(self, event: SignalEventDefinition, node: Node) -> str:
        if event.signal_name is None:
            return ""
        return str(self._evaluate(event.signal_name, node.id))

    async def _wait_subscription(
        self,
        node: Node,
        event: MessageEventDefinition | SignalEventDefinition,
        owner: str | None,
        holder: Token | ScopeRun,
        occurrence: int,
    ) -> None:
        snap = holder.resume.pop(node.id, None)
        if snap is not None and snap.subscription is not None:
            # names and keys were evaluated when the wait began, not again
            subscription = continuation.subscription_from(snap.subscription)
        elif isinstance(event, MessageEventDefinition):
            name = self._message_name(event, node)
            key = None
            if event.correlation_key is not None:
                key = str(self._evaluate(event.correlation_key, node.id))
            subscription = Subscription(
                kind="message",
                name=name,
                element_id=node.id,
                correlation_key=key,
                sequence=len(self._subscriptions),
                owner=owner,
            )
        else:
            subscription = Subscription(
                kind="signal",
                name=self._signal_name(event, node),
                element_id=node.id,
                correlation_key=None,
                sequence=len(self._subscriptions),
                owner=owner,
            )
        kind, name = subscription.kind, subscription.name
        self._subscriptions.append(subscription)
        ready = lambda: subscription.delivered is not None  # noqa: E731
        wait = Wait(kind, ready, subscription=subscription, occurrence=occurrence)
        try:
            if kind == "message":
                self._take_buffered(subscription)
            with _waiting(holder, node.id, wait):
                await workflow.wait_condition(ready)
        finally:
            subscription.cancelled = True
            self._subscriptions = [s for s in self._subscriptions if not s.cancelled]
        assert subscription.delivered is not None
        self._set_variables(subscription.delivered, node.id)
        self._record(
            "MESSAGE_CORRELATED" if kind == "message" else "SIGNAL_RECEIVED",
            node.id,
            details={"name": name},
        )

    def _matching(
        self, kind: str, name: str, key: str | None, element_id: str | None = None
    ) -> list[Subscription]:
        return [
            s
            for s in self._subscriptions
            if s.kind == kind
            and (s.element_id == element_id if element_id else s.name == name)
            and not s.cancelled
            and s.delivered is None
            and (s.correlation_key is None or key is None or s.correlation_key == key)
        ]

    def _take_buffered(self, subscription: Subscription) -> None:
        for message in self._buffered:
            by_name = message.name == subscription.name
            by_element = (
                not by_name
                and subscription.kind == "message"
                and message.element_id is not None
                and message.element_id == subscription.element_id
                and self._patched(MESSAGE_FLOW_PATCH)
            )
            if (by_name or by_element) and (
                subscription.correlation_key is None
                or message.correlation_key in (None, subscription.correlation_key)
            ):
                self._buffered.remove(message)
                subscription.delivered = dict(message.variables)
                return

    async def _throw_signal(self, event: SignalEventDefinition, node: Node, token: Token) -> None:
        """A signal thrown inside the instance. Catchers that do not enclose the thrower
        (other branches, intermediate catch events) all receive it. Catchers enclosing
        it — event sub-processes of its scopes and boundary events of the sub-processes
        it runs in — receive it innermost first, and the first interrupting one ends the
        throw: it cancels the thrower with its scope, so the signal goes no further
        (what the BPMN token simulation does). Other instances are reached through the
        API's broadcast."""
        if not self._patched(SIGNAL_SCOPE_PATCH):
            self._broadcast_signal(event, node.id)
            return
        name = self._signal_name(event, node)
        if name and self._patched(SIGNAL_BROADCAST_PATCH):
            # other instances first: this token may be cancelled by its own catcher below
            await self._exclusive_local(
                c.BROADCAST_SIGNAL,
                c.BroadcastSignal(
                    name=name,
                    sender_instance_id=workflow.info().workflow_id,
                    throw_id=self._new_id("signal-"),
                ),
                result_type=c.SignalBroadcast,
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=INFRA_RETRY,
                summary=f"signal {name!r} to other instances",
            )
        depth = {run.element_id: i for i, run in enumerate(token.scope.chain()) if run.element_id}
        owners = {run.id: i for i, run in enumerate(token.scope.chain())}
        enclosing: list[tuple[float, bool, Subscription]] = []
        for subscription in self._matching("signal", name, None):
            catcher = self._node(subscription.element_id)
            if isinstance(catcher, BoundaryEvent) and catcher.attached_to in depth:
                # the boundary sits outside the run of its host: just beyond its ESPs
                level = depth[catcher.attached_to] + 0.5
                enclosing.append((level, catcher.cancel_activity, subscription))
            elif subscription.owner is not None and subscription.owner in owners:
                interrupting = isinstance(catcher, StartEvent) and catcher.interrupting
                enclosing.append((owners[subscription.owner], interrupting, subscription))
            else:
                subscription.delivered = {}
        # at one level, an interrupting catcher absorbs the signal before the others
        for _, interrupting, subscription in sorted(enclosing, key=lambda e: (e[0], not e[1])):
            subscription.delivered = {}
            if interrupting:
                # the catcher cancels this token's scope, and this token with it
                await workflow.wait_condition(lambda: False)

    def _broadcast_signal(self, event: SignalEventDefinition, element_id: str) -> None:
        """A signal thrown inside the instance reaches its own waiting catchers; other
        instances are reached through the API's broadcast."""
        if event.signal_name is None:
            return
        name = str(self._evaluate(event.signal_name, element_id))
        for subscription in self._matching("signal", name, None):
            subscription.delivered = {}

    # ------------------------------------------------------ boundary events

    async def _with_boundaries(self, node: Node, token: Token, boundary_ids: list[str]) -> str:
        """Run the activity while its boundary events wait; an interrupting one that fires
        cancels the activity and the token leaves through the boundary event."""
        watchers: dict[asyncio.Task[Any], BoundaryEvent] = {}
        boundaries = [self._node(b) for b in boundary_ids]

        fired_count: Counter[str] = Counter()
        # after continue-as-new, only the boundary waits that were still armed come back
        resuming = dict(token.resume) if token.resume else None
        if resuming is not None:
            for key, snap in resuming.items():
                fired_count[key] = snap.occurrence

        def arm(boundary: BoundaryEvent) -> None:
            if boundary.event.kind in ("error", "escalation", "compensate", "cancel"):
                return  # caught when thrown, not awaited
            wait = self._catch(boundary, boundary.event, fired_count[boundary.id], holder=token)
            watchers[asyncio.create_task(wait)] = boundary

        for boundary in boundaries:
            assert isinstance(boundary, BoundaryEvent)
            if resuming is None or boundary.id in resuming:
                arm(boundary)
        # created after the watchers, so they subscribe before the body can throw
        body = asyncio.create_task(self._body(node, token))
        try:
            while True:
                done, _ = await workflow.wait(
                    [body, *watchers], return_when=asyncio.FIRST_COMPLETED
                )
                if body in done:
                    return "continue" if body.result() else "end"
                for fired in done:
                    boundary = watchers.pop(fired)
                    try:
                        fired.result()
                    except _Exhausted:
                        continue  # a repeating timer that has no occurrence left
                    fired_count[boundary.id] += 1
                    if boundary.cancel_activity:
                        body.cancel()
                        await workflow.wait([body])
                        self._leave_boundary(token, boundary)
                        return "interrupted"
                    self._leave_boundary(token, boundary)
                    arm(boundary)  # non-interrupting: may fire again
        except BpmnThrow as thrown:
            catcher = self._boundary_for(boundaries, thrown)
            if catcher is None:
                raise
            self._leave_boundary(token, catcher, thrown)
            return "interrupted"
        finally:
            for watcher in watchers:
                watcher.cancel()
            if not body.done():
                body.cancel()

    def _boundary_for(self, boundaries: list[Node], thrown: BpmnThrow) -> BoundaryEvent | None:
        fallback = None
        for boundary in boundaries:
            assert isinstance(boundary, BoundaryEvent)
            event = boundary.event
            if thrown.kind == "cancel" and isinstance(event, CancelEventDefinition):
                return boundary
            if thrown.kind == event.kind and isinstance(
                event, ErrorEventDefinition | EscalationEventDefinition
            ):
                match = self._catches(event, thrown)
                if match == 2:
                    return boundary
                if match == 1 and fallback is None:
                    fallback = boundary
        return fallback

    def _catches(
        self, event: ErrorEventDefinition | EscalationEventDefinition, thrown: BpmnThrow
    ) -> int:
        """2: the catcher names what was thrown; 1: it catches it as a catch-all; 0: not
        this. A catcher without code catches every code (Camunda 7, Zeebe). Among those,
        the one that references the same code-less error/escalation element as the throw
        (or, for a throw that references none, the one that references none) is the
        exact match, as in the BPMN token simulation. Before that rule every code-less
        catcher was an exact match for a code-less throw, hence the patch marker,
        consulted only where the ranking differs."""
        code, ref = _code_and_ref(event)
        if code is not None:
            return 2 if code == thrown.code else 0
        if thrown.code is not None:
            return 1
        new = 2 if ref == thrown.ref else 1
        if new != 2 and not self._patched(THROW_REF_PATCH):
            return 2
        return new

    def _leave_boundary(
        self, token: Token, boundary: BoundaryEvent, thrown: BpmnThrow | None = None
    ) -> None:
        if thrown is not None and isinstance(boundary.event, ErrorEventDefinition):
            values: dict[str, Any] = {}
            if boundary.event.code_variable:
                values[boundary.event.code_variable] = thrown.code
            if boundary.event.message_variable:
                values[boundary.event.message_variable] = thrown.message
            self._set_variables(values, boundary.id)
        self._spawn(token.scope, boundary.id, via=None)

    # ------------------------------------------------------ sub-processes

    async def _sub_process(self, node: SubProcess, token: Token) -> None:
        starts = [
            s
            for s in node.start_nodes
            if isinstance((n := self._node(s)), StartEvent) and n.event is None
        ]
        if not starts and not (token.resume or implicit_starts(self._nodes(), node.id)):
            return
        await self._run_scope(node, token, starts)

    def _nodes(self) -> dict[str, Node]:
        assert self._definition is not None
        return self._definition.nodes

    async def _run_scope(self, node: SubProcess, token: Token, starts: list[str]) -> None:
        """Run a child scope from ``start`` until it finishes or throws (after
        continue-as-new: go on waiting for the run restored from the snapshot)."""
        snap = token.resume.pop(node.id, None)
        if snap is not None and token.child_run is not None:
            scope = token.child_run
        else:
            scope = self._new_scope(node.id, token.scope)
            token.child_run = scope
            for start in self._scope_starts(starts, implicit_starts(self._nodes(), node.id)):
                self._spawn(scope, start, via=None)
        ready = lambda: scope.finished or scope.thrown is not None  # noqa: E731
        try:
            with _waiting(token, node.id, Wait("scope", ready, scope=scope)):
                await workflow.wait_condition(ready)
        except asyncio.CancelledError:
            for inner in list(scope.tokens.values()):
                if inner.task is not None:
                    inner.task.cancel()
            raise
        finally:
            self._finish_scope(scope, force=True)
        if scope.thrown is not None:
            for inner in list(scope.tokens.values()):
                if inner.task is not None:
                    inner.task.cancel()
            raise scope.thrown

    def _rethrower(self, node: Node) -> str | None:
        """An event sub-process whose own run threw: its scope has already handled one
        event, so the throw goes past that scope's event sub-processes to the boundary
        events of its host (BPMN "rethrow"). Before this rule the sub-process caught its
        own throw again until the burst limit parked it, hence the patch marker."""
        if (
            isinstance(node, SubProcess)
            and node.variant == "event"
            and self._patched(ESP_RETHROW_PATCH)
        ):
            return node.id
        return None

    def _find_catcher(
        self, scope: ScopeRun, thrown: BpmnThrow, rethrower: str | None = None
    ) -> _Catcher | None:
        """The nearest catcher up the scope chain: an event sub-process of a scope (exact
        code before catch-all), else a boundary event of the sub-process hosting it."""
        running = {run.element_id for run in scope.chain()}
        if rethrower is not None:
            running.add(rethrower)
        for run in scope.chain():
            best: tuple[str, StartEvent] | None = None
            for esp_id, start in self._event_starts(run):
                if esp_id in running or start.event is None or start.event.kind != thrown.kind:
                    continue
                assert isinstance(start.event, ErrorEventDefinition | EscalationEventDefinition)
                match = self._catches(start.event, thrown)
                if match == 2:
                    best = (esp_id, start)
                    break
                if match == 1 and best is None:
                    best = (esp_id, start)
            if best is not None:
                interrupting = thrown.kind == "error" or best[1].interrupting
                return _Catcher(run, interrupting, esp=best[0], start=best[1])
            if run.element_id is None:
                return None
            host = self._node(run.element_id)
            boundaries = [self._node(b) for b in getattr(host, "boundary_events", [])]
            boundary = self._boundary_for(boundaries, thrown)
            if boundary is not None:
                interrupting = thrown.kind == "error" or boundary.cancel_activity
                return _Catcher(run, interrupting, boundary=boundary)
        return None

    def _fire_catcher(self, catcher: _Catcher, thrown: BpmnThrow, current: Token) -> None:
        if catcher.esp is not None and catcher.start is not None:
            event = catcher.start.event
            if isinstance(event, ErrorEventDefinition):
                values: dict[str, Any] = {}
                if event.code_variable:
                    values[event.code_variable] = thrown.code
                if event.message_variable:
                    values[event.message_variable] = thrown.message
                self._set_variables(values, catcher.esp)
            self._trigger_esp(catcher.run, catcher.esp, catcher.start, current=current)
        elif catcher.boundary is not None and catcher.run.parent is not None:
            self._spawn(catcher.run.parent, catcher.boundary.id, via=None)

    # -------------------------------------------------------- compensation

    def _remember_compensable(self, node: Node, token: Token) -> None:
        """A completed activity with a compensation handler, or a sub-process whose own
        run left something to compensate, stays compensable in its scope."""
        if getattr(node, "is_for_compensation", False):
            return
        child = token.child_run
        if getattr(node, "compensation_handler", None) or (
            child is not None and (child.compensable or self._compensation_esp(node) is not None)
        ):
            token.scope.compensable.append((node.id, child))

    def _compensation_esp(self, node: Node) -> tuple[str, StartEvent] | None:
        if not isinstance(node, SubProcess):
            return None
        for esp_id in node.event_subprocesses:
            esp = self._node(esp_id)
            assert isinstance(esp, SubProcess)
            for start_id in esp.start_nodes:
                start = self._node(start_id)
                if isinstance(start, StartEvent) and isinstance(
                    start.event, CompensateEventDefinition
                ):
                    return esp_id, start
        return None

    def _compensation_scope(self, scope: ScopeRun) -> ScopeRun:
        """Where a compensation throw looks for completed activities: its own scope, but
        for a throw inside an event sub-process the scope hosting that sub-process (the
        sub-process itself has nothing completed to undo; BPMN and Camunda compensate
        the enclosing scope). Before this rule such throws found nothing, hence the
        patch marker."""
        if scope.element_id is None or scope.parent is None:
            return scope
        host = self._node(scope.element_id)
        if (
            isinstance(host, SubProcess)
            and host.variant == "event"
            and self._patched(ESP_COMPENSATION_PATCH)
        ):
            return scope.parent
        return scope

    async def _compensate(self, scope: ScopeRun, event: CompensateEventDefinition) -> None:
        """Run the handlers of completed activities of ``scope`` (or of the one named),
        most recent first; each activity is compensated at most once."""
        chosen = [
            entry
            for entry in reversed(scope.compensable)
            if event.activity_ref is None or entry[0] == event.activity_ref
        ]
        for entry in chosen:
            scope.compensable.remove(entry)
        runs = [asyncio.create_task(self._detached_run(scope, *entry)) for entry in chosen]
        if event.wait_for_completion:
            for run in runs:  # one after another, as the handlers were registered
                await run

    async def _detached_run(self, scope: ScopeRun, element_id: str, child: ScopeRun | None) -> None:
        """A compensation run is a coroutine of its own: no continue-as-new while any
        is under way (the snapshot could not carry it)."""
        self._detached += 1
        try:
            await self._compensate_one(scope, element_id, child)
        finally:
            self._detached -= 1

    async def _compensate_one(
        self,
        scope: ScopeRun,
        element_id: str,
        child: ScopeRun | None,
        *,
        inner_only: bool = False,
    ) -> None:
        node = self._node(element_id)
        handler = getattr(node, "compensation_handler", None)
        esp = self._compensation_esp(node) if child is not None else None
        if handler and esp is not None and not inner_only and self._patched(COMPENSATE_BOTH_PATCH):
            # a sub-process with a compensation event sub-process and a compensation
            # boundary event: its run undoes itself first, then the boundary's handler
            await self._compensate_one(scope, element_id, child, inner_only=True)
        if handler and not inner_only:
            token = self._spawn(scope, handler, via=None, awaited=True)
            if token.task is not None:
                await token.task
            return
        if child is None:
            return
        if esp is not None:
            # the sub-process's run compensates itself (back among the live scopes)
            child.finished = False
            if child not in self._scopes:
                self._scopes.append(child)
            token = Token(
                id=self._new_id("t"),
                element_id=esp[0],
                scope=child,
                start_event=esp[1].id,
                awaited=True,
            )
            child.tokens[token.id] = token
            token.task = asyncio.create_task(self._run_token(token))
            await token.task
            child.finished = True
            return
        await self._compensate(child, CompensateEventDefinition())

    # ---------------------------------------------------------- incidents

    async def _park(
        self, node: Node, token: Token, message: str, attempts: int | None = None
    ) -> None:
        """Keep the token at ``node`` until an operator retries the incident."""
        incident = c.IncidentView(
            id=str(workflow.uuid4()),
            element_id=node.id,
            message=message,
            attempts=attempts or token.attempts or 1,
            created=workflow.now(),
        )
        self._incidents[incident.id] = incident
        self._dirty_incidents.add(incident.id)
        self._record(
            "INCIDENT_CREATED", node.id, details={"incident_id": incident.id, "message": message}
        )
        self._refresh_state()
        await self._await_retry(node, token, incident)

    async def _await_retry(self, node: Node, token: Token, incident: c.IncidentView) -> None:
        ready = lambda: incident.id in self._retries  # noqa: E731
        with _waiting(token, "@incident", Wait("incident", ready, incident_id=incident.id)):
            await workflow.wait_condition(ready)
        retry = self._retries.pop(incident.id)
        incident.resolved = True
        self._dirty_incidents.add(incident.id)
        token.skip = isinstance(retry, c.ResolveIncident)
        token.attempts = retry.attempts if isinstance(retry, c.RetryIncident) else None
        self._set_variables(retry.variables, node.id)
        details: dict[str, Any] = {"incident_id": incident.id}
        if token.skip:
            details["skipped"] = True
        self._record("INCIDENT_RESOLVED", node.id, details=details)
        self._refresh_state()

    @workflow.update(
        name=c.RETRY_INCIDENT,
        description="Retry an open incident's element, optionally with new variables/attempts.",
    )
    def retry_incident(self, cmd: c.RetryIncident) -> None:
        self._retries[cmd.incident_id] = cmd

    @workflow.update(
        name=c.RESOLVE_INCIDENT,
        description="Resolve an open incident without running its element again: the "
        "token moves on along the outgoing flows, with the given variables.",
    )
    def resolve_incident(self, cmd: c.ResolveIncident) -> None:
        self._retries[cmd.incident_id] = cmd

    @resolve_incident.validator
    def _validate_resolve_incident(self, cmd: c.ResolveIncident) -> None:
        self._check_variables(cmd.variables)
        self._validate_retry(c.RetryIncident(incident_id=cmd.incident_id))

    @retry_incident.validator
    def _validate_retry(self, cmd: c.RetryIncident) -> None:
        self._check_variables(cmd.variables)
        incident = self._incidents.get(cmd.incident_id)
        if incident is None:
            raise ApplicationError(f"no incident {cmd.incident_id}", type="IncidentNotFound")
        if incident.resolved or cmd.incident_id in self._retries:
            raise ApplicationError(
                f"incident {cmd.incident_id} is resolved", type="IncidentResolved"
            )

    # ---------------------------------------------------------- user tasks

    async def _user_task(self, node: UserTask, token: Token) -> None:
        snap = token.resume.pop(node.id, None)
        if snap is not None and snap.task_id in self._tasks:
            await self._await_task(token, self._tasks[snap.task_id])
            return
        assignee = await self._evaluate_or_call(node.assignee, node) if node.assignee else None
        priority = self._evaluate(node.priority, node.id) if node.priority else 50
        task = c.UserTaskView(
            id=str(workflow.uuid4()),
            element_id=node.id,
            name=node.name,
            state=c.TaskState.ASSIGNED if assignee else c.TaskState.CREATED,
            assignee=str(assignee) if assignee else None,
            candidate_users=self._string_list(node.candidate_users, node.id),
            candidate_groups=self._string_list(node.candidate_groups, node.id),
            form_key=node.form_key,
            priority=int(priority),
            due=self._due_date(node),
            created=workflow.now(),
        )
        self._tasks[task.id] = task
        self._touch_task(task.id)
        self._record(
            "TASK_CREATED", node.id, details={"task_id": task.id, "assignee": task.assignee}
        )
        await self._await_task(token, task)

    async def _await_task(self, token: Token, task: c.UserTaskView) -> None:
        # a task cancelled by hand (cancel_task) is CANCELED with an end time: its token
        # goes on; one whose token was cancelled (a boundary event) has no end time yet
        ready = lambda: task.state is c.TaskState.COMPLETED or task.ended is not None  # noqa: E731
        try:
            with _waiting(token, task.element_id, Wait("task", ready, task_id=task.id)):
                await workflow.wait_condition(ready)
        except asyncio.CancelledError:
            task.state = c.TaskState.CANCELED
            task.ended = workflow.now()
            self._touch_task(task.id)
            raise

    def _due_date(self, node: UserTask) -> datetime | None:
        """``dueDate``: a date-time, or an ISO duration counted from now (Zeebe and
        Camunda accept both forms); anything else is an incident."""
        if node.due_date is None:
            return None
        value = self._evaluate(node.due_date, node.id)
        if value is None or isinstance(value, datetime):
            return value.replace(tzinfo=value.tzinfo or UTC) if value else None
        text = str(value).strip()
        try:
            if text[:1] in ("P", "-"):
                now = workflow.now()
                return timers.parse_duration(text).add_to(now)
            moment = timers.parse_date(text)
        except timers.TimerValueError as exc:
            raise _Incident(f"due date of {node.id}: {exc}") from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def _string_list(self, exprs: list[Expression], element_id: str) -> list[str]:
        values: list[str] = []
        for expr in exprs:
            value = self._evaluate(expr, element_id)
            if isinstance(value, list):
                values += [str(v) for v in value]
            elif isinstance(value, str):
                values += [v.strip() for v in value.split(",") if v.strip()]
            elif value is not None:
                values.append(str(value))
        return values

    def _open_task(self, task_id: str) -> c.UserTaskView:
        """An open task, suspended or not (what suspend, resume and cancel act on)."""
        task = self._tasks.get(task_id)
        if task is None:
            raise ApplicationError(f"no user task {task_id} in this instance", type="TaskNotFound")
        if task.state not in _OPEN_TASK_STATES:
            raise ApplicationError(
                f"user task {task_id} is {task.state.value}", type="TaskNotActive"
            )
        return task

    def _active_task(self, task_id: str) -> c.UserTaskView:
        """An open task that is not suspended: one people may work on."""
        task = self._open_task(task_id)
        if task.state is c.TaskState.SUSPENDED:
            raise ApplicationError(f"user task {task_id} is SUSPENDED", type="TaskNotActive")
        return task

    def _check_may_manage(self, task: c.UserTaskView, cmd: c.TaskCommand, what: str) -> None:
        if not (cmd.user_id is None or cmd.admin or task.assignee == cmd.user_id):
            raise ApplicationError(
                f"only an admin or the assignee may {what} user task {task.id}",
                type="TaskNotPermitted",
            )

    @workflow.update(
        name=c.SUSPEND_TASK,
        description="Suspend an open user task: nobody may claim or complete it until resumed.",
    )
    async def suspend_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        task.state = c.TaskState.SUSPENDED
        self._task_state_changed(task, cmd, "TASK_SUSPENDED")
        return await self._projected(task.model_copy())

    @suspend_task.validator
    def _validate_suspend(self, cmd: c.TaskCommand) -> None:
        self._check_may_manage(self._active_task(cmd.task_id), cmd, "suspend")

    @workflow.update(name=c.RESUME_TASK, description="Resume a suspended user task.")
    async def resume_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._open_task(cmd.task_id)
        task.state = c.TaskState.ASSIGNED if task.assignee else c.TaskState.CREATED
        self._task_state_changed(task, cmd, "TASK_RESUMED")
        return await self._projected(task.model_copy())

    @resume_task.validator
    def _validate_resume(self, cmd: c.TaskCommand) -> None:
        task = self._open_task(cmd.task_id)
        if task.state is not c.TaskState.SUSPENDED:
            raise ApplicationError(f"user task {task.id} is not suspended", type="TaskNotActive")
        self._check_may_manage(task, cmd, "resume")

    @workflow.update(
        name=c.CANCEL_TASK,
        description="Cancel an open user task: it ends as CANCELED and the token leaves "
        "the element without output variables, as when an operator resolves an incident.",
    )
    async def cancel_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._open_task(cmd.task_id)
        task.state = c.TaskState.CANCELED
        task.ended = workflow.now()
        self._task_state_changed(task, cmd, "TASK_CANCELLED")
        return await self._projected(task.model_copy())

    @cancel_task.validator
    def _validate_cancel_task(self, cmd: c.TaskCommand) -> None:
        self._check_may_manage(self._open_task(cmd.task_id), cmd, "cancel")

    def _task_state_changed(self, task: c.UserTaskView, cmd: c.TaskCommand, kind: str) -> None:
        self._touch_task(task.id)
        details: dict[str, Any] = {"task_id": task.id}
        if cmd.reason:
            details["reason"] = cmd.reason
        self._record(kind, task.element_id, user_id=cmd.user_id, details=details)

    def _may_work_on(self, task: c.UserTaskView, actor: c.Actor) -> bool:
        """Camunda's rule: the assignee works on an assigned task; an unassigned one is
        open to its candidates (or to anyone when it names none); admins may do all."""
        if actor.user_id is None or actor.admin:
            return True
        if task.assignee:
            return task.assignee == actor.user_id
        if not task.candidate_users and not task.candidate_groups:
            return True
        return actor.user_id in task.candidate_users or bool(
            set(actor.groups) & set(task.candidate_groups)
        )

    def _check_permitted(self, task: c.UserTaskView, actor: c.Actor) -> None:
        if not self._may_work_on(task, actor):
            raise ApplicationError(
                f"{actor.user_id} may not work on user task {task.id}", type="TaskNotPermitted"
            )

    def _claimable(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        if task.assignee and task.assignee != cmd.user_id:
            raise ApplicationError(
                f"user task {task.id} is claimed by {task.assignee}", type="TaskAlreadyClaimed"
            )
        self._check_permitted(task.model_copy(update={"assignee": None}), cmd)
        return task

    @workflow.update(name=c.CLAIM_TASK, description="Claim an open user task for the caller.")
    async def claim_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._claimable(cmd)
        self._set_assignee(task, cmd.user_id, cmd, "TASK_CLAIMED")
        return await self._projected(task.model_copy())

    @claim_task.validator
    def _validate_claim(self, cmd: c.TaskCommand) -> None:
        if cmd.user_id is None:
            raise ApplicationError("claiming needs a user", type="TaskNotPermitted")
        self._claimable(cmd)

    @workflow.update(name=c.UNCLAIM_TASK, description="Give a claimed user task back.")
    async def unclaim_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        self._set_assignee(task, None, cmd, "TASK_UNCLAIMED")
        return await self._projected(task.model_copy())

    @unclaim_task.validator
    def _validate_unclaim(self, cmd: c.TaskCommand) -> None:
        self._check_may_manage(self._active_task(cmd.task_id), cmd, "unclaim")

    @workflow.update(name=c.ASSIGN_TASK, description="Set (or clear) a user task's assignee.")
    async def assign_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        self._set_assignee(task, cmd.assignee, cmd, "TASK_ASSIGNED")
        return await self._projected(task.model_copy())

    @assign_task.validator
    def _validate_assign(self, cmd: c.TaskCommand) -> None:
        self._check_may_manage(self._active_task(cmd.task_id), cmd, "reassign")

    @workflow.update(
        name=c.ADD_TASK_CANDIDATES,
        description="Offer an open user task to more candidate users (kept in order, no "
        "duplicates). Only a trusted caller or one who may act on any task.",
    )
    async def add_task_candidates(self, cmd: c.TaskCandidates) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        added = [u for u in dict.fromkeys(cmd.users) if u not in task.candidate_users]
        task.candidate_users = [*task.candidate_users, *added]
        self._touch_task(task.id)
        self._record(
            "TASK_CANDIDATES_ADDED",
            task.element_id,
            user_id=cmd.user_id,
            details={"task_id": task.id, "users": added},
        )
        return await self._projected(task.model_copy())

    @add_task_candidates.validator
    def _validate_add_candidates(self, cmd: c.TaskCandidates) -> None:
        self._active_task(cmd.task_id)
        if not cmd.users:
            raise ApplicationError("name at least one user", type="TaskNotPermitted")
        if not (cmd.user_id is None or cmd.admin):
            raise ApplicationError(
                "only a caller who may act on any task offers it to other users",
                type="TaskNotPermitted",
            )

    @workflow.update(
        name=c.DELEGATE_TASK,
        description="Hand an assigned user task to a delegate; it returns to its owner "
        "when the delegate resolves it.",
    )
    async def delegate_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        # Camunda 7: the owner is who held the task first; a re-delegation keeps it
        task.owner = task.owner or task.assignee or cmd.user_id
        task.delegation_state = c.DelegationState.PENDING
        self._set_assignee(task, cmd.assignee, cmd, "TASK_DELEGATED")
        return await self._projected(task.model_copy())

    @delegate_task.validator
    def _validate_delegate(self, cmd: c.TaskCommand) -> None:
        task = self._active_task(cmd.task_id)
        if not cmd.assignee:
            raise ApplicationError("delegating needs the delegate's id", type="TaskNotPermitted")
        self._check_may_manage(task, cmd, "delegate")

    @workflow.update(
        name=c.RESOLVE_TASK,
        description="The delegate hands a delegated user task back to its owner, "
        "optionally with variables.",
    )
    async def resolve_task(self, cmd: c.TaskCommand) -> c.UserTaskView:
        task = self._active_task(cmd.task_id)
        task.delegation_state = c.DelegationState.RESOLVED
        self._set_assignee(task, task.owner, cmd, "TASK_RESOLVED")
        self._set_variables(cmd.variables, task.element_id, user_id=cmd.user_id)
        return await self._projected(task.model_copy())

    @resolve_task.validator
    def _validate_resolve(self, cmd: c.TaskCommand) -> None:
        self._check_variables(cmd.variables)
        task = self._active_task(cmd.task_id)
        if task.delegation_state is not c.DelegationState.PENDING:
            raise ApplicationError(f"user task {task.id} is not delegated", type="TaskNotDelegated")
        if not (cmd.user_id is None or cmd.admin or task.assignee == cmd.user_id):
            raise ApplicationError(
                f"only the delegate may resolve user task {task.id}", type="TaskNotPermitted"
            )

    def _set_assignee(
        self, task: c.UserTaskView, assignee: str | None, actor: c.Actor, kind: str
    ) -> None:
        task.assignee = assignee
        task.state = c.TaskState.ASSIGNED if assignee else c.TaskState.CREATED
        self._touch_task(task.id)
        self._record(
            kind,
            task.element_id,
            user_id=actor.user_id,
            details={"task_id": task.id, "assignee": assignee},
        )

    def _complete(self, cmd: c.CompleteUserTask) -> None:
        task = self._active_task(cmd.task_id)
        self._check_not_delegated(task)
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
    async def complete_user_task(self, cmd: c.CompleteUserTask) -> c.UserTaskCompleted:
        self._complete(cmd)
        done = c.UserTaskCompleted(task_id=cmd.task_id, variables=dict(self._variables))
        return await self._projected(done)

    @complete_user_task.validator
    def _validate_complete(self, cmd: c.CompleteUserTask) -> None:
        self._check_variables(cmd.variables)
        task = self._active_task(cmd.task_id)
        self._check_not_delegated(task)
        self._check_permitted(task, cmd)

    def _check_not_delegated(self, task: c.UserTaskView) -> None:
        """Camunda's rule: a delegated task goes back to its owner, who completes it."""
        if task.delegation_state is c.DelegationState.PENDING:
            raise ApplicationError(
                f"user task {task.id} is delegated to {task.assignee}; it must be resolved "
                "before it can be completed",
                type="TaskDelegated",
            )

    @workflow.signal(
        name=c.COMPLETE_USER_TASK,
        description="Fire-and-forget completion of a user task; ignored if the task is not active.",
    )
    def complete_user_task_signal(self, cmd: c.CompleteUserTask) -> None:
        try:
            self._complete(cmd)
        except ApplicationError as err:
            workflow.logger.warning("ignored complete_user_task signal: %s", err)

    # ------------------------------------------------- messages and signals

    def _deliver(self, message: c.DeliverMessage) -> Subscription | None:
        if message.message_id:
            if message.message_id in self._seen_message_ids:
                return None
            self._seen_message_ids[message.message_id] = None
        matches = [
            s
            for s in self._subscriptions
            if s.kind == "flow"
            and s.name == message.name
            and s.element_id == message.element_id
            and s.delivered is None
            and not s.cancelled
        ] or self._matching("message", message.name, message.correlation_key, message.element_id)
        if not matches:
            return None
        target = min(matches, key=lambda s: s.sequence)
        target.delivered = dict(message.variables)
        return target

    @workflow.signal(
        name=c.DELIVER_MESSAGE,
        description="Deliver a BPMN message; buffered until an element waits for it.",
    )
    def deliver_message(self, message: c.DeliverMessage) -> None:
        duplicate = message.message_id is not None and message.message_id in self._seen_message_ids
        if self._deliver(message) is None and not duplicate:
            self._buffered.append(message)
            del self._buffered[:-MAX_MESSAGE_BUFFER]

    @workflow.update(
        name=c.CORRELATE_MESSAGE,
        description="Correlate a BPMN message with a waiting element; rejected when none waits.",
    )
    def correlate_message(self, message: c.DeliverMessage) -> c.MessageCorrelated:
        target = self._deliver(message)
        if target is None:  # the validator saw a match; a duplicate id is acknowledged
            return c.MessageCorrelated(element_id="")
        return c.MessageCorrelated(element_id=target.element_id)

    @correlate_message.validator
    def _validate_correlate(self, message: c.DeliverMessage) -> None:
        self._check_variables(message.variables)
        if message.message_id and message.message_id in self._seen_message_ids:
            return
        if not self._matching("message", message.name, message.correlation_key, message.element_id):
            raise ApplicationError(
                f"no element of this instance waits for message {message.name!r}",
                type="MessageNotCorrelated",
            )

    @workflow.signal(
        name=c.DELIVER_SIGNAL, description="A broadcast BPMN signal: every waiting catcher fires."
    )
    def deliver_signal(self, signal: c.DeliverSignal) -> None:
        for subscription in self._matching("signal", signal.name, None, signal.element_id):
            subscription.delivered = dict(signal.variables)

    @workflow.update(name=c.FIRE_TIMER, description="Fire an element's running timer now.")
    def fire_timer(self, cmd: c.FireTimer) -> None:
        self._fire_requests[cmd.element_id] += 1

    @fire_timer.validator
    def _validate_fire_timer(self, cmd: c.FireTimer) -> None:
        if self._timers[cmd.element_id] <= self._fire_requests[cmd.element_id]:
            raise ApplicationError(
                f"no timer of {cmd.element_id!r} is running", type="TimerNotFound"
            )

    @workflow.update(
        name=c.CANCEL_INSTANCE,
        description="Record who cancels the instance and why; cancel the workflow next.",
    )
    def cancel_instance(self, cmd: c.CancelInstance) -> None:
        self._cancel_request = cmd

    @cancel_instance.validator
    def _validate_cancel_instance(self, cmd: c.CancelInstance) -> None:
        self._check_running()
        _ = cmd

    @workflow.update(
        name=c.AWAIT_WAIT_STATE,
        description="Answer with the instance's state once every token waits (for a user "
        "task, a message, a timer, an incident …) or the instance has ended, and the read "
        "models show it.",
    )
    async def await_wait_state(self) -> c.ProcessStateView:
        await workflow.wait_condition(
            lambda: self._settled() and not self._dirty() and not self._flushing
        )
        return self.state()

    def _settled(self) -> bool:
        if self._state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
            return True
        if self._root is None or self._local_busy:
            return False
        for scope in self._live_scopes():
            for token in scope.tokens.values():
                if token.busy:
                    continue  # a call activity or multi-instance body: judged by its parts
                waits = token.waits
                if not (token.element_id in waits or "@incident" in waits or "@enter" in waits):
                    return False
                if any(wait.ready() for wait in waits.values()):
                    return False
        return True

    def _check_running(self) -> None:
        if self._state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
            raise ApplicationError("the instance has ended", type="InstanceEnded")

    @workflow.update(name=c.SET_VARIABLES, description="Set process variables.")
    def set_variables(self, cmd: c.SetVariables) -> None:
        self._set_variables(cmd.variables, None, user_id=cmd.user_id)

    @set_variables.validator
    def _validate_set_variables(self, cmd: c.SetVariables) -> None:
        self._check_running()
        self._check_variables(cmd.variables)

    def _check_variables(self, values: dict[str, Any]) -> None:
        """Refuse variables that would not fit in the history (see
        ``MAX_COMMAND_VARIABLES_BYTES``); the instance is unchanged."""
        if not values:
            return
        size = _encoded_size(values)
        if size > MAX_COMMAND_VARIABLES_BYTES:
            raise ApplicationError(
                f"the variables are {size} bytes encoded; one command may bring at most "
                f"{MAX_COMMAND_VARIABLES_BYTES}",
                type="VariablesTooLarge",
            )
        total = _encoded_size({**self._variables, **values})
        if total > MAX_INSTANCE_VARIABLES_BYTES:
            raise ApplicationError(
                f"the instance's variables would be {total} bytes encoded; at most "
                f"{MAX_INSTANCE_VARIABLES_BYTES}",
                type="VariablesTooLarge",
            )

    # ---------------------------------------------------------- variables

    def _set_variables(
        self, values: dict[str, Any], element_id: str | None, user_id: str | None = None
    ) -> None:
        if not values:
            return
        self._variables.update(values)
        self._record(
            "VARIABLES_UPDATED", element_id, user_id=user_id, details={"names": sorted(values)}
        )

    # ------------------------------------------------------ continue-as-new

    async def _hold(self, token: Token) -> None:
        """While the run drains for continue-as-new, a token that just entered its element
        waits here; the next run starts its behaviour."""
        ready = lambda: not self._draining  # noqa: E731
        with _waiting(token, "@enter", Wait("enter", ready)):
            await workflow.wait_condition(ready)

    def _continue_due(self) -> bool:
        info = workflow.info()
        length = info.get_current_history_length()
        if length < self._drain_after:
            return False
        limit = self._input.continue_as_new_after
        if not (info.is_continue_as_new_suggested() or (limit is not None and length >= limit)):
            return False
        # a multi-instance body or a call activity cannot be carried over: let it finish
        return not any(t.busy for t in self._live_tokens())

    async def _drain_when_due(self) -> None:
        """When the history grows long (the server suggests it, or the input's limit is
        reached), hold new tokens at entry until every token waits somewhere a snapshot
        can describe; ``run`` then continues as new. An instance that does not become
        quiet within ``DRAIN_PATIENCE`` goes on and tries again later."""
        while True:
            await workflow.wait_condition(self._continue_due)
            if not self._patched(CONTINUE_AS_NEW_PATCH):
                return
            self._draining = True
            await workflow.sleep(DRAIN_PATIENCE, summary="drain for continue-as-new")
            self._draining = False
            self._drain_after = workflow.info().get_current_history_length() + DRAIN_BACKOFF_EVENTS

    def _may_continue(self) -> bool:
        return (
            self._draining
            and self._detached == 0
            and not self._dirty()
            and not self._flushing
            and workflow.all_handlers_finished()
            and continuation.quiet(self._live_scopes())
        )

    def _next_run(self) -> c.ProcessInput:
        """The input of the next run: the same instance, with its open state as data."""
        assert self._root is not None
        history = self._history[-CARRIED_HISTORY:]
        carried = c.Continuation(
            runs=self._runs,
            root=self._root.id,
            scopes=continuation.snapshot_scopes(self._live_scopes()),
            tasks=[t for t in self._tasks.values() if t.state in _OPEN_TASK_STATES],
            incidents=[i for i in self._incidents.values() if not i.resolved],
            buffered=list(self._buffered),
            seen_message_ids=list(self._seen_message_ids)[-CARRIED_MESSAGE_IDS:],
            children=self._children[-CARRIED_CHILDREN:],
            history=history,
            history_dropped=self._history_dropped + len(self._history) - len(history),
            counts=self._counts.as_dicts(),
            state=self._state,
            start_time=self._start_time,
            next_id=self._next_id,
            revision=self._revision,
        )
        return self._input.model_copy(
            update={
                "variables": dict(self._variables),
                "resume": carried,
                "start_event": None,
                "partners": self._partners,
            }
        )

    def _restore_data(self, carried: c.Continuation) -> None:
        """Rebuild the previous run's open state as data, at init: a query that arrives
        before the definition is loaded already sees the instance as it was."""
        scopes = continuation.restore_scopes(carried.scopes)
        self._root = scopes[carried.root]
        self._runs = carried.runs + 1
        self._tasks = {t.id: t for t in carried.tasks}
        self._incidents = {i.id: i for i in carried.incidents}
        self._buffered = list(carried.buffered)
        self._seen_message_ids = dict.fromkeys(carried.seen_message_ids)
        self._children = list(carried.children)
        self._history = list(carried.history)
        self._history_dropped = carried.history_dropped
        self._counts = Counts(**{k: Counter(v) for k, v in carried.counts.items()})
        self._state = carried.state
        self._start_time = carried.start_time
        self._next_id = carried.next_id
        self._revision = carried.revision
        self._dirty_tasks.update(self._tasks)
        self._scopes = [s for s in scopes.values() if not s.finished]

    def _restart(self) -> ScopeRun:
        """Restart the coroutines of the restored tokens and event sub-process triggers;
        each picks up its wait from the snapshot."""
        assert self._root is not None
        for scope in list(self._scopes):
            for esp_id, start in self._event_starts(scope):
                if start.id in scope.resume:
                    scope.watchers.append(asyncio.create_task(self._watch(scope, esp_id, start)))
            for token in list(scope.tokens.values()):
                token.task = asyncio.create_task(self._run_token(token, resumed=True))
        return self._root

    # -------------------------------------------------------------- query

    @workflow.query(
        name=c.STATE_QUERY,
        description="State, active elements, open tasks, incidents, variables, case history.",
    )
    def state(self) -> c.ProcessStateView:
        counts = self._counts.as_dicts()
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
            counts=c.ElementCounts(**counts, waiting=self._waiting()),
            waiting_messages=sorted({s.name for s in self._subscriptions if s.kind == "message"}),
            waiting_timers=sorted(set(self._timers) | self._timers_to_resume()),
            children=list(self._children),
            waiting_elements=sorted({s.element_id for s in self._subscriptions}),
            runs=self._runs,
            history_dropped=self._history_dropped,
        )

    def _timers_to_resume(self) -> set[str]:
        """Timers of a restored run whose coroutines have not started yet (a query may
        arrive while the new run loads its definition)."""
        found: set[str] = set()
        for scope in self._live_scopes():
            holders: list[Token | ScopeRun] = [scope, *scope.tokens.values()]
            for holder in holders:
                found.update(k for k, snap in holder.resume.items() if snap.kind == "timer")
        return found

    def _waiting(self) -> dict[str, int]:
        waiting: Counter[str] = Counter()
        for token in self._live_tokens():
            waiting[token.element_id] += 1
        return dict(waiting)

    def _live_tokens(self) -> list[Token]:
        return [t for scope in self._live_scopes() for t in scope.tokens.values()]

    def _live_scopes(self) -> list[ScopeRun]:
        self._scopes = [s for s in self._scopes if not s.finished]
        return self._scopes

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
            for t in self._live_tokens()
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

    def _bump_revision(self) -> None:
        """The next revision: one more than the last, and since ``AFTER_COMMIT_PATCH`` at
        least the workflow time in ms shifted by 16 bits, so a run that replaced another
        (a reset) writes above anything the replaced run wrote."""
        self._revision += 1
        if self._after_commit:
            stamp = int(workflow.now().timestamp() * 1000) << 16
            self._revision = max(self._revision, stamp)

    def _touch_instance(self) -> None:
        self._bump_revision()
        self._instance_dirty = True

    def _touch_task(self, task_id: str) -> None:
        self._bump_revision()
        self._dirty_tasks.add(task_id)

    async def _projected(self, result: _T) -> _T:
        """Answer an update once the rows it changed are written (after the workflow task
        that decided it committed), so a client reads its own writes; older runs answer
        at once, as they always did."""
        if self._after_commit:
            target = self._revision
            await workflow.wait_condition(lambda: self._projected_revision >= target)
        return result

    def _reseeded(self, _seed: int) -> None:
        """Called outside the workflow's event loop (no workflow time here): it flags the
        rows and wakes the loop, which checks wait conditions only after running
        something (the batch takes its revision then)."""
        self.resync_projection()
        if self._loop is not None:
            self._loop.call_soon(lambda: None)

    @workflow.signal(
        name=c.RESYNC_PROJECTION,
        description="Write every row of the instance again and close the open rows it no "
        "longer has (after a reset; sent by Baton's reconciler).",
    )
    def resync_projection(self) -> None:
        self._resync = True
        self._instance_dirty = True

    def _refresh_state(self) -> None:
        open_incidents = any(not i.resolved for i in self._incidents.values())
        if self._state in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT):
            self._state = c.InstanceState.INCIDENT if open_incidents else c.InstanceState.ACTIVE
        self._touch_instance()

    def _dirty(self) -> bool:
        return self._instance_dirty or bool(self._dirty_tasks) or bool(self._dirty_incidents)

    async def _flush_loop(self) -> None:
        """Write dirty rows in one local activity per workflow task, then update the UI."""
        while True:
            await workflow.wait_condition(
                lambda: self._dirty() and not self._local_busy and not self._defer_flush()
            )
            if self._local_busy or self._defer_flush():
                continue  # a message/signal local activity woke in the same pass and won
            if self._local_builtins and await self._settle():
                continue  # the pass went on: look again
            batch = self._take_batch()
            revision = self._revision  # what the batch carries
            self._locals_since_flush = 0
            written = False
            if (
                batch.instances
                or batch.tasks
                or batch.incidents
                or not self._patched(LEAN_PROJECTION_PATCH)
            ):
                self._flushing = True
                written = True
                try:
                    if self._after_commit:
                        # the Web UI and correlation see the change in the same workflow
                        # task that schedules its rows, not one round trip later
                        self._publish()
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
                    self._flushing = False
            self._projected_revision = max(self._projected_revision, revision)
            if not (self._after_commit and written):
                self._publish()

    async def _settle(self) -> bool:
        """Let every coroutine that is ready run before a batch is taken (tokens that
        woke in the same activation move on first), so one batch carries what the
        activation did. ``asyncio.sleep(0)`` only yields to the workflow's event loop:
        no timer, no command. True when that started a local activity the batch should
        wait for."""
        revision = -1
        while revision != self._revision:
            revision = self._revision
            await asyncio.sleep(0)
        return self._local_busy or self._defer_flush() or not self._dirty()

    def _defer_flush(self) -> bool:
        """Write the read models once, where a batch would be followed at once by
        another: while a token waits to run a local activity (a built-in task, a message
        or signal send), it goes first; once the process has finished, ``run`` marks the
        instance completed before the last batch. Guarded by ``LOCAL_BUILTINS_PATCH``:
        older runs interleaved them."""
        if not self._local_builtins or self._flush_overdue():
            return False
        ending = (
            self._root is not None
            and self._root.finished
            and self._state is c.InstanceState.ACTIVE
            and self._failure is None
        )
        return self._local_waiting > 0 or ending

    def _flush_overdue(self) -> bool:
        """A long chain of local activities (a loop over a built-in task) must not keep
        the read models stale until it ends: after ``FLUSH_EVERY_LOCALS`` of them, the
        batch goes before the next one."""
        return (
            self._local_builtins
            and self._locals_since_flush >= FLUSH_EVERY_LOCALS
            and self._dirty()
        )

    async def _exclusive_local(self, activity: str, arg: Any, **options: Any) -> Any:
        """A local activity that never runs beside the projection's: results of two local
        activities in flight can reach the workflow in separate activations when first
        run but in one on replay (sdk-python#1578), and the order in which the flush
        loop then publishes search attributes would differ."""
        # conditions are released together: check again after waking, so a flush or
        # another message/signal local activity released in the same pass goes first
        self._local_waiting += 1
        try:
            while self._local_flush() or self._local_busy or self._flush_overdue():
                await workflow.wait_condition(
                    lambda: (
                        not self._local_flush()
                        and not self._local_busy
                        and not self._flush_overdue()
                    )
                )
        finally:
            self._local_waiting -= 1
        self._local_busy = True
        try:
            return await workflow.execute_local_activity(activity, arg, **options)
        finally:
            self._local_busy = False
            self._locals_since_flush += 1

    def _local_flush(self) -> bool:
        """A projection local activity is in flight (runs before ``AFTER_COMMIT_PATCH``);
        a regular one may run beside a local activity."""
        return self._flushing and not self._after_commit

    def _take_batch(self) -> c.ProjectionBatch:
        ref = self._input.definition
        resync = self._resync
        self._resync = False
        if resync:  # every row the instance still has, and its open ones closed elsewhere
            self._bump_revision()
            self._dirty_tasks.update(self._tasks)
            self._dirty_incidents.update(self._incidents)
        # what every task and incident row carries besides its own fields
        owner = {
            "process_instance_id": workflow.info().workflow_id,
            "definition_key": ref.key,
            "business_key": self._input.business_key,
            "revision": self._revision,
        }
        batch = c.ProjectionBatch(
            tasks=[
                c.TaskRow(**self._tasks[tid].model_dump(), **owner)
                for tid in sorted(self._dirty_tasks)
            ],
            resync_instance_id=workflow.info().workflow_id if resync else None,
        )
        row = (self._state.value, self._end_time)
        if self._instance_dirty and (
            resync or row != self._row_written or not self._patched(LEAN_PROJECTION_PATCH)
        ):
            self._row_written = row
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
        batch.incidents = [
            c.IncidentRow(**self._incidents[iid].model_dump(), **owner)
            for iid in sorted(self._dirty_incidents)
            if iid in self._incidents
        ]
        self._instance_dirty = False
        self._dirty_tasks.clear()
        self._dirty_incidents.clear()
        return batch

    def _waiting_messages(self) -> tuple[str, ...]:
        """``BpmnWaitingMessages``: what correlation from outside looks instances up by."""
        waiting = [
            s
            for s in self._subscriptions
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

    def _publish(self) -> None:
        """Current details (free) always; search attributes (one event) only on change."""
        active = tuple(sorted({t.element_id for t in self._live_tokens()}))
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
        waiting = self._waiting_messages() if self._waiting_patched else None
        published = (active, self._state.value, incident, waiting)
        if published == self._published:
            return
        before = self._published if self._local_builtins else None
        self._published = published
        updates: list[SearchAttributeUpdate[Any]] = []
        if before is None or before[0] != active:
            updates.append(sa.ACTIVE_ELEMENTS.value_set(list(active)))
        if before is None or before[1] != self._state.value:
            updates.append(sa.STATE.value_set(self._state.value))
        if before is None or before[2] != incident:
            updates.append(sa.INCIDENT.value_set(incident))
        if waiting is not None and (before is None or before[3] != waiting):
            updates.append(sa.WAITING_MESSAGES.value_set(list(waiting)))
        workflow.upsert_search_attributes(updates)
