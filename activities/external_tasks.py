"""Service tasks for HTTP workers: the catch-all activity that parks them.

A Temporal worker in any language serves a service task by registering an activity of
its type. Every type no registered activity serves lands here instead: the task is
written to the ``external_tasks`` table with the activity's task token, and the activity
completes asynchronously. HTTP workers then fetch-and-lock it through
``/v1/bpms/service-tasks`` and report completion, failure or a BPMN error, which the API
passes back through the async activity handle (see ``api/routes/service_tasks.py``).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence

from temporalio import activity
from temporalio.common import RawValue

from store import Store, external_tasks
from workflows import contracts as c


class ExternalTaskActivities:
    def __init__(self, store: Store) -> None:
        self._store = store

    @activity.defn(dynamic=True)
    async def park(self, args: Sequence[RawValue]) -> c.ServiceTaskResult:
        info = activity.info()
        task = activity.payload_converter().from_payload(args[0].payload, c.ServiceTaskInput)
        policy = info.retry_policy
        retries = policy.maximum_attempts if policy and policy.maximum_attempts else 3
        await external_tasks.park(
            self._store,
            external_tasks.Parked(
                topic=info.activity_type,
                task_token=base64.b64encode(info.task_token).decode(),
                workflow_id=info.workflow_id or task.process_instance_id,
                activity_id=info.activity_id,
                attempt=info.attempt,
                element_id=task.element_id,
                business_key=task.business_key,
                variables=task.variables,
                headers=dict(task.headers),
                retries=max(retries - info.attempt + 1, 1),
            ),
            str(uuid.uuid4()),
        )
        activity.logger.info("service task %s waits for an HTTP worker", info.activity_type)
        activity.raise_complete_async()
