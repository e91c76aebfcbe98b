"""The intermediate representation the interpreter runs.

The IR is data, not code: pydantic models that serialise to canonical JSON, identified by
the sha256 of that JSON. ``IR_VERSION`` changes whenever a field changes meaning, so a
stored definition can always be migrated or rejected explicitly.

This module imports only pydantic and the stdlib: the workflow sandbox loads it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expression(_Frozen):
    """A value written in the diagram: a literal, or an expression in its own language.

    ``language`` keeps the dialect's choice (FEEL for ``=…`` in Zeebe, JUEL for ``${…}`` in
    Camunda 7) so the evaluator never guesses.
    """

    language: Literal["literal", "feel", "juel"]
    source: str


class _NodeBase(_Frozen):
    id: str
    name: str | None = None
    incoming: list[str] = Field(default_factory=list)
    outgoing: list[str] = Field(default_factory=list)
    line: int | None = None


class StartEvent(_NodeBase):
    kind: Literal["startEvent"] = "startEvent"


class EndEvent(_NodeBase):
    kind: Literal["endEvent"] = "endEvent"


class ServiceTask(_NodeBase):
    """Work done by an activity named ``task_type`` (any Temporal worker may serve it)."""

    kind: Literal["serviceTask"] = "serviceTask"
    task_type: str
    retries: int = 3
    headers: dict[str, str] = Field(default_factory=dict)
    external: bool = Field(
        default=False, description="Camunda 7 external task / Zeebe job: served out of process."
    )


class UserTask(_NodeBase):
    """A human step: a wait state completed through the ``complete_user_task`` update."""

    kind: Literal["userTask"] = "userTask"
    assignee: Expression | None = None
    candidate_users: list[Expression] = Field(default_factory=list)
    candidate_groups: list[Expression] = Field(default_factory=list)
    form_key: str | None = None
    due_date: Expression | None = None
    priority: Expression | None = None


Node = Annotated[StartEvent | EndEvent | ServiceTask | UserTask, Field(discriminator="kind")]


class SequenceFlow(_Frozen):
    id: str
    source: str
    target: str
    name: str | None = None
    condition: Expression | None = None


class ProcessDefinition(_Frozen):
    """One executable process: its elements and the flows between them."""

    ir_version: int = IR_VERSION
    key: str = Field(description="The BPMN process id; definitions are versioned per key.")
    name: str | None = None
    nodes: dict[str, Node]
    flows: dict[str, SequenceFlow]
    start_nodes: list[str] = Field(description="None start events, where an instance begins.")

    def canonical_json(self) -> bytes:
        """Stable JSON (sorted keys, no whitespace) whose hash identifies the definition."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        ).encode()

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()
