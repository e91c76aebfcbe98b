"""Request and response bodies of the Eximee BPMS API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from bpmn_compiler import Diagnostic
from store.definitions import DeployedDefinition

T = TypeVar("T")


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
    warnings: list[DiagnosticOut]


class StartInstanceIn(Wire):
    process_definition_key: str = Field(min_length=1)
    version: int | None = Field(default=None, ge=1, description="Omit for the latest version.")
    business_key: str | None = Field(default=None, max_length=255)
    process_data: dict[str, Any] = Field(
        default_factory=dict, description="Process variables: they drive the engine."
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


class InstanceDetailOut(InstanceOut):
    current_activities: list[ActivityOut]
    process_data: dict[str, Any]
    incidents: list[IncidentOut]


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


class PageOut(Wire, Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int


class CompleteTaskIn(Wire):
    process_data: dict[str, Any] = Field(default_factory=dict)
    with_variables_in_return: bool = False


class CompleteTaskOut(Wire):
    task_id: str
    process_instance_id: str
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
    process_data: dict[str, Any] = Field(
        default_factory=dict, description="Variables to set before the element runs again."
    )
    attempts: int | None = Field(
        default=None, ge=1, description="Attempts for this run (default: the diagram's)."
    )


class ResolveIncidentIn(Wire):
    process_data: dict[str, Any] = Field(
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
    process_data: dict[str, Any] = Field(default_factory=dict)
