"""Semantic rules and epochs: which interpreter behaviour a run follows.

Every change to what the interpreter does with a diagram (which commands it issues) is a
``Rule``. A run recorded before a rule must replay on the path it took, so the old path
stays until no such run can be replayed any more. Rules used to be guarded one marker
each (``workflow.patched(rule.marker)``): two history events per rule on every new run,
and no way to tell when an old path could go.

An **epoch** is one marker for a set of rules. A new run records exactly one marker, its
epoch's (``baton-semantics-N``), and follows every rule of that epoch and the ones
before without consulting them; ``BpmnSemanticsEpoch`` shows the epoch on the instance,
and ``baton semantics audit`` counts running instances below a given epoch. When none
are left, the branches of the rules older than that epoch can be deleted (the policy is
in docs/interpreter.md).

History: the 18 rules before epochs were guarded one marker each. The
``synchronous-builtins-run-locally`` marker became the first baseline (epoch 1: a run
that has it follows them all), ``projection-after-commit`` the second (epoch 2). Runs
recorded before epoch 1 (epoch 0) still consult each rule's own marker, exactly where
they always did.

Kept pure apart from ``temporalio.workflow.patched`` (injectable, for tests), so the
workflow sandbox imports it and the CLI reads the registry without a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from baton_client.contracts import search_attributes as sa
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

#: ``workflow.patched``'s shape: True when the run follows the change behind the marker
#: (a new run: always, and the marker is recorded; a replay: when the history has it).
Patched = Callable[[str], bool]


@dataclass(frozen=True)
class Rule:
    """One change of interpreter behaviour.

    ``marker`` is what a run below the rule's epoch consults (rules older than epochs
    have their own; a rule introduced with an epoch has that epoch's marker and is never
    consulted on its own). ``fixture`` is a history in ``tests/histories/`` recorded on
    the old path (before the rule): ``tests/test_replay.py`` replays it, which is what
    proves the old branch still works and what gets archived when the branch goes.
    """

    marker: str
    epoch: int
    fixture: str
    summary: str


#: Epoch markers, oldest first: epoch N is ``EPOCHS[N - 1]``. The first two were the
#: baselines of the per-rule scheme; from epoch 3 on each is ``baton-semantics-N``.
EPOCHS: tuple[str, ...] = (
    "synchronous-builtins-run-locally",
    "projection-after-commit",
    "baton-semantics-3",
    "baton-semantics-4",
    "baton-semantics-5",
)
#: The epoch new runs record.
CURRENT_EPOCH = len(EPOCHS)
#: The first epoch that writes ``BpmnSemanticsEpoch``: instances without it are below.
FIRST_RECORDED_EPOCH = 3


def epoch_marker(epoch: int) -> str:
    """The marker of ``epoch`` (1-based); new epochs are ``baton-semantics-N``."""
    if not 1 <= epoch <= CURRENT_EPOCH:
        raise ValueError(f"no epoch {epoch}: epochs are 1..{CURRENT_EPOCH}")
    return EPOCHS[epoch - 1]


# --- epoch 1: the rules from before epochs (each with its own marker), then the baseline
UNHANDLED_THROW = Rule(
    "unhandled-throw-is-none-event",
    1,
    "throws-uncaught-prepatch.json",
    "an uncaught error/escalation from a throw or end event acts like a none event "
    "instead of parking an incident",
)
ESP_RETHROW = Rule(
    "event-subprocess-rethrow",
    1,
    "throws-rethrow-prepatch.json",
    "a throw out of an event sub-process skips that scope's event sub-processes",
)
ESP_COMPENSATION = Rule(
    "event-subprocess-compensates-host",
    1,
    "throws-compensation-prepatch.json",
    "compensation thrown inside an event sub-process undoes the enclosing scope",
)
EMPTY_AD_HOC = Rule(
    "empty-ad-hoc-completes",
    1,
    "throws-adhoc-prepatch.json",
    "an empty ad-hoc sub-process completes instead of parking an incident",
)
SINK = Rule(
    "gateway-without-outgoing-is-implicit-end",
    1,
    "throws-sink-prepatch.json",
    "a gateway with no outgoing flow ends its token (implicit end) instead of parking "
    "a 'no flow matched' incident",
)
CONTINUE_AS_NEW = Rule(
    "continue-as-new-at-quiet-point",
    1,
    # Recorded before the rule. Its old path (never drain) is taken only when a run is
    # due to continue, which no run before the rule was (the input's limit did not
    # exist); continue-as-new-run2.json replays the rule's own snapshot path.
    "invoice-approval-ir2.json",
    "long histories continue as new at a quiet point",
)
LEAN_PROJECTION = Rule(
    "projection-only-for-changed-rows",
    1,
    "projection-only-for-changed-rows-prepatch.json",
    "the projection activity runs only when a read-model row changed; a change only "
    "the Web UI shows (active elements) costs no event",
)
JOIN_THROUGH_LINKS = Rule(
    "inclusive-join-follows-links",
    1,
    "throws-link-prepatch.json",
    "an inclusive join also waits for tokens that can reach it through link events",
)
SIGNAL_SCOPE = Rule(
    "signal-throw-innermost-first",
    1,
    "throws-signal-prepatch.json",
    "a signal thrown inside the instance reaches enclosing catchers innermost first and "
    "stops at the first interrupting one; unnamed signals reach unnamed catchers",
)
IMPLICIT_START = Rule(
    "implicit-start-beside-start-events",
    1,
    "throws-implicit-prepatch.json",
    "elements without incoming sequence flow get a token when their scope starts, "
    "beside its start events",
)
SIGNAL_BROADCAST = Rule(
    "signal-reaches-other-instances",
    1,
    "signal-reaches-other-instances-prepatch.json",
    "a signal thrown inside also reaches other instances and starts processes with a "
    "matching signal start event (baton.broadcast_signal)",
)
MESSAGE_FLOW = Rule(
    "message-flows-carry-messages",
    1,
    "throws-flows-prepatch.json",
    "message flows between pools carry messages; a buffered message addressed to an "
    "element reaches that element",
)
THROW_REF = Rule(
    "code-less-throws-match-by-reference",
    1,
    "throws-escref-prepatch.json",
    "among catchers without code, the one referencing the same code-less "
    "error/escalation as the throw comes first",
)
COMPENSATE_BOTH = Rule(
    "compensate-sub-process-and-boundary-handler",
    1,
    "throws-compboth-prepatch.json",
    "compensating a sub-process with both a compensation event sub-process and a "
    "compensation boundary event runs both",
)
STANDARD_LOOP = Rule(
    "standard-loops-run",
    1,
    "throws-stdloop-prepatch.json",
    "standard loops run instead of parking an incident",
)
BEAN_CALL = Rule(
    "bean-calls-as-activities",
    1,
    "throws-bean-prepatch.json",
    "a Spring-bean call in an expression runs as an activity",
)
CANCEL = Rule(
    "cancel-winds-down",
    1,
    "cancel-prepatch.json",
    "a cancelled instance winds down instead of ending with its tasks and read-model "
    "row still open",
)
WAITING_MESSAGES = Rule(
    "waiting-messages-search-attribute",
    1,
    "messages-prepatch.json",
    "the BpmnWaitingMessages search attribute is kept up to date",
)
LOCAL_BUILTINS = Rule(
    EPOCHS[0],
    1,
    # recorded before the rule, with baton.echo (a built-in) as a regular activity
    "cancel-prepatch.json",
    "built-in synchronous task types run as local activities, and a search-attribute "
    "upsert carries only the attributes that changed",
)
# --- epoch 2
AFTER_COMMIT = Rule(
    EPOCHS[1],
    2,
    "projection-after-commit-prepatch.json",
    "the read models are written by a regular activity after the deciding workflow task "
    "commits; revisions grow with workflow time; instances started without Baton's "
    "search attributes set them",
)
# --- epoch 3
EPOCH_SEARCH_ATTRIBUTE = Rule(
    EPOCHS[2],
    3,
    # an epoch-2 run: replays without the BpmnSemanticsEpoch upsert
    "projection-after-commit-reset.json",
    "the run's epoch is written to the BpmnSemanticsEpoch search attribute",
)
# --- epoch 4
JAVASCRIPT = Rule(
    EPOCHS[3],
    4,
    # a JavaScript script task parked as the activity script.javascript, then cancelled
    "javascript-prepatch.json",
    "JavaScript scripts and conditions run in the interpreter",
)
DECISIONS = Rule(
    EPOCHS[3],
    4,
    # a business-rule task parked as the activity decision:discount, served by a worker
    "decision-prepatch.json",
    "a business-rule task evaluates its deployed DMN decision in the workflow (loaded by "
    "the baton.load_decision activity) instead of parking it as the activity decision:<key>",
)
CALLED_PROCESS_INCIDENT = Rule(
    EPOCHS[3],
    4,
    # the instance failed when the called process was not deployed
    "called-process-missing-prepatch.json",
    "a call activity whose called process is not deployed opens an incident (the failed "
    "lookup used to escape the interpreter and fail the instance)",
)

# --- epoch 4: Camunda 7 diagrams run as they run on Camunda 7
CARDINALITY_LITERAL = Rule(
    EPOCHS[3],
    4,
    "c7-loops-prepatch.json",
    "a plain-number loopCardinality (<loopCardinality>3</loopCardinality>) is that "
    "number instead of parking an incident",
)
ZERO_BASED_LOOP_COUNTER = Rule(
    EPOCHS[3],
    4,
    "c7-loops-prepatch.json",
    "in Camunda 7 diagrams loopCounter counts from 0 and nrOfActiveInstances is what "
    "Camunda 7 keeps (all not yet completed; 1 in a sequential loop)",
)
COMPENSATE_EACH_INSTANCE = Rule(
    EPOCHS[3],
    4,
    "c7-micomp-prepatch.json",
    "compensating a multi-instance activity runs its handler once per completed "
    "instance, with that instance's loop variables, the most recent first",
)
FIRE_ONE_TIMER = Rule(
    EPOCHS[3],
    4,
    "c7-timer-prepatch.json",
    "one fire_timer request releases one token of those waiting at the timer element",
)
# --- epoch 5
CALLED_ERROR = Rule(
    EPOCHS[4],
    5,
    # the called process's uncaught error passed as a none end; the caller went on normally
    "called-error-child-prepatch.json",
    "a BPMN error a called process does not catch ends it and is thrown at the call "
    "activity, where an error boundary event catches it (Camunda 7)",
)
SINGLE_EVENT_START = Rule(
    EPOCHS[4],
    5,
    # started by key, a process with only a message start event held no token
    "single-event-start-prepatch.json",
    "a process whose only start event is a message, timer or signal start event begins "
    "there when started by key without a start event (Camunda 7's "
    "startProcessInstanceByKey)",
)
MISSING_MAPPED_VARIABLE = Rule(
    EPOCHS[4],
    5,
    # camunda:in source="nowhere" opened an incident at the call activity
    "missing-mapped-variable-prepatch.json",
    "camunda:in / camunda:out of a source variable that does not exist map null "
    "(Camunda 7) instead of opening an incident",
)
MI_ERROR_ENDS_ALL = Rule(
    EPOCHS[4],
    5,
    # one parallel instance threw; the body waited for the other instance for ever
    "mi-error-prepatch.json",
    "an error one instance of a parallel multi-instance activity does not catch ends the "
    "other instances and reaches the activity's boundary events",
)

#: Every rule, in the order they were introduced (so by epoch).
RULES: tuple[Rule, ...] = (
    UNHANDLED_THROW,
    ESP_RETHROW,
    ESP_COMPENSATION,
    EMPTY_AD_HOC,
    SINK,
    CONTINUE_AS_NEW,
    LEAN_PROJECTION,
    JOIN_THROUGH_LINKS,
    SIGNAL_SCOPE,
    IMPLICIT_START,
    SIGNAL_BROADCAST,
    MESSAGE_FLOW,
    THROW_REF,
    COMPENSATE_BOTH,
    STANDARD_LOOP,
    BEAN_CALL,
    CANCEL,
    WAITING_MESSAGES,
    LOCAL_BUILTINS,
    AFTER_COMMIT,
    EPOCH_SEARCH_ATTRIBUTE,
    JAVASCRIPT,
    DECISIONS,
    CALLED_PROCESS_INCIDENT,
    CARDINALITY_LITERAL,
    ZERO_BASED_LOOP_COUNTER,
    COMPENSATE_EACH_INSTANCE,
    FIRE_ONE_TIMER,
    CALLED_ERROR,
    SINGLE_EVENT_START,
    MISSING_MAPPED_VARIABLE,
    MI_ERROR_ENDS_ALL,
)


def retirable(below: int) -> tuple[Rule, ...]:
    """The rules whose old branch may be deleted once no run below epoch ``below`` can
    be replayed any more.

    A rule's old branch serves only runs below the rule's epoch; with none left below
    ``below``, every rule introduced at or before it holds for every run there is."""
    return tuple(rule for rule in RULES if rule.epoch <= below)


class Semantics:
    """The rules one run follows, decided once at its start.

    ``at_start`` must be called first thing in ``run()``, before the first local
    activity (a marker first consulted after the definition-loading one did not replay
    in continued runs, sdk-core). A run's epoch never changes; a run continued as new
    starts again and so records the current epoch.
    """

    def __init__(self, epoch: int = 0, patched: Patched | None = None) -> None:
        """``Semantics()`` (epoch 0, every rule consulted by its own marker) is what a
        handler sees before ``run()`` has called ``at_start``, as before epochs."""
        self._epoch = epoch
        self._patched = patched

    @classmethod
    def at_start(cls, patched: Patched | None = None) -> Semantics:
        """Consult the epoch markers newest first and stop at the first present.

        A new run's first call answers True and records that one marker (the current
        epoch); a replay answers True for the marker its history holds, and False for
        the newer ones without leaving anything in the history. Consulted in this order,
        an epoch-2 or epoch-1 replay records exactly the markers it did before epochs
        (``projection-after-commit`` was consulted before ``synchronous-builtins-…``).
        """
        consult = patched if patched is not None else workflow.patched
        for epoch in range(CURRENT_EPOCH, 0, -1):
            if consult(EPOCHS[epoch - 1]):
                return cls(epoch, consult)
        return cls(0, consult)

    @property
    def epoch(self) -> int:
        """The run's epoch; 0 for a run recorded before epochs (or before ``at_start``)."""
        return self._epoch

    def holds(self, rule: Rule) -> bool:
        """Whether this run follows ``rule``.

        At or above the rule's epoch: yes, without consulting anything. Below it, a rule
        from before epochs is consulted by its own marker, where the run always did (and
        a run that goes on past its replay records it, as before). A rule that *is* an
        epoch's marker (or came with an epoch) is not consulted again: ``at_start``
        already knows the run does not have it, and a run never moves up an epoch.
        """
        if self._epoch >= rule.epoch:
            return True
        if rule.marker in EPOCHS:
            return False
        consult = self._patched if self._patched is not None else workflow.patched
        return consult(rule.marker)

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[int]]:
        """``BpmnSemanticsEpoch`` for the run's first search-attribute upsert (empty for
        runs below ``EPOCH_SEARCH_ATTRIBUTE``, whose histories have no such upsert)."""
        if not self.holds(EPOCH_SEARCH_ATTRIBUTE):
            return []
        return [sa.SEMANTICS_EPOCH.value_set(self._epoch)]
