"""Case status: creating a case, changing its status, and announcing every change.

Every status change of a case -- from the
``baton.case.setStatus`` service task or from ``/v1/case-statuses`` -- is told to the
running instances with the case's business key as the BPMN message
``caseStatus.<STATUS>`` (variables ``caseId``, ``caseStatus``, ``caseStatusDescription``),
so a process waits for a status with a message catch event of that name. It goes the
business-key way of ``operations.messages`` (``fan_out``): instances keep a message they
do not wait for yet, and those that show up during the settling window get it from the
sweeper, so the order of "set" and "wait" does not matter.
"""

from __future__ import annotations

from datetime import timedelta

from baton_client.contracts import bpmn as c
from temporalio.client import Client

from operations import messages
from operations.errors import NotFound
from store import Store, cases
from store.models import CaseRecord


def status_message(status: str) -> str:
    """The message name a process waits for to see a case reach ``status``."""
    return f"caseStatus.{status}"


async def announce(
    client: Client, store: Store, case: CaseRecord, *, task_queue: str, settle: timedelta
) -> list[str]:
    """Deliver the status change to every running instance with the case's business key,
    now and during the settling window; the ids it reached now. The message id names the
    change, so a retried announcement is taken once."""
    if not case.business_key:
        return []
    message = c.DeliverMessage(
        name=status_message(case.status),
        correlation_key=None,
        variables={
            "caseId": case.case_id,
            "caseStatus": case.status,
            "caseStatusDescription": case.status_description,
        },
        message_id=f"case:{case.case_id}:{case.status}:{case.update_date.isoformat()}",
    )
    return await messages.fan_out(
        client, store, message, case.business_key, task_queue=task_queue, settle=settle
    )


async def create(
    client: Client,
    store: Store,
    new: cases.NewCase,
    *,
    by: str | None,
    task_queue: str,
    settle: timedelta,
) -> CaseRecord:
    """Create a case with its first status, and announce that status."""
    row = await cases.create(store, new, by=by)
    await announce(client, store, row, task_queue=task_queue, settle=settle)
    return row


async def change(
    client: Client,
    store: Store,
    case_id: str,
    status: str,
    description: str | None,
    source: str | None,
    *,
    by: str | None,
    task_queue: str,
    settle: timedelta,
) -> CaseRecord:
    """Change a case's status (appended to its history), and announce it."""
    row = await cases.change_status(store, case_id, status, description, source, by=by)
    if row is None:
        raise NotFound(f"no case {case_id}", field="caseId")
    await announce(client, store, row, task_queue=task_queue, settle=settle)
    return row


async def set_status(
    client: Client,
    store: Store,
    new: cases.NewCase,
    *,
    case_id: str | None,
    by: str | None,
    task_queue: str,
    settle: timedelta,
) -> CaseRecord:
    """A process sets the status of its case: the one ``case_id`` names, else the case of
    its business key, else ``new`` (created with that status)."""
    found = await cases.get(store, case_id) if case_id is not None else None
    if found is None and new.business_key:
        found = await cases.by_business_key(store, new.business_key)
    if found is None:
        return await create(client, store, new, by=by, task_queue=task_queue, settle=settle)
    return await change(
        client,
        store,
        found.case_id,
        new.status,
        new.status_description,
        new.source,
        by=by,
        task_queue=task_queue,
        settle=settle,
    )
