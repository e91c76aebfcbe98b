"""SQLAlchemy tables: deployed definitions and the read models the workflow projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Definition(Base):
    """One version of one process key. Same content redeployed keeps its version."""

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_definition_key_version"),
        Index("ix_definition_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    resource_name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    ir_version: Mapped[int]
    xml: Mapped[str] = mapped_column(Text)
    ir: Mapped[str] = mapped_column(Text, doc="Canonical JSON of the ProcessDefinition IR.")
    created_at: Mapped[datetime]


class DecisionDefinition(Base):
    """One version of one DMN decision (its id is the key), from a deployed ``.dmn`` file.

    Versioned as Camunda 7 versions decision definitions: a decision gets a new version
    when the file it comes from changed; the same file again keeps every version. The
    whole file is kept with each decision (a decision needs its required decisions,
    knowledge models and item definitions, which live in the same file)."""

    __tablename__ = "decision_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_decision_key_version"),
        Index("ix_decision_deployment", "deployment_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), doc="Of the file's bytes.")
    name: Mapped[str | None] = mapped_column(String(255))
    version_tag: Mapped[str | None] = mapped_column(String(255))
    #: the ``<definitions>`` id: Camunda's decision requirements definition key
    requirements_key: Mapped[str | None] = mapped_column(String(255))
    resource_name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    xml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class InstanceRecord(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_instance_key_state", "definition_key", "state"),
        Index("ix_instance_business_key", "business_key"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition_key: Mapped[str] = mapped_column(String(255))
    definition_version: Mapped[int]
    business_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(BigInteger)  # grows with workflow time


class TaskRecord(Base):
    __tablename__ = "user_tasks"
    __table_args__ = (
        Index("ix_task_assignee_state", "assignee", "state", "created"),
        Index("ix_task_state_created", "state", "created"),
        Index("ix_task_instance", "process_instance_id"),
        Index("ix_task_key_state", "definition_key", "state", "created"),
        Index("ix_task_business_key", "business_key"),
        Index("ix_task_state_due", "state", "due"),
        Index("ix_task_created", "created", "id"),  # "all open, newest first", by index
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_instance_id: Mapped[str] = mapped_column(String(255))
    definition_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(255))
    candidate_users: Mapped[list[str]] = mapped_column(JSON)
    candidate_groups: Mapped[list[str]] = mapped_column(JSON)
    form_key: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[int]
    due: Mapped[datetime | None]
    created: Mapped[datetime]
    ended: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    delegation_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger)  # grows with workflow time


class IncidentRecord(Base):
    """Read model of incidents across instances: what operators list and retry."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incident_open", "resolved", "created"),
        Index("ix_incident_instance", "process_instance_id"),
        Index("ix_incident_key", "definition_key", "resolved"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_instance_id: Mapped[str] = mapped_column(String(255))
    definition_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    created: Mapped[datetime]
    resolved: Mapped[bool]
    revision: Mapped[int] = mapped_column(BigInteger)  # grows with workflow time
    #: Camunda 7's incident type (``failedJob`` / ``failedExternalTask``); null in rows
    #: written before it was kept, read as ``failedJob``
    incident_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the external task's id for ``failedExternalTask`` (Camunda's ``configuration``)
    configuration: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: when it closed, in workflow time (Camunda's historic ``endTime``)
    ended: Mapped[datetime | None] = mapped_column(nullable=True)
    #: closed with its instance rather than by a retry (Camunda's historic ``deleted``)
    deleted: Mapped[bool | None] = mapped_column(nullable=True)


#: Task states an inbox lists by default: the task still waits for someone.
OPEN_TASK_STATES = ("CREATED", "ASSIGNED", "SUSPENDED")


class TaskCandidate(Base):
    """One candidate user or group of a task, so "tasks group G may claim" is an index
    lookup rather than a scan of JSON lists. Candidates are fixed when a task is created.

    ``claimable`` (open and nobody's yet) and ``created`` are copied from the task each
    time the projection writes it, so the group inbox, its page and its total, is read
    from one index range without touching the tasks table
    (``store.queries.list_tasks``)."""

    __tablename__ = "user_task_candidates"
    __table_args__ = (
        PrimaryKeyConstraint("task_id", "kind", "value"),
        Index("ix_candidate_lookup", "kind", "value", "task_id"),
        Index("ix_candidate_inbox", "kind", "value", "claimable", "created", "task_id"),
    )

    task_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), doc="user or group")
    value: Mapped[str] = mapped_column(String(255))
    claimable: Mapped[bool | None] = mapped_column(doc="the task is open and unassigned")
    created: Mapped[datetime | None] = mapped_column(doc="the task's creation time")


class BusinessData(Base):
    """The data-model store: an instance's business data, kept apart from the process
    variables that drive the engine (the instance holds only the reference)."""

    __tablename__ = "business_data"

    ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(255))


class ExternalTaskRecord(Base):
    """A service task offered to HTTP workers (fetch-and-lock). The Temporal activity that
    runs it completes asynchronously: ``task_token`` is its handle. A lock is a lease in
    this table; when it expires, the task can be fetched again."""

    __tablename__ = "external_tasks"
    __table_args__ = (
        UniqueConstraint("workflow_id", "activity_id", "attempt", name="uq_external_attempt"),
        Index("ix_external_fetch", "topic", "available_at", "created"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    topic: Mapped[str] = mapped_column(String(255))
    task_token: Mapped[str] = mapped_column(Text, doc="base64 of the activity's task token")
    workflow_id: Mapped[str] = mapped_column(String(255))
    activity_id: Mapped[str] = mapped_column(String(255))
    attempt: Mapped[int]
    process_instance_id: Mapped[str] = mapped_column(String(255))
    definition_key: Mapped[str | None] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]]
    headers: Mapped[dict[str, Any]]
    retries: Mapped[int] = mapped_column(doc="Failures the worker may still report.")
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    lock_owner: Mapped[str | None] = mapped_column(String(255))
    lock_expiration: Mapped[datetime | None]
    available_at: Mapped[datetime] = mapped_column(
        doc="Fetchable from then on: creation, a retry timeout's end, or a lock's expiry."
    )
    created: Mapped[datetime]
    priority: Mapped[int | None] = mapped_column(
        BigInteger,
        nullable=True,
        doc="Camunda's task priority (null: 0); fetch-and-lock may order by it.",
    )


class BufferedMessage(Base):
    """A published message no instance waited for yet, kept until its time-to-live ends
    (Zeebe's message buffer): delivered to the first instance that subscribes."""

    __tablename__ = "buffered_messages"
    __table_args__ = (Index("ix_buffered_expiry", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]]
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    expires_at: Mapped[datetime]
    created: Mapped[datetime]
    #: a sweeper is delivering it until then (a dead sweeper's claim runs out)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)


class MessageFanOut(Base):
    """A message addressed to the running instances of a business key, kept for a
    settling window after it was published: instances started before it whose business
    key Temporal's visibility (or the read model) shows only later still get it. Each
    instance deduplicates by ``message_id``; ``delivered_to`` spares repeat signals."""

    __tablename__ = "message_fanouts"
    __table_args__ = (Index("ix_fanout_until", "deliver_until"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    variables: Mapped[dict[str, Any]]
    message_id: Mapped[str] = mapped_column(String(255))
    published: Mapped[datetime]
    deliver_until: Mapped[datetime]
    delivered_to: Mapped[list[str]] = mapped_column(JSON)


class AuditRecord(Base):
    """One mutating call or one refused call, as the API saw it. Append-only: the store
    has no function that updates or deletes a row, and the API no route that would."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_subject_at", "subject", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    request_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255), doc="None: unauthenticated")
    roles: Mapped[list[str]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(255), doc="the route's path template")
    path: Mapped[str] = mapped_column(String(2048))
    resource_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(8), doc="allowed, denied or failed")


class ApiKeyRecord(Base):
    """A LetsFlow-style API key. Only the token's sha256 is kept: the token is 178 random
    bits, so a fast hash is as safe as a slow one and lets every request be checked by an
    index lookup. Revoking sets ``revoked``; rows are never deleted (the audit refers to
    them)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    privileges: Mapped[list[str]] = mapped_column(JSON)
    processes: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, doc="LetsFlow scope: [{scenario, actors?, actions?}]; None: unrestricted"
    )
    service: Mapped[str | None] = mapped_column(String(255), doc="newer LetsFlow scope")
    issued: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(255))
    expiration: Mapped[datetime | None]
    last_used: Mapped[datetime | None]
    revoked: Mapped[datetime | None]


class ScenarioRecord(Base):
    """A stored LetsFlow scenario, content-addressed: the id is the UUIDv5 of its
    normalized form, so storing the same content again finds this row. Disabling hides
    it from lists and new processes; running processes and GET by id are unaffected."""

    __tablename__ = "letsflow_scenarios"
    __table_args__ = (Index("ix_scenario_name", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    normalized: Mapped[dict[str, Any]] = mapped_column(JSON, doc="without its id")
    disabled: Mapped[bool]
    created: Mapped[datetime]


class LetsflowProcessRecord(Base):
    """Read model of a LetsFlow process, written by the scenario workflow after each
    accepted event; the workflow's query is the source of truth."""

    __tablename__ = "letsflow_processes"
    __table_args__ = (Index("ix_lf_process_created", "created"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(doc="events seen; older writes never win")
    scenario_id: Mapped[str] = mapped_column(String(36))
    scenario_name: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(1024))
    tags: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(255))
    is_running: Mapped[bool]
    summary: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="scenario {id,title,description}, actors"
    )
    created: Mapped[datetime]
    last_updated: Mapped[datetime]


class LetsflowParticipant(Base):
    """Who takes part in a process (actor user ids and roles), so "my processes" is an
    index lookup rather than a scan of JSON."""

    __tablename__ = "letsflow_participants"
    __table_args__ = (
        PrimaryKeyConstraint("process_id", "kind", "value"),
        Index("ix_lf_participant", "kind", "value", "process_id"),
    )

    process_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("letsflow_processes.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(8), doc="user, role or service")
    value: Mapped[str] = mapped_column(String(255))


class CacheEpoch(Base):
    """One counter per cache name. ``refreshCache`` bumps it; every worker compares it with
    the value its in-memory caches were filled under and drops them when it moved, so one
    call reaches every replica without a message bus."""

    __tablename__ = "cache_epochs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    epoch: Mapped[int]


class CaseRecord(Base):
    """A case's current status (Eximee Case Repository). Every change is also appended to
    ``case_status_history``."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_case_client", "client_id", "client_type"),
        Index("ix_case_business_key", "business_key"),
        Index("ix_case_type", "case_type", "creation_date"),
    )

    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str | None] = mapped_column(String(255))
    client_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(255))
    status_description: Mapped[str | None] = mapped_column(Text)
    business_key: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(255))
    creation_date: Mapped[datetime]
    update_date: Mapped[datetime]


class CaseStatusChange(Base):
    """One entry of a case's status history, append-only."""

    __tablename__ = "case_status_history"
    __table_args__ = (Index("ix_case_history", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), ForeignKey("cases.case_id"))
    status: Mapped[str] = mapped_column(String(255))
    status_description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(255))
    changed_by: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime]


class ReceivedEvent(Base):
    """A domain event taken by ``POST /v1/events``, kept by its id so a repeat is
    answered with the first outcome instead of being delivered twice."""

    __tablename__ = "received_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    received: Mapped[datetime]
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
