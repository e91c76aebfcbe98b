"""Incidents: a token that cannot go on parks with an open incident (an activity out of
attempts, an expression that failed …) until an operator retries or resolves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import Node
    from workflows.tokens import Token, Wait

from workflows.bpmn.behaviors import outbox, variables
from workflows.bpmn.control import waiting_on

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def park(
    rt: Runtime,
    node: Node,
    token: Token,
    message: str,
    attempts: int | None = None,
    *,
    incident_type: str = "failedJob",
    configuration: str | None = None,
) -> None:
    """Keep the token at ``node`` until an operator retries the incident."""
    incident = c.IncidentView(
        id=str(workflow.uuid4()),
        element_id=node.id,
        message=message,
        attempts=attempts or token.attempts or 1,
        created=workflow.now(),
        incident_type=incident_type,
        configuration=configuration,
    )
    rt.incidents[incident.id] = incident
    rt.dirty_incidents.add(incident.id)
    rt.record("INCIDENT_CREATED", node.id, details={"incident_id": incident.id, "message": message})
    outbox.refresh_state(rt)
    await await_retry(rt, node, token, incident)


async def await_retry(rt: Runtime, node: Node, token: Token, incident: c.IncidentView) -> None:
    ready = lambda: incident.id in rt.retries  # noqa: E731
    with waiting_on(token, "@incident", Wait("incident", ready, incident_id=incident.id)):
        await workflow.wait_condition(ready)
    retry = rt.retries.pop(incident.id)
    incident.resolved = True
    incident.ended = workflow.now()
    rt.dirty_incidents.add(incident.id)
    token.skip = isinstance(retry, c.ResolveIncident)
    token.attempts = retry.attempts if isinstance(retry, c.RetryIncident) else None
    rt.set_variables(retry.variables, node.id)
    details: dict[str, Any] = {"incident_id": incident.id}
    if token.skip:
        details["skipped"] = True
    rt.record("INCIDENT_RESOLVED", node.id, details=details)
    outbox.refresh_state(rt)


def retry_incident(rt: Runtime, cmd: c.RetryIncident) -> None:
    rt.retries[cmd.incident_id] = cmd


def resolve_incident(rt: Runtime, cmd: c.ResolveIncident) -> None:
    rt.retries[cmd.incident_id] = cmd


def validate_resolve_incident(rt: Runtime, cmd: c.ResolveIncident) -> None:
    variables.check_variables(rt, cmd.variables)
    validate_retry(rt, c.RetryIncident(incident_id=cmd.incident_id))


def validate_retry(rt: Runtime, cmd: c.RetryIncident) -> None:
    variables.check_variables(rt, cmd.variables)
    incident = rt.incidents.get(cmd.incident_id)
    if incident is None:
        raise ApplicationError(
            f"no incident {cmd.incident_id}",
            type=c.Rejection.INCIDENT_NOT_FOUND,
            non_retryable=True,
        )
    if incident.resolved or cmd.incident_id in rt.retries:
        raise ApplicationError(
            f"incident {cmd.incident_id} is resolved",
            type=c.Rejection.INCIDENT_RESOLVED,
            non_retryable=True,
        )
