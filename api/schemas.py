"""Request and response bodies of the Eximee BPMS API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from baton_client.contracts.search_attributes import unsearchable
from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from api.limits import BoundedJson, Variables
from bpmn_compiler import Diagnostic
from store.decisions import DeployedDecision
from store.definitions import DeployedDefinition

T = TypeVar("T")


def _searchable(value: str) -> str:
    """Message names and correlation keys end up in Temporal visibility queries: refuse
    what no query can match exactly (422 naming the field) rather than build one that
    misses, errs or matches something else
    (``baton_client.contracts.search_attributes.unsearchable``)."""
    reason = unsearchable(value)
    if reason is not None:
        raise ValueError(f"contains {reason}, which Temporal's visibility queries cannot match")
    return value


#: A name or key that Baton looks instances up by in Temporal's visibility store.
Searchable = Annotated[str, AfterValidator(_searchable)]

#: A process instance id (a Temporal workflow id: not empty, at most 1,000 characters).
InstanceId = Annotated[str, Field(min_length=1, max_length=1000)]


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class DeployedDefinitionOut(Wire):
    key: str = Field(description="The BPMN process id.")
    version: int
    sha256: str = Field(description="sha256 of the compiled IR's canonical JSON.")
    name: str | None
    resource: str = Field(description="The uploaded file this definition came from.")
    new: bool = Field(description="False when identical content was already deployed.")

    @classmethod
    def of(cls, d: DeployedDefinition) -> DeployedDefinitionOut:
        return cls(
            key=d.key,
            version=d.version,
            sha256=d.sha256,
            name=d.name,
            resource=d.resource_name,
            new=d.new,
        )


class DeployedDecisionOut(Wire):
    key: str = Field(description="The DMN decision id.")
    version: int
    name: str | None
    version_tag: str | None = Field(description="camunda:versionTag of the decision.")
    resource: str = Field(description="The uploaded .dmn file this decision came from.")
    new: bool = Field(description="False when the same file was already deployed.")

    @classmethod
    def of(cls, d: DeployedDecision) -> DeployedDecisionOut:
        return cls(
            key=d.key,
            version=d.version,
            name=d.name,
            version_tag=d.version_tag,
            resource=d.resource_name,
            new=d.new,
        )


class DiagnosticOut(Wire):
    """A compiler finding, pointing at the element and line to fix."""

    code: str = Field(description="Stable identifier of the kind of problem.")
    severity: str
    message: str
    element_id: str | None
    tag: str | None
    name: str | None
    file: str | None
    line: int | None

    @classmethod
    def of(cls, d: Diagnostic) -> DiagnosticOut:
        return cls.model_validate(d.model_dump(mode="json"))


class DeploymentOut(Wire):
    id: str
    name: str | None
    definitions: list[DeployedDefinitionOut]
    decisions: list[DeployedDecisionOut] = Field(
        default_factory=list, description="The decisions of the upload's .dmn files."
    )
    warnings: list[DiagnosticOut]


class StartInstanceIn(Wire):
    process_definition_key: str = Field(min_length=1)
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Omit for the latest version."
    )
    business_key: str | None = Field(default=None, max_length=255)
    process_data: Variables = Field(
        default_factory=dict, description="Process variables: they drive the engine."
    )
    business_data: Variables | None = Field(
        default=None,
        description="Business data for the data-model store; the instance only references "
        "it and its gateways never see it. Read it back under `businessData`.",
    )
    wait_for_wait_state: bool = Field(
        default=False,
        description="Answer only once every token waits (a user task, a message, a timer, "
        "an incident) or the instance has ended, with its activities and open tasks.",
    )
    wait_timeout_ms: int = Field(
        default=10_000,
        ge=1,
        le=60_000,
        description="How long to wait for the wait state; past it the answer is 202 with "
        "`Location`, and the instance runs on.",
    )


class InstanceOut(Wire):
    id: str
    process_definition_key: str
    version: int
    business_key: str | None
    state: str
    start_time: datetime
    end_time: datetime | None = None
    temporal_url: str | None = Field(default=None, description="The instance in the Web UI.")


class ActivityOut(Wire):
    activity_id: str
    name: str | None
    type: str


class IncidentOut(Wire):
    id: str
    activity_id: str
    message: str
    created_at: datetime
    state: str


class OpenTaskOut(Wire):
    id: str
    task_definition_key: str = Field(description="The user task's element id.")
    name: str | None
    assignee: str | None
    state: str


class InstanceDetailOut(InstanceOut):
    current_activities: list[ActivityOut]
    open_tasks: list[OpenTaskOut] = Field(default_factory=list)
    process_data: dict[str, Any]
    business_data: dict[str, Any] | None = Field(
        default=None, description="From the data-model store (null when none was given)."
    )
    incidents: list[IncidentOut]
    waiting_timers: list[str] = Field(
        default_factory=list,
        description="Elements whose timers run now (each may be fired early).",
    )
    waiting_messages: list[str] = Field(
        default_factory=list, description="Message names the instance waits for now."
    )


class StartedInstanceOut(InstanceOut):
    """What a start answers: with `waitForWaitState`, also where the instance waits."""

    settled: bool = Field(
        description="True when the instance reached a wait state (or ended) before the "
        "answer; false when it was not asked to wait or did not get there in time."
    )
    replayed: bool = Field(
        default=False, description="True when the Idempotency-Key named an earlier start."
    )
    current_activities: list[ActivityOut] | None = None
    open_tasks: list[OpenTaskOut] | None = None
    incidents: list[IncidentOut] | None = None


class CancelInstanceIn(Wire):
    reason: str | None = Field(default=None, max_length=2000, description="For the case history.")


class VariableIn(Wire):
    value: BoundedJson = Field(description="The new value (any JSON).")


class VariablesIn(Wire):
    process_data: Variables = Field(
        min_length=1, description="Variables to set; the others stay as they are."
    )


class VariablesOut(Wire):
    process_data: dict[str, Any]
    business_data: dict[str, Any] | None


class BusinessDataIn(Wire):
    business_data: Variables = Field(
        description="PUT: the new business data. PATCH: fields to change (null removes one)."
    )


class HistoryEntryOut(Wire):
    """One case-history entry: what happened, where, when and by whom."""

    timestamp: datetime
    type: str = Field(
        description="PROCESS_STARTED, ACTIVITY_STARTED, ACTIVITY_COMPLETED, TASK_CREATED, "
        "TASK_ASSIGNED, TASK_COMPLETED, VARIABLES_UPDATED, VARIABLES_DELETED, "
        "MESSAGE_CORRELATED, DECISION_EVALUATED, INCIDENT_CREATED, INCIDENT_RESOLVED, "
        "PROCESS_CANCELLED, "
        "PROCESS_ENDED, …"
    )
    activity_id: str | None
    user_id: str | None = Field(description="The acting user, when a person acted.")
    details: dict[str, Any]


class TaskStateIn(Wire):
    reason: str | None = Field(default=None, max_length=2000, description="For the case history.")


class TaskStateChangeIn(TaskStateIn):
    state: Literal["SUSPENDED", "ACTIVE", "CANCELED"] = Field(
        description="SUSPENDED suspends, ACTIVE resumes, CANCELED cancels the task."
    )


class TaskDataOut(Wire):
    task_id: str
    process_instance_id: str
    process_data: dict[str, Any]
    business_data: dict[str, Any] | None


class TaskOut(Wire):
    id: str
    name: str | None
    task_definition_key: str = Field(description="The user task's element id.")
    process_instance_id: str
    process_definition_key: str
    business_key: str | None
    assignee: str | None
    candidate_users: list[str]
    candidate_groups: list[str]
    state: str
    created: datetime
    due: datetime | None
    priority: int
    form_key: str | None
    owner: str | None = Field(default=None, description="Who delegated the task.")
    delegation_state: str | None = Field(default=None, description="PENDING or RESOLVED.")


#: The paging parameters every list takes (the same way everywhere).
PageNumber = Annotated[int, Query(ge=0, le=1_000_000, description="Page number, from 0.")]
PageSize = Annotated[int, Query(ge=1, le=1000, description="Entries per page.")]


class PageOut(Wire, Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int


class CompleteTaskIn(Wire):
    process_data: Variables = Field(
        default_factory=dict, description="Variables the task sets in the instance."
    )
    business_data: Variables | None = Field(
        default=None, description="Fields to change in the business data (null removes one)."
    )
    with_variables_in_return: bool = Field(
        default=False, description="Answer with the instance's variables after completion."
    )


class CompleteTaskOut(Wire):
    task_id: str
    process_instance_id: str
    process_data: dict[str, Any] | None = None


class TaskFormOut(Wire):
    """A user task's form, ready for form-js (``operations.forms``)."""

    task_id: str
    process_instance_id: str
    process_definition_key: str
    process_definition_version: int = Field(description="The version the instance runs.")
    task_definition_key: str = Field(description="The user task's element id.")
    source: Literal["form-data", "camunda-forms", "none"] = Field(
        description="camunda:formData (converted), an embedded Camunda Form "
        "(zeebe:userTaskForm), or none: complete with a variables editor."
    )
    form_key: str | None = Field(
        default=None, description="The form key the diagram names (camunda:formKey, Zeebe)."
    )
    schema_: dict[str, Any] | None = Field(
        default=None, alias="schema", description="The form-js schema to render."
    )
    variables: dict[str, Any] = Field(description="The instance's variables now.")
    readonly: list[str] = Field(
        default_factory=list,
        description="Keys of readonly formData fields: shown, never submitted.",
    )
    note: str | None = Field(
        default=None, description="Why a form the diagram names cannot be rendered."
    )


class SubmitTaskFormIn(Wire):
    process_data: Variables = Field(
        default_factory=dict, description="The form's values: the variables it sets."
    )
    with_variables_in_return: bool = Field(
        default=False, description="Answer with the instance's variables after completion."
    )


class SubmitTaskFormOut(Wire):
    task_id: str
    process_instance_id: str
    resolved: bool = Field(
        description="True when the task was delegated: the submission resolved it back to "
        "its owner instead of completing it."
    )
    process_data: dict[str, Any] | None = None


class IncidentRowOut(Wire):
    """An incident from the read model (``GET /v1/bpms/incidents``)."""

    id: str
    activity_id: str = Field(description="The element the token is parked at.")
    process_instance_id: str
    process_definition_key: str
    business_key: str | None
    message: str = Field(description="What failed, e.g. the worker's last error.")
    attempts: int = Field(description="Attempts the element had when it failed.")
    created_at: datetime
    state: str = Field(description="OPEN or RESOLVED.")


class RetryIncidentIn(Wire):
    process_data: Variables = Field(
        default_factory=dict, description="Variables to set before the element runs again."
    )
    attempts: int | None = Field(
        default=None, ge=1, description="Attempts for this run (default: the diagram's)."
    )


class ResolveIncidentIn(Wire):
    process_data: Variables = Field(
        default_factory=dict,
        description="Variables the work done by hand produced; the token moves on without "
        "running the element again.",
    )


class AssignTaskIn(Wire):
    user_id: str | None = Field(
        default=None, description="The new assignee; null or absent removes the assignee."
    )


class DelegateTaskIn(Wire):
    user_id: str = Field(min_length=1, description="The delegate.")


class ResolveTaskIn(Wire):
    process_data: Variables = Field(default_factory=dict)


class _MessageIn(Wire):
    message_name: Searchable = Field(min_length=1, max_length=255)
    process_instance_id: InstanceId | None = Field(default=None, description="Only this instance.")
    business_key: str | None = Field(
        default=None, max_length=255, description="Running instances with this business key."
    )
    correlation_key: Searchable | None = Field(
        default=None,
        max_length=255,
        description="Must equal the waiting element's evaluated correlation key.",
    )
    process_data: Variables = Field(
        default_factory=dict, description="Variables the message carries into the instance."
    )
    message_id: str | None = Field(
        default=None, max_length=255, description="An instance takes a message id only once."
    )


class CorrelateMessageIn(_MessageIn):
    all: bool = Field(default=False, description="Every waiting instance, not the first only.")
    correlation_keys: Variables | None = Field(
        default=None,
        description="Process variables a candidate must have with exactly these values "
        "(Camunda 7's correlationKeys).",
    )
    business_data: Variables | None = Field(
        default=None, description="For an instance the message starts: its business data."
    )


class CorrelatedOut(Wire):
    result_type: Literal["Execution", "ProcessDefinition"] = Field(
        description="Execution: a waiting element took it; ProcessDefinition: it started "
        "an instance at a message start event."
    )
    process_instance_id: str
    activity_id: str = Field(description="The element that took the message.")
    process_definition_key: str | None = None


class CorrelationResultOut(Wire):
    correlated: list[CorrelatedOut]


class PublishMessageIn(_MessageIn):
    time_to_live: int = Field(
        default=0,
        ge=0,
        le=7 * 24 * 3600 * 1000,
        description="Without an instance or business key: how long (ms) the message waits "
        "for an instance to subscribe when none waits yet (0: kept for the settling "
        "window, BATON_MESSAGE_SETTLE_SECONDS, since visibility lags behind a subscription).",
    )


class PublishedOut(Wire):
    process_instance_ids: list[str] = Field(
        description="Instances the message was sent to (or started)."
    )
    buffered: bool = Field(
        default=False, description="True when it waits in the buffer for its time-to-live."
    )


class SignalIn(Wire):
    signal_name: str = Field(min_length=1, max_length=255)
    process_data: Variables = Field(default_factory=dict)


class SignalOut(Wire):
    started: list[str] = Field(description="Instances started by signal start events.")
    signalled: int = Field(description="Running instances the signal was sent to.")


class TopicIn(Wire):
    topic_name: str = Field(min_length=1, max_length=255, description="The service task type.")
    lock_duration: int = Field(ge=1, le=7 * 24 * 3600 * 1000, description="Lock, in ms.")
    variables: list[str] | None = Field(
        default=None, description="Only these process variables (default: all)."
    )


class FetchAndLockIn(Wire):
    worker_id: str = Field(min_length=1, max_length=255)
    max_tasks: int = Field(default=10, ge=1, le=100)
    topics: list[TopicIn] = Field(min_length=1)
    async_response_timeout: int = Field(
        default=0,
        ge=0,
        le=60_000,
        description="Long polling: wait up to this many ms for a task when none is ready.",
    )


class ServiceTaskOut(Wire):
    """A service task waiting for (or locked by) an HTTP worker."""

    id: str
    topic_name: str
    worker_id: str | None = Field(description="Who holds the lock.")
    lock_expiration_time: datetime | None
    process_instance_id: str
    process_definition_key: str | None
    business_key: str | None
    activity_id: str
    retries: int = Field(description="Failures the worker may still report before an incident.")
    error_message: str | None
    error_details: str | None
    created_at: datetime
    process_data: dict[str, Any]
    business_data: dict[str, Any] | None = None
    headers: dict[str, Any] = Field(description="Task headers from the diagram.")


class WorkerIn(Wire):
    worker_id: str = Field(min_length=1, max_length=255, description="Must hold the lock.")


class CompleteServiceTaskIn(WorkerIn):
    process_data: Variables = Field(default_factory=dict)
    business_data: Variables | None = Field(
        default=None, description="Fields to change in the business data (null removes one)."
    )


class ServiceTaskFailureIn(WorkerIn):
    error_message: str = Field(min_length=1, max_length=10_000)
    error_details: str | None = Field(default=None, max_length=100_000)
    retries: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Retries left: 0 opens an incident; omitted keeps the current count "
        "(an omitted field never opens an incident).",
    )
    retry_timeout: int = Field(
        default=0, ge=0, le=7 * 24 * 3600 * 1000, description="ms before it can be fetched again."
    )


class BpmnErrorIn(WorkerIn):
    error_code: str = Field(min_length=1, max_length=255)
    error_message: str | None = Field(default=None, max_length=10_000)


class ExtendLockIn(WorkerIn):
    new_duration: int = Field(ge=1, le=7 * 24 * 3600 * 1000, description="ms from now.")
