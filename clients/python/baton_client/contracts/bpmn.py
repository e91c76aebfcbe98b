"""The documented interface of the ``BpmnProcess`` workflow and of its activities.

Everything a client (the REST API, a plain ``temporalio`` SDK client, another language's
worker) needs to talk to an instance lives here: the workflow's input and result, the
names and payloads of its updates, signals and queries, and the activity contracts.
Pydantic models only, so the module is safe inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

WORKFLOW_NAME = "BpmnProcess"

# Handler names (update and signal share a name where both exist).
COMPLETE_USER_TASK = "complete_user_task"
CLAIM_TASK = "claim_task"
UNCLAIM_TASK = "unclaim_task"
ASSIGN_TASK = "assign_task"
ADD_TASK_CANDIDATES = "add_task_candidates"  # update: offer a task to more users (ONEWEB)
DELEGATE_TASK = "delegate_task"
RESOLVE_TASK = "resolve_task"
RETRY_INCIDENT = "retry_incident"
RESOLVE_INCIDENT = "resolve_incident"
DELIVER_MESSAGE = "deliver_message"  # signal: fire and forget, buffered if nothing waits
CORRELATE_MESSAGE = "correlate_message"  # update: rejected when nothing waits
DELIVER_SIGNAL = "deliver_signal"
SET_VARIABLES = "set_variables"
FIRE_TIMER = "fire_timer"
SUSPEND_TASK = "suspend_task"
RESUME_TASK = "resume_task"
CANCEL_TASK = "cancel_task"
CANCEL_INSTANCE = "cancel_instance"  # update: records who and why; then cancel the workflow
AWAIT_WAIT_STATE = "await_wait_state"  # update: answers once every token waits
STATE_QUERY = "state"
#: signal: write every row of the instance again, and close the open rows it no longer has
#: (sent by the reconciler after a reset made a new run the current one)
RESYNC_PROJECTION = "resync_projection"

# Activity names of Baton's own infrastructure activities.
LOAD_DEFINITION = "baton.load_definition"
RESOLVE_DEFINITION = "baton.resolve_definition"
LOAD_DECISION = "baton.load_decision"
PROJECT = "baton.project"
BROADCAST_SIGNAL = "baton.broadcast_signal"
SEND_ALONG_FLOW = "baton.send_along_flow"


class Rejection(StrEnum):
    """Why the workflow refuses a command: the ``type`` of the ``ApplicationError`` an
    update validator (or handler) raises. Clients match on these values -- the API maps
    each to its error (``operations/calls.py``) -- so they are part of the contract:
    renaming one breaks every client that reads ``code``."""

    TASK_NOT_FOUND = "TaskNotFound"  # no user task with that id in the instance
    TASK_NOT_ACTIVE = "TaskNotActive"  # completed, cancelled, suspended (or not suspended)
    TASK_NOT_PERMITTED = "TaskNotPermitted"  # the actor may not do this to the task
    TASK_ALREADY_CLAIMED = "TaskAlreadyClaimed"  # someone else holds it
    TASK_DELEGATED = "TaskDelegated"  # only the delegate's resolve may act on it now
    TASK_NOT_DELEGATED = "TaskNotDelegated"  # resolve of a task nobody delegated
    INCIDENT_NOT_FOUND = "IncidentNotFound"
    INCIDENT_RESOLVED = "IncidentResolved"
    INSTANCE_ENDED = "InstanceEnded"  # the instance takes no more commands
    MESSAGE_NOT_CORRELATED = "MessageNotCorrelated"  # nothing waits for the message
    TIMER_NOT_FOUND = "TimerNotFound"  # fire_timer for an element with no running timer
    VARIABLES_TOO_LARGE = "VariablesTooLarge"  # over BATON_MAX_*VARIABLES_BYTES
    #: not a command's refusal but the start's: the instance fails before its first
    #: element (several none start events, or the one asked for does not exist)
    NO_START_EVENT = "NoStartEvent"


#: Built-in service-task types that answer at once. The interpreter runs them as local
#: activities (one marker event, no extra workflow task), as Camunda 7 runs a synchronous
#: delegate, unless the element asks for asynchronous continuation (``asyncBefore`` /
#: ``asyncAfter``). Every other task type is a regular activity: it may take long, run on
#: another worker or wait for an HTTP worker.
SYNCHRONOUS_TASK_TYPES = frozenset({"baton.noop", "baton.echo"})


class InstanceState(StrEnum):
    ACTIVE = "ACTIVE"
    INCIDENT = "INCIDENT"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class TaskState(StrEnum):
    CREATED = "CREATED"
    ASSIGNED = "ASSIGNED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    SUSPENDED = "SUSPENDED"  # nobody may work on it until it is resumed


#: states of a task that still waits for someone
OPEN_TASK_STATES = frozenset({TaskState.CREATED, TaskState.ASSIGNED, TaskState.SUSPENDED})


class DefinitionRef(BaseModel):
    """Names a deployed definition. The sha256 pins the exact IR an instance runs."""

    key: str
    version: int
    sha256: str


class DecisionRequest(BaseModel):
    """Which deployed decision a business-rule task evaluates: Camunda 7's
    ``decisionRefBinding`` (``latest``, ``version``, ``versionTag``, ``deployment``: the
    version deployed with the calling process)."""

    key: str
    binding: str = "latest"
    version: int | None = None
    version_tag: str | None = None
    process_key: str | None = None
    process_version: int | None = None


class DecisionSource(BaseModel):
    """A decision version and the ``.dmn`` file it lives in (parsed in the workflow)."""

    key: str
    version: int
    deployment_id: str
    xml: str


class ResolveDefinition(BaseModel):
    """Which deployed definition a call activity starts (latest unless a version is given)."""

    key: str
    version: int | None = None


class ProcessInput(BaseModel):
    """Input of ``BpmnProcess``: a definition reference, never the definition itself."""

    definition: DefinitionRef
    business_key: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    started_by: str | None = None
    business_data_ref: str | None = Field(
        default=None,
        description="Key of the instance's business data in the data-model store (kept "
        "apart from the variables that drive the engine).",
    )
    start_event: str | None = Field(
        default=None, description="Start here instead of the none start event."
    )
    parent_instance_id: str | None = Field(
        default=None, description="Set when a call activity started this instance."
    )
    continue_as_new_after: int | None = Field(
        default=None,
        ge=100,
        description=(
            "Continue as new once the history has this many events (besides when the "
            "server suggests it). Mainly for tests; leave unset in production."
        ),
    )
    partners: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Instances this one exchanges messages with along message flows, by process "
            "key (the instance that started it by a message, the ones it started)."
        ),
    )
    resume: Continuation | None = Field(
        default=None,
        description="Set only by the workflow itself when it continues as new.",
    )


class ProcessResult(BaseModel):
    state: InstanceState
    variables: dict[str, Any]


class Actor(BaseModel):
    """Who acts on a task, as the API resolved the caller. ``user_id`` None is a trusted
    system caller (an SDK client or an operator tool), which the rules do not restrict."""

    user_id: str | None = None
    groups: list[str] = Field(default_factory=list)
    admin: bool = False


class CompleteUserTask(Actor):
    """Payload of the ``complete_user_task`` update and signal."""

    task_id: str
    variables: dict[str, Any] = Field(default_factory=dict)


class TaskCommand(Actor):
    """Claim, unclaim, assign or delegate a user task (``assignee`` for assign and
    delegate), resolve a delegated one (with ``variables``), or suspend, resume or
    cancel it (with a ``reason`` for the case history)."""

    task_id: str
    assignee: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None


class TaskCandidates(Actor):
    """Payload of ``add_task_candidates``: users who may claim the task from now on."""

    task_id: str
    users: list[str]


class CancelInstance(Actor):
    """Payload of the ``cancel_instance`` update: who cancels and why. The caller then
    cancels the workflow itself (``WorkflowHandle.cancel``); the instance winds down its
    tokens, cancels its open tasks and closes its incidents before it ends as cancelled."""

    reason: str | None = None


class DelegationState(StrEnum):
    PENDING = "PENDING"  # the delegate works on it; it goes back to the owner when resolved
    RESOLVED = "RESOLVED"


class UserTaskCompleted(BaseModel):
    task_id: str
    variables: dict[str, Any] = Field(
        default_factory=dict, description="The instance variables after completion."
    )


class RetryIncident(BaseModel):
    incident_id: str
    variables: dict[str, Any] = Field(default_factory=dict)
    attempts: int | None = Field(default=None, ge=1)


class ResolveIncident(BaseModel):
    """The operator did the element's work another way: the token leaves the element
    without running it again, with these variables."""

    incident_id: str
    variables: dict[str, Any] = Field(default_factory=dict)


class DeliverMessage(BaseModel):
    """A BPMN message for this instance (``deliver_message`` / ``correlate_message``)."""

    name: str
    correlation_key: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    message_id: str | None = Field(default=None, description="Duplicates are ignored.")
    element_id: str | None = Field(
        default=None, description="Deliver to the subscription of this element, whatever its name."
    )


class MessageCorrelated(BaseModel):
    element_id: str


class DeliverSignal(BaseModel):
    name: str
    variables: dict[str, Any] = Field(default_factory=dict)
    element_id: str | None = Field(default=None, description="Only this element's catcher.")


def thrown_start_id(sender: str | None, throw_id: str, start_id: str) -> str:
    """The workflow id of an instance a signal or a message flow started: derived from
    the throw, so a retry finds what it started, and prefixed by the thrower (``api`` for
    the REST API), so the Web UI shows who started it. ``:``, not ``/``, joins the parts:
    REST paths must be able to name the instance."""
    return f"{sender or 'api'}:{throw_id}:{start_id}"


def started_by(workflow_id: str, sender: str) -> bool:
    """Whether ``sender``'s throw started the instance ``workflow_id``."""
    return workflow_id.startswith(f"{sender}:")


class BroadcastSignal(BaseModel):
    """A signal thrown inside an instance, for every other instance and for processes
    that a signal with this name starts (``baton.broadcast_signal``)."""

    name: str
    variables: dict[str, Any] = Field(default_factory=dict)
    sender_instance_id: str | None = None
    throw_id: str = Field(description="Unique per throw: makes started instance ids stable.")


class SendAlongFlow(BaseModel):
    """One message travelling along a message flow to another pool
    (``baton.send_along_flow``): it starts an instance when it reaches a start event,
    else it goes to the partner instances of the target process."""

    flow_id: str
    target: str
    target_process: str
    sender_instance_id: str
    sender_process: str
    partners: list[str] = Field(default_factory=list)
    variables: dict[str, Any] = Field(default_factory=dict)
    throw_id: str


class FlowSent(BaseModel):
    started: str | None = Field(default=None, description="Workflow id of a started instance.")
    delivered: int = 0


class SignalBroadcast(BaseModel):
    started: list[str] = Field(default_factory=list, description="Workflow ids started.")
    signalled: int = Field(default=0, description="Running instances the signal was sent to.")


class FireTimer(BaseModel):
    """Fire the timer an element waits on now (an operator's "execute job now")."""

    element_id: str


class SetVariables(Actor):
    """Payload of the ``set_variables`` update; the actor is recorded in the case history.

    ``variables`` are set first, then ``deletions`` removed (a name in both ends up
    removed, as Camunda's PatchVariablesDto orders them); removing a name the instance
    does not hold changes nothing."""

    variables: dict[str, Any]
    #: new in issue 20: an empty default, so recorded updates without it replay unchanged
    deletions: list[str] = Field(default_factory=list)


class ElementCounts(BaseModel):
    """How often each element was entered, completed, cancelled or merged (at a join)."""

    entered: dict[str, int] = Field(default_factory=dict)
    completed: dict[str, int] = Field(default_factory=dict)
    cancelled: dict[str, int] = Field(default_factory=dict)
    merged: dict[str, int] = Field(default_factory=dict)
    waiting: dict[str, int] = Field(default_factory=dict)


class UserTaskView(BaseModel):
    id: str
    element_id: str
    name: str | None
    state: TaskState
    assignee: str | None
    candidate_users: list[str]
    candidate_groups: list[str]
    form_key: str | None
    priority: int
    due: datetime | None
    created: datetime
    ended: datetime | None = None
    owner: str | None = Field(default=None, description="Who delegated the task.")
    delegation_state: DelegationState | None = None


#: The ApplicationError type of an HTTP worker's final failure (Camunda's ``failure`` with
#: no retries left); its details are ``(errorDetails, external task id)``.
EXTERNAL_TASK_FAILED = "ExternalTaskFailed"


class IncidentView(BaseModel):
    id: str
    element_id: str
    message: str
    attempts: int
    created: datetime
    resolved: bool = False
    #: Camunda 7's incident type: ``failedExternalTask`` when an HTTP worker reported the
    #: failure, else ``failedJob`` (an activity out of attempts, an expression that failed)
    incident_type: str = "failedJob"
    #: Camunda 7's ``configuration``: the external task's id for ``failedExternalTask``
    configuration: str | None = None
    #: when it closed (workflow time): retried or resolved by an operator, or deleted
    ended: datetime | None = None
    #: closed because its instance was cancelled, not by a retry (Camunda's ``deleted``)
    deleted: bool = False


class ActiveElement(BaseModel):
    token_id: str
    element_id: str
    name: str | None
    type: str


class HistoryEntry(BaseModel):
    """One line of the case history (kept in the workflow; also after it ended)."""

    timestamp: datetime
    type: str
    element_id: str | None = None
    user_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ProcessStateView(BaseModel):
    """Answer of the ``state`` query: everything needed to show one instance."""

    definition: DefinitionRef
    business_key: str | None
    state: InstanceState
    ready: bool = Field(
        default=True,
        description="False right after a start, while the instance still loads its "
        "definition: nothing is active yet (wait with the await_wait_state update).",
    )
    variables: dict[str, Any]
    active: list[ActiveElement]
    tasks: list[UserTaskView]
    incidents: list[IncidentView]
    history: list[HistoryEntry]
    start_time: datetime
    end_time: datetime | None = None
    counts: ElementCounts = Field(default_factory=ElementCounts)
    waiting_messages: list[str] = Field(
        default_factory=list, description="Message names the instance waits for now."
    )
    waiting_timers: list[str] = Field(
        default_factory=list, description="Elements whose timers are running."
    )
    waiting_elements: list[str] = Field(
        default_factory=list, description="Elements waiting for a message or signal."
    )
    children: list[str] = Field(
        default_factory=list, description="Workflow ids of instances started by call activities."
    )
    runs: int = Field(default=1, description="Runs of this instance so far (continue-as-new).")
    history_dropped: int = Field(
        default=0, description="Older case-history entries not carried into this run."
    )


class ServiceTaskInput(BaseModel):
    """What every service-task activity receives (one model, so fields can be added)."""

    process_instance_id: str
    element_id: str
    business_key: str | None
    variables: dict[str, Any]
    headers: dict[str, str] = Field(default_factory=dict)
    #: The process definition's key (absent in histories recorded before it was sent):
    #: whoever serves the task need not look it up in a read model that may lag.
    definition_key: str | None = None


class ServiceTaskResult(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict)


class InstanceRow(BaseModel):
    """Read-model row of a process instance, written by ``baton.project``."""

    id: str
    definition_key: str
    definition_version: int
    business_key: str | None
    state: InstanceState
    start_time: datetime
    end_time: datetime | None = None
    revision: int


class TaskRow(UserTaskView):
    """Read-model row of a user task, written by ``baton.project``: the task as the
    instance sees it, plus what a cross-instance inbox filters on."""

    process_instance_id: str
    definition_key: str
    business_key: str | None
    revision: int


class IncidentRow(IncidentView):
    """Read-model row of an incident, written by ``baton.project``."""

    process_instance_id: str
    definition_key: str
    business_key: str | None
    revision: int


class ProjectionBatch(BaseModel):
    """Upserts collected during one workflow task; rows only ever move forward by revision."""

    instances: list[InstanceRow] = Field(default_factory=list)
    tasks: list[TaskRow] = Field(default_factory=list)
    incidents: list[IncidentRow] = Field(default_factory=list)
    #: The batch is the instance's whole open state (``resync_projection``): open task and
    #: incident rows of ``instance_id`` that it does not carry are closed, by revision.
    resync_instance_id: str | None = None


# ------------------------------------------------------------ continue-as-new snapshot


class SubscriptionSnapshot(BaseModel):
    kind: str
    name: str
    element_id: str
    correlation_key: str | None = None
    sequence: int = 0
    owner: str | None = None


class WaitSnapshot(BaseModel):
    """A wait carried into the next run: a user task, a subscription, a timer's deadline,
    an open incident, a sub-process run, a join, or a token not yet entered."""

    kind: str
    task_id: str | None = None
    subscription: SubscriptionSnapshot | None = None
    deadline: datetime | None = None
    occurrence: int = 0
    incident_id: str | None = None
    scope_id: str | None = None


class TokenSnapshot(BaseModel):
    id: str
    element_id: str
    via: str | None = None
    attempts: int | None = None
    start_event: str | None = None
    child_run: str | None = None
    merged: bool = False
    waits: dict[str, WaitSnapshot] = Field(default_factory=dict)


class ScopeSnapshot(BaseModel):
    id: str
    element_id: str | None
    parent: str | None
    finished: bool = False
    terminated: bool = False
    compensable: list[tuple[str, str | None]] = Field(default_factory=list)
    # loop variables of compensable multi-instance instances, by element id
    instance_locals: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    tokens: list[TokenSnapshot] = Field(default_factory=list)
    waits: dict[str, WaitSnapshot] = Field(default_factory=dict)


class Continuation(BaseModel):
    """Everything a run hands to the next one when it continues as new. Completed tasks,
    resolved incidents and older case history stay in the read models and the previous
    runs' histories; only what is still open travels."""

    runs: int = Field(description="How many runs came before the next one.")
    root: str
    scopes: list[ScopeSnapshot]
    tasks: list[UserTaskView] = Field(default_factory=list)
    incidents: list[IncidentView] = Field(default_factory=list)
    buffered: list[DeliverMessage] = Field(default_factory=list)
    seen_message_ids: list[str] = Field(default_factory=list)
    children: list[str] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)
    history_dropped: int = 0
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    state: InstanceState = InstanceState.ACTIVE
    start_time: datetime
    next_id: int
    revision: int


ProcessInput.model_rebuild()
