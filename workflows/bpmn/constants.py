"""Limits and timeouts of the interpreter, and the patch markers of its semantic rules."""

from __future__ import annotations

import re
from datetime import timedelta

from baton_client.contracts import bpmn as c
from temporalio.common import RetryPolicy

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
BEAN_CALL_PATTERN = re.compile(
    r"[#$]\{\s*(?P<bean>[A-Za-z_]\w*)\s*\.\s*(?P<method>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*\}",
    re.DOTALL,
)
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
