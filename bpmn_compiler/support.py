"""What Baton supports, as data, and the ``docs/bpmn-support.md`` page rendered from it.

The element table comes from the compiler's own registry, so the page cannot drift from
the code; a test fails when the committed page differs from :func:`render`.
"""

from __future__ import annotations

from bpmn_compiler.elements import IGNORED, REGISTRY

#: (dialect, attribute or element, where, what Baton does with it)
DIALECT_ATTRIBUTES: list[tuple[str, str, str, str]] = [
    (
        "Camunda 7",
        'camunda:type="external" + camunda:topic',
        "service-like tasks",
        "activity named by the topic (external worker)",
    ),
    ("Camunda 7", "camunda:class", "service-like tasks, listeners", "activity named by the class"),
    (
        "Camunda 7",
        "camunda:delegateExpression",
        "service-like tasks, listeners",
        "activity named by the bean (`${name}` → `name`)",
    ),
    (
        "Camunda 7",
        "camunda:expression + camunda:resultVariable",
        "service-like tasks",
        "JUEL evaluated in the workflow",
    ),
    (
        "Camunda 7",
        "camunda:connector (connectorId, inputOutput)",
        "service-like tasks",
        "activity `connector.<id>` with its own mappings",
    ),
    (
        "Camunda 7",
        "camunda:decisionRef, resultVariable, mapDecisionResult",
        "business-rule tasks",
        "decision evaluation",
    ),
    (
        "Camunda 7",
        "camunda:failedJobRetryTimeCycle `R<n>/<duration>`",
        "activities",
        "n attempts, duration between them (default 3)",
    ),
    (
        "Camunda 7",
        "camunda:asyncBefore / async / asyncAfter",
        "activities",
        "kept in the IR (`async_before`, `async_after`)",
    ),
    (
        "Camunda 7",
        "camunda:inputOutput (text, list, map, script)",
        "activities, events",
        "input/output mappings",
    ),
    ("Camunda 7", "camunda:properties", "service-like tasks", "passed to the activity as headers"),
    (
        "Camunda 7",
        "camunda:assignee, candidateUsers, candidateGroups",
        "user tasks",
        "assignment (JUEL or literal, comma lists)",
    ),
    (
        "Camunda 7",
        "camunda:dueDate, followUpDate, priority, formKey",
        "user tasks",
        "task attributes",
    ),
    (
        "Camunda 7",
        "camunda:collection, camunda:elementVariable",
        "multi-instance",
        "collection to iterate",
    ),
    (
        "Camunda 7",
        'camunda:in / camunda:out (source, sourceExpression, target, variables="all", businessKey)',
        "call activities",
        "variable passing",
    ),
    (
        "Camunda 7",
        "camunda:calledElementBinding / Version / VersionTag",
        "call activities",
        "which version is called",
    ),
    (
        "Camunda 7",
        "camunda:executionListener, camunda:taskListener",
        "any element",
        "listeners (class, expression, delegate, script)",
    ),
    ("Camunda 7", "camunda:initiator", "start events", "variable receiving the starting user"),
    (
        "Camunda 7",
        "camunda:errorCodeVariable, errorMessageVariable",
        "error catch events",
        "variables receiving the caught error",
    ),
    (
        "Camunda 7",
        "camunda:variableName, variableEvents",
        "conditional events",
        "which variable changes re-evaluate",
    ),
    (
        "Camunda 7",
        "camunda:resource, camunda:resultVariable",
        "script tasks",
        "external script, result variable",
    ),
    (
        "Camunda 7",
        "Activiti namespace under the `camunda:` prefix",
        "everywhere",
        "read as Camunda 7",
    ),
    (
        "Zeebe",
        "zeebe:taskDefinition type, retries",
        "service-like tasks, message throw events",
        "activity named by the job type; attempts (default 3)",
    ),
    ("Zeebe", "zeebe:taskHeaders", "service-like tasks", "passed to the activity as headers"),
    ("Zeebe", "zeebe:ioMapping input/output", "activities, events", "FEEL input/output mappings"),
    (
        "Zeebe",
        "zeebe:assignmentDefinition assignee, candidateUsers, candidateGroups",
        "user tasks",
        "assignment (FEEL or literal)",
    ),
    (
        "Zeebe",
        "zeebe:formDefinition formKey / formId / externalReference",
        "user tasks",
        "form reference",
    ),
    (
        "Zeebe",
        "zeebe:taskSchedule dueDate, followUpDate; zeebe:priorityDefinition",
        "user tasks",
        "task attributes",
    ),
    (
        "Zeebe",
        "zeebe:calledElement processId, propagateAllChildVariables, propagateAllParentVariables",
        "call activities",
        "called process and variable passing (both default true)",
    ),
    (
        "Zeebe",
        "zeebe:loopCharacteristics inputCollection, inputElement, outputCollection, outputElement",
        "multi-instance",
        "collection in, collection out",
    ),
    ("Zeebe", "zeebe:subscription correlationKey", "messages", "correlation key (FEEL)"),
    (
        "Zeebe",
        "zeebe:script expression, resultVariable",
        "script tasks",
        "FEEL evaluated in the workflow",
    ),
    (
        "Zeebe",
        "zeebe:calledDecision decisionId, resultVariable",
        "business-rule tasks",
        "decision evaluation",
    ),
]

#: What the interpreter runs today, per element (compiling is one step, running another).
#: Update together with workflows/bpmn_process.py; anything absent here is "not yet".
RUNS_TODAY: dict[str, str] = {
    "startEvent": "none start (several: a start names one); signal start (a signal thrown in any instance starts it); a none or message start at the end of a message flow (the sender starts it); message/timer/signal/error/escalation starts of event sub-processes (several per event sub-process)",
    "endEvent": "none, terminate, error and escalation (uncaught: act as a none end), compensation, cancel (transactions), signal (this instance innermost first, then every other instance), message (runs its job; sends along its message flows)",
    "intermediateCatchEvent": "message (name + correlation key, buffered), timer (date, duration, R/cycle), signal, conditional, link",
    "intermediateThrowEvent": "none, link, compensation, signal (this instance innermost first, then every other instance), escalation (uncaught: passes through), message (runs its job; sends along its message flows)",
    "boundaryEvent": "timer (incl. repeating), message, signal: interrupting or not; error and escalation (by code or catch-all); compensation handlers; cancel on transactions",
    "task": "yes; sends and waits along its message flows in diagram order; standard loops",
    "manualTask": "yes",
    "serviceTask": "activity (type/topic/class/delegate; retries, incidents, BpmnError), expression + resultVariable (a Spring-bean call `${bean.method(args)}` runs as activity `bean:bean.method`), input/output mappings, standard loops",
    "sendTask": "like a service task; a bare messageRef passes through",
    "scriptTask": "FEEL/JUEL in the workflow (resultVariable); JavaScript in Baton's embedded engine (execution.setVariable, resultVariable; bounded); other languages as activity script.<format> (a deploy warning says so)",
    "userTask": "yes (assignee — also from a bean call —, candidates, priority, due date, form key; claim, assign, delegate, resolve; cancelled by boundary/terminate); standard loops",
    "receiveTask": "yes (message name + correlation key)",
    "subProcess": "embedded and event sub-processes (interrupting or not), multi-instance, standard loops; several none starts and elements without incoming flow start with it",
    "callActivity": "child workflow of the latest (or given) version; in/out mappings, propagation",
    "transaction": "cancel end event compensates, then leaves by the cancel boundary",
    "adHocSubProcess": "empty ones complete at once; with content: not yet (incident)",
    "exclusiveGateway": "yes: FEEL, JUEL or JavaScript conditions, default flow; no match or a non-boolean condition is an incident; no outgoing flow at all is an implicit end",
    "parallelGateway": "fork and join",
    "inclusiveGateway": "fork (conditions, default) and join (waits only for tokens that can still arrive)",
    "eventBasedGateway": "message, timer, signal and receive-task targets; the first wins",
}

VALUE_RULES = [
    "Zeebe values starting with `=` are FEEL; Camunda 7 values containing `${…}` or `#{…}` are JUEL; anything else is a literal.",
    "Conditions, timers and loop cardinalities in standard BPMN elements follow the same rule, so one file may mix dialects.",
    "Timers: ISO-8601 dates (`2026-12-24T18:00:00Z`), durations (`PT5M`, `P1DT2H`), repeating intervals (`R3/PT10M`, `R/2026-01-01T00:00:00Z/P1D`) and, for cycles, cron expressions; literal values are checked at deploy time.",
    "Script tasks in `juel` or `feel` run in the workflow; `javascript` (also `js`, `ecmascript`, …) runs in Baton's embedded JavaScript engine (docs/expressions.md); other formats (`groovy`, `python`, …) run as activity `script.<format>`, served by any worker that speaks the language, and deploying one says so in a warning.",
    'A `language="javascript"` on a condition (or the file\'s `expressionLanguage`) makes it JavaScript, evaluated in the workflow.',
]

#: Where Camunda 7 and Zeebe differ, a diagram runs the way its own engine runs it
#: (``ProcessDefinition.dialect``; semantic epoch 4 for what the interpreter changed).
ENGINE_RULES = [
    "The compiler records the engine a file was written for (`ProcessDefinition.dialect`) from the vendor namespaces declared where the process is: Camunda 7's (`http://camunda.org/schema/1.0/bpmn`, or Activiti's, which Camunda 7 reads as its own) and not Zeebe's makes it `camunda7`; Zeebe's (`http://camunda.org/schema/zeebe/1.0`) and not Camunda 7's makes it `zeebe`; both or neither leave it generic, which runs as Zeebe does.",
    "Multi-instance loop variables: in `camunda7` diagrams `loopCounter` counts from 0, `nrOfActiveInstances` is the instances not yet completed (all of them at first in a parallel loop, always 1 in a sequential one); in other diagrams `loopCounter` counts from 1 and `nrOfActiveInstances` is the instances started and not yet completed when an instance starts. `nrOfInstances` and `nrOfCompletedInstances` mean the same in both.",
    "A plain number in `loopCardinality` (`<loopCardinality>3</loopCardinality>`, how most Camunda 7 diagrams write it) is that number.",
    "Compensating a multi-instance activity (other than a sub-process) runs its compensation handler once per completed instance, the most recent first, each with that instance's `loopCounter`, element variable and counters, as Camunda 7 does.",
    '`fire_timer` (an operator\'s "execute job now") releases one token waiting at the timer element; with several tokens there, each request releases the next one.',
    "These came with semantic epoch 4 (`workflows/semantics.py`); instances started before it keep the old behaviour (1-based counter, literal cardinality an incident, handler once, one request releasing every token) to their end.",
]

#: Deploy-time rules taken from Camunda 7's parser (its engine tests deploy these files)
CAMUNDA7_DEPLOY_RULES = [
    "An `errorRef` that names no `<error>` is the error code itself (warning `unknown-reference`, with a did-you-mean hint).",
    "An event-based gateway with a single outgoing flow is deployed (warning); with none it is refused.",
    "A message throw event whose `messageRef` names no message is deployed (warning): Camunda 7 never resolves it; its delegate, if any, sends what it sends.",
    "An empty script (`<script></script>`) does nothing; its result variable, if any, gets null (warning `empty-script`). A script task without `<script>` or `camunda:resource` is still refused.",
    "Scripts in JVM-only languages (`groovy`, `python`/`jython`, `ruby`/`jruby`) run as activity `script.<language>`: warning `script-needs-worker` says a worker serving that language must run.",
    "An event sub-process without an id gets one from its position: `<scope>-eventSubProcess-<n>` (warning `missing-id`).",
    "CMMN is not supported: a call activity with `camunda:caseRef` is refused with `cmmn-not-supported`.",
    'Camunda 7\'s built-in Java task types are not supported: `camunda:type="mail"` and `"shell"` are refused with `unsupported-task-type`, naming the type (any other `camunda:type` but `external` too, as Camunda 7 refuses it). Conditions in a JVM-only script language (`language="groovy"` …) are refused with `unsupported-expression-language`.',
    "A `timeDate` holding a duration (`PT10M`) runs as that duration from the moment the timer starts, as Camunda 7's due-date calendar reads it (warning `timer-date-is-duration`).",
    "Refused, as Camunda 7's parser refuses them (error code in brackets): a catching message event or receive task whose message has an empty or missing name [`message-without-name`]; a `${…}`/`#{…}` expression in the message name of a process's message start event (event sub-processes and catch events may use one) [`message-start-expression`]; two subscriptions to one message or signal name in one scope — the start events of a process, the start events of the interrupting event sub-processes of one scope, the boundary events of one activity, the events after one event-based gateway — and two conditional start events with the same condition [`duplicate-subscription`, on the second; two process start events on one signal are an error in Camunda 7 files only, as a signal reaches both and each starts an instance]; two `<signal>`s with one name [`duplicate-signal-name`]; a `<signal>` without id [`signal-without-id`]; an error end event without `errorRef`, or whose error has no `errorCode` [`error-end-without-code`]; `camunda:formKey` together with `camunda:formRef` [`form-key-and-ref`]; a `camunda:formRefBinding` other than deployment, latest, version [`invalid-form-binding`]; a `camunda:jobPriority`/`taskPriority` that is neither a whole number nor an expression [`invalid-priority`]; a `camunda:mapDecisionResult` other than singleEntry, singleResult, collectEntries, resultList [`invalid-decision-result-mapping`].",
    "Those rules are errors in an executable process of a file written for Camunda 7 or for no engine in particular (a Zeebe file gets warnings). The empty message name and the error end event without code are errors only in Camunda 7 files: other tools' documentation models (the MIWG test suite) leave messages and errors bare.",
    "Measured against Camunda 7's own engine tests (../shared/corpora/camunda7-engine, 1,042 diagrams; `tests/compiler/test_camunda7_corpus_fidelity.py` reads the Java tests to learn which deployments are expected to fail): 26 of the 27 diagrams those tests expect to be refused are refused (8 before these rules); the one deployed, with a warning, has two start events on one signal and declares no Camunda namespace, so it runs as BPMN has it (each start event starts an instance). Of the others, Baton refuses 52: 47 for a feature it names as unsupported (31 CMMN case calls, 13 mail tasks, 3 Groovy conditions) and 5 for a listed reason (an invalid timer literal and a prose condition that Camunda 7 fails on only when they run, two diagrams with a flow to a missing element and one in the pre-release BPMN namespace, none of which any test deploys).",
]

PROCESS_RULES = [
    '`isExecutable="true"` processes are deployed; `isExecutable="false"` ones are validated and not deployed (execution problems are warnings there); a missing attribute is treated as executable, with a warning.',
    "Sequence flows may be written at process level even for sub-process content (some tools do); both ends must be in the same scope.",
    "Sequence flows without an id get the stable id `source->target`.",
    "XML with a DOCTYPE or entity declarations is refused; malformed XML is read in recovery mode with a warning when the BPMN root survives.",
]


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def render() -> str:
    lines = [
        "# BPMN support",
        "",
        "Generated by `baton docs` from the compiler's registry "
        "(`bpmn_compiler/elements.py`, `bpmn_compiler/support.py`); do not edit by hand.",
        "",
        "## Elements",
        "",
        "*Compiles* means the element is validated at deploy time and carried in the IR; "
        "*runs today* says how much of it the interpreter executes in this build (an element "
        "that does not run yet parks its token in an incident naming it).",
        "",
        _row("element", "compiles", "runs today", "what it means", "event definitions", "details"),
        _row("---", "---", "---", "---", "---", "---"),
    ]
    for tag, spec in sorted(REGISTRY.items()):
        status = "yes" if spec.builder else "**rejected**"
        runs = RUNS_TODAY.get(tag, "not yet") if spec.builder else "—"
        lines.append(
            _row(
                f"`{tag}`",
                status,
                runs,
                spec.summary,
                ", ".join(spec.events) or "—",
                spec.notes or "—",
            )
        )
    lines += [
        "",
        "Any other element inside a process is reported as `unsupported-element` with its id "
        "and line.",
        "",
        "## Dialect attributes",
        "",
        _row("dialect", "attribute", "on", "meaning"),
        _row("---", "---", "---", "---"),
        *(_row(d, f"`{a}`", on, meaning) for d, a, on, meaning in DIALECT_ATTRIBUTES),
        "",
        "## Values",
        "",
        *(f"* {rule}" for rule in VALUE_RULES),
        "",
        "## Camunda 7 or Zeebe: the engine a file was written for",
        "",
        *(f"* {rule}" for rule in ENGINE_RULES),
        "",
        "Deploy-time rules from Camunda 7's parser:",
        "",
        *(f"* {rule}" for rule in CAMUNDA7_DEPLOY_RULES),
        "",
        "## Processes and files",
        "",
        *(f"* {rule}" for rule in PROCESS_RULES),
        "",
        "## Read and ignored",
        "",
        "These do not change execution: "
        + ", ".join(f"`{tag}`" for tag in sorted(IGNORED))
        + ". Elements of other namespaces (tool extensions) are ignored too.",
        "",
    ]
    return "\n".join(lines)
