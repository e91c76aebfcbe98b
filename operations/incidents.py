"""Incidents: run the failed element again, or mark its work as done by hand.

The read model names the incident's instance and answers a resolved incident at once;
the instance's validator has the last word (a retry racing another is refused there).
"""

from __future__ import annotations

from typing import Any

from baton_client.contracts import bpmn as c
from temporalio.client import Client

from core.settings import Settings
from operations import calls, commands
from operations.errors import Conflict, NotFound
from store import Store, queries


async def _open_incident_instance(store: Store, incident_id: str) -> str:
    row = await queries.get_incident(store, incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    if row.resolved:
        raise Conflict(
            f"incident {incident_id} is resolved", code=c.Rejection.INCIDENT_RESOLVED.value
        )
    return row.process_instance_id


async def retry(
    client: Client,
    store: Store,
    settings: Settings,
    incident_id: str,
    *,
    variables: dict[str, Any],
    attempts: int | None,
) -> None:
    """Run the failed element again, with new variables and attempts if given."""
    instance_id = await _open_incident_instance(store, incident_id)
    command = c.RetryIncident(incident_id=incident_id, variables=variables, attempts=attempts)
    await calls.update(client, settings, instance_id, commands.RETRY_INCIDENT, command)


async def resolve(
    client: Client, store: Store, settings: Settings, incident_id: str, *, variables: dict[str, Any]
) -> None:
    """The token leaves the failed element without running it again, with these variables."""
    instance_id = await _open_incident_instance(store, incident_id)
    command = c.ResolveIncident(incident_id=incident_id, variables=variables)
    await calls.update(client, settings, instance_id, commands.RESOLVE_INCIDENT, command)
