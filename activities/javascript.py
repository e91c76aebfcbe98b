"""``baton.javascript``: a script task's JavaScript, run by the embedded engine
(``expressions/javascript.py``).

A local activity (a regular one where the element asks for ``asyncBefore``/``asyncAfter``),
so its outcome, the variables or the error, is recorded in the history and a replay never
runs the script again. The script runs on a thread of its own (QuickJS holds the thread,
not the event loop), with the bounds from the settings. Script errors are not retried:
given the same variables a script fails the same way, so the first failure is the
incident; the message says what the script threw or which bound it hit.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from baton_client.contracts.bpmn import ServiceTaskInput, ServiceTaskResult
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.settings import get_settings
from expressions.errors import ExpressionError
from expressions.javascript import (
    NOW_HEADER,
    RESULT_VALUE,
    RESULT_VARIABLES,
    SCRIPT_HEADER,
    SCRIPT_TASK_TYPE,
    ExecutionContext,
    JsLimits,
    run_script,
)

#: ``ApplicationError.type`` of a script that threw, did not parse or hit a bound
SCRIPT_FAILED = "ScriptFailed"


@activity.defn(name=SCRIPT_TASK_TYPE)
async def javascript(task: ServiceTaskInput) -> ServiceTaskResult:
    settings = get_settings()
    limits = JsLimits(
        time_seconds=settings.script_time_limit_seconds,
        memory_bytes=settings.script_memory_limit_mb * 1024 * 1024,
    )
    execution = ExecutionContext(
        business_key=task.business_key,
        process_instance_id=task.process_instance_id,
        current_activity_id=task.element_id,
    )
    try:
        outcome = await asyncio.to_thread(
            run_script,
            task.headers[SCRIPT_HEADER],
            task.variables,
            now=dt.datetime.fromisoformat(task.headers[NOW_HEADER]),
            execution=execution,
            limits=limits,
        )
    except ExpressionError as exc:
        raise ApplicationError(str(exc), type=SCRIPT_FAILED, non_retryable=True) from None
    return ServiceTaskResult(
        variables={RESULT_VARIABLES: outcome.variables, RESULT_VALUE: outcome.value}
    )
