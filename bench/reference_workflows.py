"""Hand-written Temporal workflows the interpreter is measured against (bench only).

``ReferenceProcess`` is what a Temporal user would write by hand for the reference
diagram (start → 3 service tasks → exclusive gateway → parallel split of 2 service tasks
→ join → end): the same activities, input, timeouts and retry policy the interpreter
uses, and nothing else. ``Trivial`` does nothing: the server's ceiling.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from workflows.bpmn.constants import EXTERNAL_TASK_TIMEOUT, SERVICE_TASK_TIMEOUT

# the options the interpreter gives a service task with the default 3 attempts
_OPTIONS = {
    "start_to_close_timeout": EXTERNAL_TASK_TIMEOUT,
    "heartbeat_timeout": SERVICE_TASK_TIMEOUT,
    "retry_policy": RetryPolicy(maximum_attempts=3, non_retryable_error_types=["BpmnError"]),
    "result_type": c.ServiceTaskResult,
}


@workflow.defn(name="ReferenceProcess")
class ReferenceProcess:
    @workflow.run
    async def run(self, variables: dict[str, int]) -> dict[str, int]:
        async def work(element: str) -> None:
            await workflow.execute_activity(
                "baton.noop",
                c.ServiceTaskInput(
                    process_instance_id=workflow.info().workflow_id,
                    element_id=element,
                    business_key=None,
                    variables=dict(variables),
                ),
                **_OPTIONS,  # type: ignore[arg-type]
            )

        for element in ("a", "b", "c"):
            await work(element)
        if variables.get("amount", 0) > 10:
            await work("big")
        else:
            await asyncio.gather(work("p1"), work("p2"))
        return variables


@workflow.defn(name="Trivial")
class Trivial:
    @workflow.run
    async def run(self) -> None:
        return None
