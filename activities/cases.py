"""Case status from processes, and processes waiting for case status.

``baton.case.setStatus`` sets the status of the process's case (found by the ``caseId``
variable, else by the instance's business key; created when there is none) from the
service task's headers. Every status change -- from this activity or from
``/v1/case-statuses`` -- is announced to the running instances with the case's business
key as the BPMN message ``caseStatus.<STATUS>`` (variables ``caseId``, ``caseStatus``,
``caseStatusDescription``), so a process waits for a status with a message catch event of
that name. The work is ``operations.cases.set_status``; this is its Temporal wrapper.
Instances keep a message they do not wait for yet, so the order of "set" and "wait" does
not matter.
"""

from __future__ import annotations

from datetime import timedelta

from baton_client.contracts import bpmn as c
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from core.settings import get_settings
from operations.cases import set_status
from store import Store, cases

SET_STATUS = "baton.case.setStatus"


class CaseActivities:
    def __init__(self, store: Store, client: Client) -> None:
        self._store = store
        self._client = client

    @activity.defn(name=SET_STATUS)
    async def set_status(self, task: c.ServiceTaskInput) -> c.ServiceTaskResult:
        headers = task.headers
        status = headers.get("status")
        if not status:
            raise ApplicationError(
                f"{task.element_id}: {SET_STATUS} needs a 'status' header",
                type="BadTaskHeaders",
                non_retryable=True,
            )
        client_id = headers.get("clientId")
        if client_id is None and headers.get("clientIdVariable"):
            value = task.variables.get(headers["clientIdVariable"])
            client_id = None if value is None else str(value)
        case_id = task.variables.get("caseId")
        case = await set_status(
            self._client,
            self._store,
            cases.NewCase(
                case_type=headers.get("caseType", "PROCESS"),
                client_id=client_id,
                client_type=headers.get("clientType", "UNKNOWN"),
                status=status,
                status_description=headers.get("statusDescription"),
                business_key=task.business_key,
                source=headers.get("source", "baton"),
            ),
            case_id=case_id if isinstance(case_id, str) else None,
            by=f"process:{task.process_instance_id}",
            task_queue=activity.info().task_queue,
            settle=timedelta(seconds=get_settings().message_settle_seconds),
        )
        return c.ServiceTaskResult(variables={"caseId": case.case_id, "caseStatus": status})
