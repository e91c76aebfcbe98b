"""Starting a ``BpmnProcess`` instance at one start event, idempotently.

Signal and message start events, message flows between pools and correlation from the
API all start instances this way: under a workflow id derived from what triggered them,
so a retried activity or a repeated request finds the instance it started the first time
instead of starting a second one.
"""

from __future__ import annotations

import contextlib
from typing import Any

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from store.definitions import DeployedDefinition
from workflows import contracts as c
from workflows import search_attributes as sa


async def start_at(
    client: Client,
    deployed: DeployedDefinition,
    start_event: str,
    *,
    workflow_id: str,
    task_queue: str,
    summary: str,
    variables: dict[str, Any],
    **input_fields: Any,
) -> str:
    """Start ``deployed`` at ``start_event`` as ``workflow_id`` (or find it started);
    ``input_fields`` are further ``ProcessInput`` fields (business key, partners …)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(
                definition=c.DefinitionRef(
                    key=deployed.key, version=deployed.version, sha256=deployed.sha256
                ),
                variables=dict(variables),
                start_event=start_event,
                **input_fields,
            ),
            id=workflow_id,
            task_queue=task_queue,
            search_attributes=sa.at_start(
                deployed.key, deployed.version, input_fields.get("business_key")
            ),
            static_summary=f"{deployed.key} v{deployed.version}, {summary}",
        )
    return workflow_id
