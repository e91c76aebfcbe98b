"""The step vocabulary of the Camunda 7 behaviour runner, in Baton's terms.

A Java engine test drives the engine through its services (``runtimeService``,
``taskService``, ``managementService``, ``externalTaskService``) and asserts what they
answer; each step here is one of those calls made the way a Baton user makes it: over
the REST API (``/v1/bpms/...``: start, correlate, signal, service tasks) or through the
instance's workflow (``complete_user_task`` and ``fire_timer`` updates, the ``state``
query). Task steps look across the instance tree (the root and the instances its call
activities started), as a Java ``taskService.createTaskQuery()`` does; assertions poll the
``state`` query until they hold (read within :data:`PATIENCE` seconds) and fail with what
the instance showed last.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from tests.support.driver import Baton, state
from tests.support.http import eventually

#: seconds an assertion waits for the instance to show what Camunda 7 shows
PATIENCE = 8.0
OPEN = (c.TaskState.CREATED, c.TaskState.ASSIGNED)
#: element kinds whose tokens are scopes of other tokens (not in getActiveActivityIds)
SCOPES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
WORKER = "camunda7-runner"


# -- driving: what the Java test does -----------------------------------------------------


@dataclass(frozen=True)
class Start:
    """``runtimeService.startProcessInstanceByKey`` once more: the new instance becomes
    the one the next steps drive (``key`` ``None``: the first process deployed)."""

    key: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    business_key: str | None = None


@dataclass(frozen=True)
class Complete:
    """``taskService.complete``: an open user task at ``element`` (``None``: any), the one
    of ``assignee`` or with ``name`` when given (else the oldest), with variables."""

    element: str | None = None
    assignee: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


@dataclass(frozen=True)
class Back:
    """Drive the n-th instance the test started again (a Java test holding several
    ``ProcessInstance`` objects)."""

    instance: int


@dataclass(frozen=True)
class Fire:
    """``managementService.executeJob`` of a timer job: the timer ``element`` waits on."""

    element: str
    #: of the n-th child instance (a timer inside a called process)
    child: int | None = None


@dataclass(frozen=True)
class Message:
    """``runtimeService.correlateMessage`` / ``createMessageCorrelation``: over
    ``POST /v1/bpms/messages/correlate``, to this instance unless ``business_key`` is
    given or ``start`` (a message start event: ``startProcessInstanceByMessage``)."""

    name: str
    variables: dict[str, Any] = field(default_factory=dict)
    business_key: str | None = None
    correlation_key: str | None = None
    start: bool = False


@dataclass(frozen=True)
class Signal:
    """``runtimeService.signalEventReceived``: ``POST /v1/bpms/signals`` (a broadcast)."""

    name: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class External:
    """``externalTaskService.fetchAndLock`` of ``topic`` then ``complete`` (with variables),
    ``handleFailure`` (``retries``) or ``handleBpmnError`` (``error_code``), over
    ``/v1/bpms/service-tasks``."""

    topic: str
    action: str = "complete"
    variables: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    retries: int = 0


@dataclass(frozen=True)
class SetVars:
    """``runtimeService.setVariable(s)`` on the root or the n-th child instance (the
    ``set_variables`` update)."""

    values: dict[str, Any]
    child: int | None = None


# -- asserting: what the Java test checks --------------------------------------------------


@dataclass(frozen=True)
class Tasks:
    """The open user tasks at ``element`` (``None``: anywhere in the tree): how many,
    their assignees (``""`` for none) or their names, in any order."""

    element: str | None
    count: int | None = None
    assignees: tuple[str, ...] | None = None
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Candidates:
    """The one open task at ``element`` offers itself to these users and groups."""

    element: str
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Active:
    """``runtimeService.getActiveActivityIds``: the elements holding tokens (as a
    multiset), of the root or of the n-th child instance."""

    elements: tuple[str, ...]
    child: int | None = None


@dataclass(frozen=True)
class Vars:
    """``runtimeService.getVariable(s)``: these variables have these values (others may
    exist); names mapped to :data:`MISSING` must be absent."""

    values: dict[str, Any]
    child: int | None = None


@dataclass(frozen=True)
class Waits:
    """The message names the instance subscribes to now
    (``createExecutionQuery().messageEventSubscriptionName``), in any order."""

    messages: tuple[str, ...]


@dataclass(frozen=True)
class Completed:
    """History: how often each element completed (``HistoricActivityInstance`` with an
    end time, ``view.counts.completed``)."""

    counts: dict[str, int]


@dataclass(frozen=True)
class Children:
    """How many instances the root's call activities started (``createProcessInstanceQuery
    .superProcessInstanceId``), and how many of them still run."""

    count: int
    running: int | None = None


@dataclass(frozen=True)
class BusinessKey:
    """``ProcessInstance.getBusinessKey`` of the root or the n-th child."""

    key: str | None
    child: int | None = None


@dataclass(frozen=True)
class Ended:
    """``assertProcessEnded``: the instance completed (``child``: the n-th child)."""

    child: int | None = None


@dataclass(frozen=True)
class Running:
    """The instance did not end (the process instance query still finds it)."""


@dataclass(frozen=True)
class Incident:
    """An incident is open at ``element`` (an external task failed with no retries)."""

    element: str


MISSING = object()

Step = (
    Start
    | Back
    | Complete
    | Fire
    | Message
    | Signal
    | External
    | SetVars
    | Tasks
    | Candidates
    | Active
    | Vars
    | Waits
    | Completed
    | Children
    | BusinessKey
    | Ended
    | Running
    | Incident
)


class Runner:
    """One Java test's run against a stack: the root instance and its descendants."""

    def __init__(self, baton: Baton, name: str) -> None:
        self.baton = baton
        self.name = name
        self.root: WorkflowHandle[Any, c.ProcessResult] | None = None
        self.keys: list[str] = []
        self.started: list[WorkflowHandle[Any, c.ProcessResult]] = []

    async def start(
        self,
        files: list[Path],
        key: str | None,
        variables: dict[str, Any],
        business_key: str | None,
    ) -> list[str]:
        self.keys = await self.baton.deploy(*files)
        if key != "":  # "" : the test starts it by message or signal
            await self.run(Start(key, variables, business_key))
        return self.keys

    # -- the tree --------------------------------------------------------------------

    @property
    def handle(self) -> WorkflowHandle[Any, c.ProcessResult]:
        assert self.root is not None, f"{self.name}: no instance started"
        return self.root

    async def tree(self) -> list[tuple[WorkflowHandle[Any, Any], c.ProcessStateView]]:
        """The root and every instance started below it, depth first."""
        found: list[tuple[WorkflowHandle[Any, Any], c.ProcessStateView]] = []
        pending = [self.handle]
        while pending:
            handle = pending.pop(0)
            try:
                view = await state(handle)
            except RPCError as err:  # a child the call activity is starting right now
                if err.status is RPCStatusCode.NOT_FOUND and handle is not self.root:
                    continue
                raise
            found.append((handle, view))
            pending.extend(self.baton.handle(child) for child in view.children)
        return found

    async def of(self, child: int | None) -> tuple[WorkflowHandle[Any, Any], c.ProcessStateView]:
        view = await state(self.handle)
        if child is None:
            return self.handle, view
        assert len(view.children) > child, f"{self.name}: no child {child}: {view.children}"
        handle = self.baton.handle(view.children[child])
        return handle, await state(handle)

    async def open_tasks(
        self, element: str | None
    ) -> list[tuple[WorkflowHandle[Any, Any], c.UserTaskView]]:
        return [
            (handle, t)
            for handle, view in await self.tree()
            for t in sorted(view.tasks, key=lambda t: t.created)
            if t.state in OPEN and (element is None or t.element_id == element)
        ]

    async def holds(self, what: str, probe: Any) -> None:
        """Poll ``probe`` (an async callable answering ``(ok, seen)``) until ``ok``."""
        last: list[Any] = [None]

        async def check() -> bool:
            try:
                ok, seen = await probe()
            except RPCError as err:  # a child instance not started yet: look again
                if err.status is not RPCStatusCode.NOT_FOUND:
                    raise
                ok, seen = False, str(err)
            last[0] = seen
            return bool(ok)

        try:
            await eventually(check, timeout=PATIENCE, what=what)
        except AssertionError:
            context = ""
            if self.root is not None:
                views = [view for _, view in await self.tree()]
                context = "; instances: " + " | ".join(
                    f"{v.definition.key} {v.state} active={[a.element_id for a in v.active]} "
                    f"incidents={[i.message for i in v.incidents]}"
                    for v in views
                )
            raise AssertionError(f"{self.name}: {what}; Baton shows {last[0]!r}{context}") from None

    # -- the steps ---------------------------------------------------------------------

    async def run(self, step: Step) -> None:
        match step:
            case Start(key, variables, business_key):
                if self.started:  # a signal thrown by the new one must find the others
                    await self._visible()
                instance = await self.baton.start(
                    key or self.keys[0], variables, business_key=business_key
                )
                self.root = self.baton.handle(instance)
                self.started.append(self.root)
            case Back(instance):
                self.root = self.started[instance]
            case Complete(element, assignee, variables, name):
                await self._complete(element, assignee, variables, name)
            case Fire(element, child):
                handle, _ = await self.of(child)
                await self.holds(
                    f"a timer at {element}",
                    lambda: self._waits_timer(handle, element),
                )
                await handle.execute_update(c.FIRE_TIMER, c.FireTimer(element_id=element))
            case Message():
                await self._message(step)
            case Signal(name, variables):
                await self._signal(name, variables)
            case External():
                await self._external(step)
            case SetVars(values, child):
                handle, _ = await self.of(child)
                await handle.execute_update(c.SET_VARIABLES, c.SetVariables(variables=values))
            case Tasks(element, count, assignees, names):
                what = f"tasks {names or assignees or count} at {element}"
                await self.holds(what, lambda: self._tasks(step))
            case Candidates(element, users, groups):

                async def offered() -> tuple[bool, Any]:
                    tasks = [t for _, t in await self.open_tasks(element)]
                    seen = [(sorted(t.candidate_users), sorted(t.candidate_groups)) for t in tasks]
                    return seen == [(sorted(users), sorted(groups))], seen

                await self.holds(f"the task at {element} offered to {users} {groups}", offered)
            case Active(elements, child):

                async def active() -> tuple[bool, Any]:
                    _, view = await self.of(child)
                    # Camunda lists the executions' activities: a sub-process that holds
                    # tokens is their scope, not an active activity of its own
                    seen = sorted(a.element_id for a in view.active if a.type not in SCOPES)
                    return seen == sorted(elements), seen

                await self.holds(f"active {sorted(elements)}", active)
            case Vars(values, child):

                async def has_variables() -> tuple[bool, Any]:
                    _, view = await self.of(child)
                    ok = all(
                        (k not in view.variables)
                        if v is MISSING
                        else (k in view.variables and view.variables[k] == v)
                        for k, v in values.items()
                    )
                    return ok, {k: view.variables.get(k, "<missing>") for k in values}

                await self.holds(f"variables {values}", has_variables)
            case Waits(messages):

                async def waits() -> tuple[bool, Any]:
                    view = await state(self.handle)
                    return sorted(view.waiting_messages) == sorted(messages), view.waiting_messages

                await self.holds(f"subscribed to {messages}", waits)
            case Completed(counts):

                async def completed() -> tuple[bool, Any]:
                    view = await state(self.handle)
                    seen = {k: view.counts.completed.get(k, 0) for k in counts}
                    return seen == counts, seen

                await self.holds(f"completed {counts}", completed)
            case Children(count, running):

                async def children() -> tuple[bool, Any]:
                    view = await state(self.handle)
                    views = [await state(self.baton.handle(ch)) for ch in view.children]
                    alive = sum(v.state is c.InstanceState.ACTIVE for v in views)
                    seen = (len(view.children), alive)
                    return seen == (count, alive if running is None else running), seen

                await self.holds(f"{count} children ({running} running)", children)
            case BusinessKey(key, child):

                async def has_business_key() -> tuple[bool, Any]:
                    _, view = await self.of(child)
                    return view.business_key == key, view.business_key

                await self.holds(f"business key {key}", has_business_key)
            case Ended(child):

                async def ended() -> tuple[bool, Any]:
                    _, view = await self.of(child)
                    return view.state is c.InstanceState.COMPLETED, (view.state, view.incidents)

                await self.holds("the instance ended", ended)
            case Running():
                view = await self._settled()
                assert view.state is c.InstanceState.ACTIVE, (
                    f"{self.name}: the instance should still run: {view.state} {view.incidents}"
                )
            case Incident(element):

                async def incident() -> tuple[bool, Any]:
                    view = await state(self.handle)
                    seen = [i.element_id for i in view.incidents if not i.resolved]
                    return element in seen, seen

                await self.holds(f"an incident at {element}", incident)

    async def _settled(self) -> c.ProcessStateView:
        """The state once every token waits (the ``await_wait_state`` update; an ended
        instance answers its last state)."""
        try:
            view: c.ProcessStateView = await asyncio.wait_for(
                self.handle.execute_update(c.AWAIT_WAIT_STATE, result_type=c.ProcessStateView),
                timeout=PATIENCE,
            )
        except Exception:
            return await state(self.handle)
        return view

    async def _waits_timer(
        self, handle: WorkflowHandle[Any, Any], element: str
    ) -> tuple[bool, Any]:
        view = await state(handle)
        return element in view.waiting_timers, view.waiting_timers

    async def _tasks(self, step: Tasks) -> tuple[bool, Any]:
        tasks = [t for _, t in await self.open_tasks(step.element)]
        if step.assignees is not None:
            seen: Any = sorted(t.assignee or "" for t in tasks)
            return seen == sorted(step.assignees), seen
        if step.names is not None:
            seen = sorted(t.name or "" for t in tasks)
            return seen == sorted(step.names), seen
        seen = [t.element_id for t in tasks]
        return len(tasks) == step.count, seen

    async def _complete(
        self,
        element: str | None,
        assignee: str | None,
        variables: dict[str, Any],
        name: str | None,
    ) -> None:
        found: list[tuple[WorkflowHandle[Any, Any], c.UserTaskView]] = []

        async def task() -> tuple[bool, Any]:
            tasks = await self.open_tasks(element)
            found[:] = [
                (h, t)
                for h, t in tasks
                if (assignee is None or t.assignee == assignee) and (name in (None, t.name))
            ]
            return bool(found), [(t.element_id, t.assignee, t.name) for _, t in tasks]

        await self.holds(f"an open task at {element} ({assignee})", task)
        handle, open_task = found[0]
        await handle.execute_update(
            c.COMPLETE_USER_TASK,
            c.CompleteUserTask(task_id=open_task.id, variables=variables),
            result_type=c.UserTaskCompleted,
        )

    async def _message(self, step: Message) -> None:
        body: dict[str, Any] = {"messageName": step.name, "processData": step.variables}
        if step.business_key is not None:
            body["businessKey"] = step.business_key
        elif not step.start:
            body["processInstanceId"] = self.handle.id
        if step.correlation_key is not None:
            body["correlationKey"] = step.correlation_key
        answer = await self.baton.http.post("/v1/bpms/messages/correlate", json=body)
        assert answer.status_code == 200, f"{self.name}: message {step.name}: {answer.text}"
        if step.start:
            started = answer.json()["correlated"][0]["processInstanceId"]
            self.root = self.baton.handle(started)
            self.started.append(self.root)

    async def _visible(self) -> None:
        """Wait until Temporal's visibility lists every running instance started so far
        (and their children): a signal broadcast reaches only those it lists, where
        Camunda's event subscriptions exist at once."""
        wanted: set[str] = set()
        root = self.root
        for handle in self.started:
            self.root = handle
            wanted |= {
                h.id
                for h, view in await self.tree()
                if view.state in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT)
            }
        self.root = root
        queue = self.baton.stack.settings.task_queue  # type: ignore[attr-defined]
        query = (
            f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
            f'AND TaskQueue = "{queue}"'
        )

        async def listed() -> bool:
            ids = {wf.id async for wf in self.baton.client.list_workflows(query)}
            return wanted <= ids

        await eventually(listed, timeout=PATIENCE, what="the instances in visibility")

    async def _signal(self, name: str, variables: dict[str, Any]) -> None:
        await self._visible()
        answer = await self.baton.http.post(
            "/v1/bpms/signals", json={"signalName": name, "processData": variables}
        )
        assert answer.status_code == 200, f"{self.name}: signal {name}: {answer.text}"
        if answer.json()["started"]:
            self.root = self.baton.handle(answer.json()["started"][0])
            self.started.append(self.root)

    async def _external(self, step: External) -> None:
        http = self.baton.http
        locked: list[dict[str, Any]] = []

        async def fetch() -> tuple[bool, Any]:
            answer = await http.post(
                "/v1/bpms/service-tasks/fetch-and-lock",
                json={
                    "workerId": WORKER,
                    "maxTasks": 1,
                    "topics": [{"topicName": step.topic, "lockDuration": 60_000}],
                },
            )
            assert answer.status_code == 200, answer.text
            locked[:] = answer.json()
            return bool(locked), locked

        await self.holds(f"an external task of topic {step.topic}", fetch)
        task_id = locked[0]["id"]
        url = f"/v1/bpms/service-tasks/{task_id}/{step.action}"
        if step.action == "complete":
            body: dict[str, Any] = {"workerId": WORKER, "processData": step.variables}
        elif step.action == "failure":
            body = {"workerId": WORKER, "errorMessage": "failed", "retries": step.retries}
        else:
            body = {"workerId": WORKER, "errorCode": step.error_code}
        answer = await http.post(url, json=body)
        assert answer.status_code == 204, f"{self.name}: {step.action}: {answer.text}"
