"""Case status from processes, and processes waiting for case status.

``baton.case.setStatus`` sets the status of the process's case (found by the ``caseId``
variable, else by the instance's business key; created when there is none) from the
service task's headers. Every status change -- from this activity or from
``/v1/case-statuses`` -- is announced to the running instances with the case's business
key as the BPMN message ``caseStatus.<STATUS>`` (variables ``caseId``, ``caseStatus``,
``caseStatusDescription``), so a process waits for a status with a message catch event of
that name (``operations.cases.announce``). Instances keep a message they do not wait for
yet, so the order of "set" and "wait" does not matter.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from baton.settings import get_settings
from operations.cases import announce
from store import Store, cases
from workflows import contracts as c

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
        description = headers.get("statusDescription")
        source = headers.get("source", "baton")
        by = f"process:{task.process_instance_id}"
        case_id = task.variables.get("caseId")
        found = await cases.get(self._store, case_id) if isinstance(case_id, str) else None
        if found is None and task.business_key:
            found = await cases.by_business_key(self._store, task.business_key)
        if found is None:
            client_id = headers.get("clientId")
            if client_id is None and headers.get("clientIdVariable"):
                value = task.variables.get(headers["clientIdVariable"])
                client_id = None if value is None else str(value)
            case = await cases.create(
                self._store,
                cases.NewCase(
                    case_type=headers.get("caseType", "PROCESS"),
                    client_id=client_id,
                    client_type=headers.get("clientType", "UNKNOWN"),
                    status=status,
                    status_description=description,
                    business_key=task.business_key,
                    source=source,
                ),
                by=by,
            )
        else:
            changed = await cases.change_status(
                self._store, found.case_id, status, description, source, by=by
            )
            assert changed is not None
            case = changed
        await announce(
            self._client,
            self._store,
            case,
            task_queue=activity.info().task_queue,
            settle=timedelta(seconds=get_settings().message_settle_seconds),
        )
        return c.ServiceTaskResult(variables={"caseId": case.case_id, "caseStatus": status})
