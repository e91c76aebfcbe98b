"""The intermediate representation the interpreter runs.

The IR is data, not code: frozen pydantic models that serialise to canonical JSON and are
identified by the sha256 of that JSON. It holds everything the interpreter needs and
nothing it must re-derive: every reference is resolved (messages, signals, errors,
escalations, default flows, boundary attachments, compensation handlers), every value
keeps the language it was written in, and every element knows its scope.

``IR_VERSION`` changes whenever a field changes meaning, so a stored definition is always
migrated or rejected explicitly. This module imports only pydantic and the stdlib: the
workflow sandbox loads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping as AnyMapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

IR_VERSION = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------ values


class Expression(_Frozen):
    """A value written in the diagram: a literal, or an expression in its own language.

    ``language`` keeps the dialect's choice (FEEL for ``=…`` in Zeebe, JUEL for ``${…}`` in
    Camunda 7, JavaScript where the diagram's ``language`` attribute says so) so the
    evaluator never guesses.
    """

    language: Literal["literal", "feel", "juel", "javascript"]
    source: str


class ListValue(_Frozen):
    """``camunda:list``: a list whose items are values."""

    kind: Literal["list"] = "list"
    items: list[Value]


class MapValue(_Frozen):
    """``camunda:map``: string keys to values."""

    kind: Literal["map"] = "map"
    entries: dict[str, Value]


class Script(_Frozen):
    """A script task's or listener's script in its ``scriptFormat``.

    The interpreter hands it to an activity named ``script.<format>`` (groovy, python, …:
    a worker serves it); a script task's JavaScript runs in Baton's own
    ``baton.javascript`` instead (``expressions/javascript.py``). FEEL and JUEL scripts
    are compiled to :class:`Expression` and run in the workflow.
    """

    kind: Literal["script"] = "script"
    format: str
    source: str | None = None
    resource: str | None = None


Value = Expression | ListValue | MapValue | Script


class Mapping(_Frozen):
    """One input or output mapping: ``target`` receives ``source`` (None = null)."""

    target: str
    source: Value | None = None


# ---------------------------------------------------------- event definitions


class MessageEventDefinition(_Frozen):
    kind: Literal["message"] = "message"
    message_ref: str | None = None
    message_name: Expression | None = None
    correlation_key: Expression | None = None


class TimerEventDefinition(_Frozen):
    """ISO-8601 date, duration, or repeating cycle (``R3/PT10M``), or a cron cycle."""

    kind: Literal["timer"] = "timer"
    timer: Literal["date", "duration", "cycle"]
    value: Expression


class SignalEventDefinition(_Frozen):
    kind: Literal["signal"] = "signal"
    signal_ref: str | None = None
    signal_name: Expression | None = None


class ErrorEventDefinition(_Frozen):
    """On a catch event, ``error_code`` None catches every error (catch-all)."""

    kind: Literal["error"] = "error"
    error_ref: str | None = None
    error_code: str | None = None
    error_name: str | None = None
    error_message: str | None = None
    code_variable: str | None = None
    message_variable: str | None = None


class EscalationEventDefinition(_Frozen):
    kind: Literal["escalation"] = "escalation"
    escalation_ref: str | None = None
    escalation_code: str | None = None
    escalation_name: str | None = None
    code_variable: str | None = None


class CompensateEventDefinition(_Frozen):
    """``activity_ref`` None compensates every completed activity of the scope."""

    kind: Literal["compensate"] = "compensate"
    activity_ref: str | None = None
    wait_for_completion: bool = True


class ConditionalEventDefinition(_Frozen):
    kind: Literal["conditional"] = "conditional"
    condition: Expression
    variable_name: str | None = None
    variable_events: list[str] = Field(default_factory=list)


class LinkEventDefinition(_Frozen):
    kind: Literal["link"] = "link"
    link_name: str


class TerminateEventDefinition(_Frozen):
    kind: Literal["terminate"] = "terminate"


class CancelEventDefinition(_Frozen):
    kind: Literal["cancel"] = "cancel"


EventDefinition = Annotated[
    MessageEventDefinition
    | TimerEventDefinition
    | SignalEventDefinition
    | ErrorEventDefinition
    | EscalationEventDefinition
    | CompensateEventDefinition
    | ConditionalEventDefinition
    | LinkEventDefinition
    | TerminateEventDefinition
    | CancelEventDefinition,
    Field(discriminator="kind"),
]


# ------------------------------------------------------------ loops, listeners


class MultiInstance(_Frozen):
    """``multiInstanceLoopCharacteristics`` with Camunda 7 and Zeebe extensions merged."""

    kind: Literal["multiInstance"] = "multiInstance"
    sequential: bool = False
    cardinality: Expression | None = None
    collection: Expression | None = None
    element_variable: str | None = None
    completion_condition: Expression | None = None
    output_collection: str | None = None
    output_element: Expression | None = None


class StandardLoop(_Frozen):
    kind: Literal["standardLoop"] = "standardLoop"
    condition: Expression | None = None
    test_before: bool = False
    maximum: int | None = None


LoopCharacteristics = Annotated[MultiInstance | StandardLoop, Field(discriminator="kind")]


class Listener(_Frozen):
    """A Camunda 7 execution or task listener, kept so the interpreter can run it."""

    scope: Literal["execution", "task"]
    event: str
    implementation: Implementation


# ------------------------------------------------------------- implementations


class Implementation(_Frozen):
    """How a service-like task (service, send, business-rule, script, listener) runs.

    * ``activity``: a Temporal activity named ``task_type`` (Zeebe job type, Camunda
      external-task topic, Java class or delegate-expression name);
    * ``expression``: evaluated in the workflow (``camunda:expression``, FEEL script);
    * ``script``: an activity named ``script.<format>`` runs ``script``;
    * ``decision``: the DMN decision ``decision_ref``, evaluated in the workflow;
    * ``none``: nothing to run (Camunda 7 ``camunda:class`` absent on a send task etc.).
    """

    kind: Literal["activity", "expression", "script", "decision", "none"]
    task_type: str | None = None
    external: bool = False
    retries: int = 3
    retry_backoff: str | None = Field(
        default=None, description="ISO-8601 duration between attempts (Camunda 7 cycles)."
    )
    headers: dict[str, str] = Field(default_factory=dict)
    expression: Expression | None = None
    script: Script | None = None
    decision_ref: Expression | None = None
    #: Camunda 7's ``decisionRefBinding`` (None: latest) with its version or version tag
    decision_binding: str | None = None
    decision_version: str | None = None
    decision_version_tag: str | None = None
    result_variable: str | None = None
    map_decision_result: str | None = None
    inputs: list[Mapping] = Field(
        default_factory=list, description="Connector-level mappings (camunda:connector)."
    )
    outputs: list[Mapping] = Field(default_factory=list)


# ------------------------------------------------------------------- nodes


class _NodeBase(_Frozen):
    id: str
    name: str | None = None
    scope: str | None = Field(
        default=None, description="Id of the enclosing sub-process; None for the process."
    )
    incoming: list[str] = Field(default_factory=list)
    outgoing: list[str] = Field(default_factory=list)
    line: int | None = None
    listeners: list[Listener] = Field(default_factory=list)


class _ActivityBase(_NodeBase):
    """Everything that is an activity: tasks, sub-processes, call activities."""

    default_flow: str | None = None
    loop: LoopCharacteristics | None = None
    inputs: list[Mapping] = Field(default_factory=list)
    outputs: list[Mapping] = Field(default_factory=list)
    async_before: bool = False
    async_after: bool = False
    boundary_events: list[str] = Field(default_factory=list)
    is_for_compensation: bool = False
    compensation_handler: str | None = None


class StartEvent(_NodeBase):
    kind: Literal["startEvent"] = "startEvent"
    event: EventDefinition | None = None
    interrupting: bool = True
    outputs: list[Mapping] = Field(default_factory=list)
    initiator: str | None = Field(default=None, description="camunda:initiator variable.")


class EndEvent(_NodeBase):
    kind: Literal["endEvent"] = "endEvent"
    event: EventDefinition | None = None
    inputs: list[Mapping] = Field(default_factory=list)
    implementation: Implementation | None = Field(
        default=None, description="Message end events that run a job (Zeebe)."
    )


class IntermediateCatchEvent(_NodeBase):
    kind: Literal["intermediateCatchEvent"] = "intermediateCatchEvent"
    event: EventDefinition
    outputs: list[Mapping] = Field(default_factory=list)


class IntermediateThrowEvent(_NodeBase):
    """A throw event; ``event`` None is a pass-through (none) intermediate event."""

    kind: Literal["intermediateThrowEvent"] = "intermediateThrowEvent"
    event: EventDefinition | None = None
    inputs: list[Mapping] = Field(default_factory=list)
    implementation: Implementation | None = None


class BoundaryEvent(_NodeBase):
    kind: Literal["boundaryEvent"] = "boundaryEvent"
    attached_to: str
    cancel_activity: bool = True
    event: EventDefinition
    outputs: list[Mapping] = Field(default_factory=list)


class Task(_ActivityBase):
    """Abstract ``task`` and ``manualTask``: complete at once."""

    kind: Literal["task"] = "task"
    manual: bool = False


class ServiceTask(_ActivityBase):
    """``serviceTask``, ``sendTask`` and ``businessRuleTask``: run ``implementation``."""

    kind: Literal["serviceTask"] = "serviceTask"
    task: Literal["service", "send", "businessRule"] = "service"
    implementation: Implementation
    message_ref: str | None = Field(default=None, description="Send tasks: the message sent.")


class ScriptTask(_ActivityBase):
    kind: Literal["scriptTask"] = "scriptTask"
    implementation: Implementation


class UserTask(_ActivityBase):
    """A human step: a wait state completed through the ``complete_user_task`` update."""

    kind: Literal["userTask"] = "userTask"
    assignee: Expression | None = None
    candidate_users: list[Expression] = Field(default_factory=list)
    candidate_groups: list[Expression] = Field(default_factory=list)
    form_key: str | None = None
    due_date: Expression | None = None
    follow_up_date: Expression | None = None
    priority: Expression | None = None


class ReceiveTask(_ActivityBase):
    kind: Literal["receiveTask"] = "receiveTask"
    event: MessageEventDefinition


class CallActivity(_ActivityBase):
    """Starts ``called_element`` as a child workflow and waits for it."""

    kind: Literal["callActivity"] = "callActivity"
    called_element: Expression
    binding: Literal["latest", "deployment", "version", "versionTag"] = "latest"
    version: str | None = None
    business_key: Expression | None = None
    propagate_all_child_variables: bool = False
    propagate_all_parent_variables: bool = False
    in_mappings: list[Mapping] = Field(default_factory=list)
    out_mappings: list[Mapping] = Field(default_factory=list)


class SubProcess(_ActivityBase):
    """Embedded, event, transaction or ad-hoc sub-process: a scope of its own."""

    kind: Literal["subProcess"] = "subProcess"
    variant: Literal["embedded", "event", "transaction", "adHoc"] = "embedded"
    children: list[str] = Field(default_factory=list)
    start_nodes: list[str] = Field(default_factory=list)
    event_subprocesses: list[str] = Field(default_factory=list)
    completion_condition: Expression | None = Field(
        default=None, description="Ad-hoc sub-processes only."
    )
    ordering: Literal["parallel", "sequential"] = "parallel"


class Gateway(_NodeBase):
    kind: Literal["gateway"] = "gateway"
    gateway: Literal["exclusive", "parallel", "inclusive", "eventBased"]
    default_flow: str | None = None
    instantiate: bool = Field(default=False, description="Event-based gateways that start.")


Node = Annotated[
    StartEvent
    | EndEvent
    | IntermediateCatchEvent
    | IntermediateThrowEvent
    | BoundaryEvent
    | Task
    | ServiceTask
    | ScriptTask
    | UserTask
    | ReceiveTask
    | CallActivity
    | SubProcess
    | Gateway,
    Field(discriminator="kind"),
]


class SequenceFlow(_Frozen):
    id: str
    source: str
    target: str
    name: str | None = None
    condition: Expression | None = None
    line: int | None = None


# ------------------------------------------------------------- collaboration


class Message(_Frozen):
    id: str
    name: str | None
    correlation_key: Expression | None = None


class Signal(_Frozen):
    id: str
    name: str | None


class Error(_Frozen):
    id: str
    name: str | None
    code: str | None
    message: str | None = None


class Escalation(_Frozen):
    id: str
    name: str | None
    code: str | None


class MessageFlow(_Frozen):
    """A message flow between pools of one deployment (source/target are node ids,
    or a participant id when the flow touches the pool border)."""

    id: str
    source: str
    target: str
    message_ref: str | None = None
    source_process: str | None = None
    target_process: str | None = None
    # x of the points where the flow attaches (BPMN DI): the order an element handles
    # several message flows in
    source_x: float | None = None
    target_x: float | None = None


class Bounds(_Frozen):
    x: float
    y: float
    width: float
    height: float


class Waypoint(_Frozen):
    x: float
    y: float


class Diagram(_Frozen):
    """Positions from BPMN DI, for a viewer that highlights active elements."""

    shapes: dict[str, Bounds] = Field(default_factory=dict)
    edges: dict[str, list[Waypoint]] = Field(default_factory=dict)


class ProcessDefinition(_Frozen):
    """One executable process: its elements, the flows between them, and its catalogues."""

    ir_version: int = IR_VERSION
    key: str = Field(description="The BPMN process id; definitions are versioned per key.")
    name: str | None = None
    version_tag: str | None = None
    nodes: dict[str, Node]
    flows: dict[str, SequenceFlow]
    start_nodes: list[str] = Field(description="Start events of the process level.")
    event_subprocesses: list[str] = Field(default_factory=list)
    messages: dict[str, Message] = Field(default_factory=dict)
    signals: dict[str, Signal] = Field(default_factory=dict)
    errors: dict[str, Error] = Field(default_factory=dict)
    escalations: dict[str, Escalation] = Field(default_factory=dict)
    message_flows: list[MessageFlow] = Field(default_factory=list)
    participant: str | None = Field(default=None, description="The pool showing this process.")
    diagram: Diagram = Field(default_factory=Diagram)
    dialect: Literal["camunda7", "zeebe"] | None = Field(
        default=None,
        description="The engine the file was written for, from the vendor namespace it "
        "declares (Camunda 7 or Activiti: camunda7; Zeebe: zeebe; both or neither: None). "
        "The interpreter follows that engine where the two differ (loopCounter's base).",
    )

    def canonical_json(self) -> bytes:
        """Stable JSON (sorted keys, no whitespace) whose hash identifies the definition.
        ``dialect`` counts only when set, so definitions compiled before it keep their
        hash."""
        exclude = {"dialect"} if self.dialect is None else None
        return json.dumps(
            self.model_dump(mode="json", exclude=exclude), sort_keys=True, separators=(",", ":")
        ).encode()

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def none_start(self) -> str | None:
        """The process-level none start event, where a plain start begins."""
        starts = self.none_starts()
        return starts[0] if starts else None

    def event_starts(self, kind: Literal["message", "signal"], name: str) -> list[str]:
        """Process-level start events that a message or signal of this (literal) name
        triggers: what a correlation or a broadcast from outside starts."""
        found = []
        for node_id in self.start_nodes:
            event = node.event if isinstance(node := self.nodes[node_id], StartEvent) else None
            if kind == "message" and isinstance(event, MessageEventDefinition):
                expr = event.message_name
            elif kind == "signal" and isinstance(event, SignalEventDefinition):
                expr = event.signal_name
            else:
                continue
            if expr is not None and expr.language == "literal" and expr.source == name:
                found.append(node_id)
        return found

    def none_starts(self) -> list[str]:
        return [
            node_id
            for node_id in self.start_nodes
            if isinstance(node := self.nodes[node_id], StartEvent) and node.event is None
        ]


def implicit_starts(nodes: AnyMapping[str, Node], scope: str | None) -> list[str]:
    """Elements of ``scope`` that get a token when it starts although no sequence flow
    leads to them: BPMN's implicit start of a process without start events, which the
    BPMN token simulation applies beside start events too. Boundary events, compensation
    handlers, event sub-processes and link catch events are reached otherwise."""
    return [
        node.id
        for node in nodes.values()
        if node.scope == scope
        and not node.incoming
        and not isinstance(node, StartEvent | BoundaryEvent)
        and not getattr(node, "is_for_compensation", False)
        and not (isinstance(node, SubProcess) and node.variant == "event")
        and not (
            isinstance(node, IntermediateCatchEvent) and isinstance(node.event, LinkEventDefinition)
        )
    ]


ListValue.model_rebuild()
MapValue.model_rebuild()
Mapping.model_rebuild()
Listener.model_rebuild()
Implementation.model_rebuild()
