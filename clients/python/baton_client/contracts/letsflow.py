"""The documented interface of the ``LetsflowProcess`` workflow: one LetsFlow process
run as a state machine, separate from ``BpmnProcess``. Pydantic models only, so the
module is safe inside the workflow sandbox; any Temporal SDK client can drive a process
with these names and shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

WORKFLOW_NAME = "LetsflowProcess"
STEP = "step"  # update: one action; answers the process (a skipped event is still recorded)
READY = "ready"  # update: answers the process once it is instantiated
PROCESS_QUERY = "process"  # query: the whole LetsFlow process document


class Rejection(StrEnum):
    """The ``type`` of the ``ApplicationError`` a ``LetsflowProcess`` update raises to
    refuse a step; clients (and ``operations/calls.py``) match on these values."""

    NOT_READY = "NotReady"  # the process is not instantiated yet
    PROCESS_ENDED = "ProcessEnded"  # an ended process takes no more steps


LOAD_SCENARIO = "letsflow.load_scenario"
PROJECT_PROCESS = "letsflow.project_process"
NOTIFY_SERVICE = "letsflow.notify_service"


class ProcessStart(BaseModel):
    """Workflow input. The scenario is named by its content address and loaded by a
    local activity (cached per worker), never carried in the history."""

    process_id: str
    scenario_id: str
    actors: dict[str, dict[str, Any]] | None = None
    vars: dict[str, Any] | None = None


class StepCommand(BaseModel):
    action: str = Field(description="Action key, or '<state>.<action>'.")
    actor: dict[str, Any] = Field(description="{key, id?, roles?}: who acts, as which actor.")
    response: Any = None
    has_response: bool = Field(
        default=False, description="False: no response given (the schema default applies)."
    )


class StepResult(BaseModel):
    process: dict[str, Any]
    skipped: bool
    errors: list[str] = Field(default_factory=list)


class Notification(BaseModel):
    """One ``current.notify`` entry to deliver to a service, with the process as sent."""

    process_id: str
    service: str
    message: Any = None
    trigger: str | None = None
    process: dict[str, Any]


class ServiceReply(BaseModel):
    """What the service answered: a response to step with, or nothing (asynchronous: the
    service steps later through the API)."""

    respond: bool = False
    response: Any = None


class ProcessProjection(BaseModel):
    """The read-model row the workflow writes after each event."""

    id: str
    revision: int
    scenario_id: str
    scenario_name: str | None
    title: str
    tags: list[str]
    state: str
    is_running: bool
    summary: dict[str, Any]
    created: datetime
    last_updated: datetime
    participants: list[tuple[str, str]]
