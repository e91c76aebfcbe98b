"""Limits and timeouts of the interpreter, and the patch markers of its semantic rules."""

from __future__ import annotations

import re
from datetime import timedelta

from temporalio.common import RetryPolicy

from workflows import contracts as c

SERVICE_TASK_TIMEOUT = timedelta(minutes=5)
#: Encoded size of the variables one command may bring, and of all of an instance's
#: variables after it: far enough under Temporal's 2 MB payload limit that the update's
#: acceptance, its answer (which repeats the variables) and the next activity's input
#: still fit. A command past them is refused by the validator (no history event), never
#: accepted into a workflow task that could not commit. The API refuses far less.
MAX_COMMAND_VARIABLES_BYTES = 1_000_000
MAX_INSTANCE_VARIABLES_BYTES = 1_500_000
#: A service task's attempt, bounded by heartbeats (SERVICE_TASK_TIMEOUT) instead: an
#: activity that runs longer than that heartbeats; a task parked for HTTP workers is
#: heartbeaten by the worker while it waits (changing timeouts needs no patch).
EXTERNAL_TASK_TIMEOUT = timedelta(days=30)
LOCAL_TIMEOUT = timedelta(seconds=30)
INFRA_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
MAX_MESSAGE_BUFFER = 1000
#: Element entries allowed in one workflow task: a cycle without a wait state (a modelling
#: error) must become an incident, not a workflow task that never yields.
MAX_BURST = 2000
#: Local activities in a row (built-in tasks, sends) after which the read models are
#: written before the next one, although the instance has not stopped yet.
FLUSH_EVERY_LOCALS = 20
OPEN_TASK_STATES = (c.TaskState.CREATED, c.TaskState.ASSIGNED, c.TaskState.SUSPENDED)
#: ``workflow.patched`` marker: an uncaught error/escalation from a throw or end event
#: acts like a none event instead of parking an incident (see _unhandled_throw_passes).
UNHANDLED_THROW_PATCH = "unhandled-throw-is-none-event"
#: ``workflow.patched`` marker: a throw out of an event sub-process skips that scope's
#: event sub-processes (see _rethrower).
ESP_RETHROW_PATCH = "event-subprocess-rethrow"
#: ``workflow.patched`` marker: compensation thrown inside an event sub-process undoes
#: the enclosing scope (see _compensation_scope).
ESP_COMPENSATION_PATCH = "event-subprocess-compensates-host"
#: ``workflow.patched`` marker: an empty ad-hoc sub-process completes instead of parking
#: an incident (ad-hoc sub-processes with content are not executable yet).
EMPTY_AD_HOC_PATCH = "empty-ad-hoc-completes"
#: ``workflow.patched`` marker: a gateway with no outgoing flow at all ends its token
#: (implicit end) instead of parking a "no flow matched" incident.
SINK_PATCH = "gateway-without-outgoing-is-implicit-end"
#: ``workflow.patched`` marker: the projection activity runs only when a read-model row
#: changed; a change that only the Web UI shows (active elements) costs no event.
LEAN_PROJECTION_PATCH = "projection-only-for-changed-rows"
#: ``workflow.patched`` marker: an inclusive join also waits for tokens that can reach it
#: through link events.
JOIN_THROUGH_LINKS_PATCH = "inclusive-join-follows-links"
#: ``workflow.patched`` marker: a signal thrown inside the instance reaches enclosing
#: catchers innermost first and stops at the first interrupting one (see _throw_signal);
#: unnamed signals reach unnamed catchers.
SIGNAL_SCOPE_PATCH = "signal-throw-innermost-first"
#: ``workflow.patched`` marker: elements without incoming sequence flow get a token when
#: their scope starts, beside its start events (see _scope_starts).
IMPLICIT_START_PATCH = "implicit-start-beside-start-events"
#: ``workflow.patched`` marker: a signal thrown inside also reaches other instances and
#: starts processes with a matching signal start event (``baton.broadcast_signal``).
SIGNAL_BROADCAST_PATCH = "signal-reaches-other-instances"
#: ``workflow.patched`` marker: message flows between pools carry messages (see
#: _message_flows); a buffered message addressed to an element reaches that element.
MESSAGE_FLOW_PATCH = "message-flows-carry-messages"
#: ``workflow.patched`` marker: among catchers without code, the one referencing the same
#: code-less error/escalation as the throw comes first (see _catches).
THROW_REF_PATCH = "code-less-throws-match-by-reference"
#: ``workflow.patched`` marker: compensating a sub-process that has both a compensation
#: event sub-process and a compensation boundary event runs both (see _compensate_one).
COMPENSATE_BOTH_PATCH = "compensate-sub-process-and-boundary-handler"
#: ``workflow.patched`` marker: a Spring-bean call in an expression runs as an activity.
BEAN_CALL_PATCH = "bean-calls-as-activities"
BEAN_CALL = re.compile(
    r"[#$]\{\s*(?P<bean>[A-Za-z_]\w*)\s*\.\s*(?P<method>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*\}",
    re.DOTALL,
)
#: ``workflow.patched`` marker: standard loops run instead of parking an incident.
STANDARD_LOOP_PATCH = "standard-loops-run"
#: ``workflow.patched`` marker: long histories continue as new (see _drain_when_due).
CONTINUE_AS_NEW_PATCH = "continue-as-new-at-quiet-point"
#: ``workflow.patched`` marker: a cancelled instance winds down (see _wind_down) instead of
#: ending with its tasks and read-model row still open.
CANCEL_PATCH = "cancel-winds-down"
#: ``workflow.patched`` marker: the ``BpmnWaitingMessages`` search attribute is kept up to
#: date (it can add an upsert where the active elements did not change).
WAITING_MESSAGES_PATCH = "waiting-messages-search-attribute"
#: ``workflow.patched`` marker: built-in synchronous task types
#: (``contracts.SYNCHRONOUS_TASK_TYPES``) run as local activities, and a search-attribute
#: upsert carries only the attributes that changed (each value is a payload to encode).
#: It is also the baseline: a run that has it follows every older patch without
#: consulting it (see ``_patched``).
LOCAL_BUILTINS_PATCH = "synchronous-builtins-run-locally"
#: ``workflow.patched`` marker: the read models are written by a regular activity, which
#: runs only once the workflow task that decided the change has committed (a local
#: activity runs before: its rows outlived workflow tasks that never committed); update
#: handlers that change rows answer once their rows are written; revisions grow with
#: workflow time, so a reset run's rows replace those of the run it replaced; an
#: instance started without Baton's search attributes sets them itself. It is the new
#: baseline: a run that has it follows ``LOCAL_BUILTINS_PATCH`` and every older patch.
AFTER_COMMIT_PATCH = "projection-after-commit"
#: The projection activity's attempt; it is retried without limit (the database may be
#: down for a while: the rows wait in the history, not in memory).
PROJECTION_TIMEOUT = timedelta(seconds=15)
#: How long new tokens are held at their element's entry while the run drains for
#: continue-as-new; if the instance is not quiet by then, it goes on and tries later.
DRAIN_PATIENCE = timedelta(minutes=5)
#: After a drain gave up, wait for this many more history events before the next one.
DRAIN_BACKOFF_EVENTS = 500
#: Case-history entries, seen message ids and child ids carried into the next run.
CARRIED_HISTORY = 500
CARRIED_MESSAGE_IDS = 1000
CARRIED_CHILDREN = 1000
