"""Camunda's ``/engine-rest/message`` (correlate) and ``/engine-rest/signal`` (throw).

Both translate Camunda's body into the one delivery path every family uses:
``operations.messages`` (candidates, correlate, start by message start event) and
``operations.signals.broadcast``, with Camunda's typed variables decoded first
(``api.routes.camunda.variables``). They need the privilege ``/v1/bpms/messages`` and
``/v1/bpms/signals`` need (``events:publish``).

Where Baton differs (docs/camunda-rest.md): Baton has no execution ids, so an
``Execution`` result names the instance as its execution; ``processVariablesLocal`` is
set on the instance like ``processVariables``; ``localCorrelationKeys`` and a signal's
``executionId`` are refused (400) rather than ignored; without ``all`` the first
matching instance (oldest first) takes the message where Camunda would refuse several.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api import limits
from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn, LinkOut, link
from api.routes.camunda.tasks import DefinitionIds
from api.routes.camunda.variables import VariableError, to_python, to_typed
from api.schemas import Searchable
from operations import calls, messages
from operations.errors import OperationError
from operations.signals import broadcast

router = APIRouter(prefix="/engine-rest", tags=["camunda message and signal"])

_RUNNING = (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT)


class CorrelationMessageIn(CamundaIn):
    """Camunda's CorrelationMessageDto."""

    messageName: Searchable = Field(min_length=1, max_length=255, description="The message name.")
    businessKey: Searchable | None = Field(
        default=None, max_length=255, description="Only instances with this business key."
    )
    correlationKeys: dict[str, Any] | None = Field(
        default=None,
        description="Typed variables the instance's process variables must equal.",
    )
    localCorrelationKeys: dict[str, Any] | None = Field(
        default=None, description="Not supported: refused when non-empty."
    )
    processInstanceId: str | None = Field(
        default=None, min_length=1, max_length=255, description="Only this instance."
    )
    processVariables: dict[str, Any] | None = Field(
        default=None, description="Typed variables set on the instance that takes the message."
    )
    processVariablesLocal: dict[str, Any] | None = Field(
        default=None, description="Typed variables, set on the instance like processVariables."
    )
    tenantId: str | None = Field(
        default=None, description="Baton has no tenants: a tenant id matches nothing."
    )
    withoutTenantId: bool = Field(default=False, description="Accepted; Baton has no tenants.")
    all: bool = Field(default=False, description="Correlate with every match, not the first.")
    resultEnabled: bool = Field(default=False, description="Answer 200 with the results.")
    variablesInResultEnabled: bool = Field(
        default=False, description="Each result carries the instance's variables."
    )


class ExecutionOut(BaseModel):
    """Camunda's ExecutionDto (Baton has no execution ids: the instance's)."""

    id: str = Field(description="The execution id (the instance id in Baton).")
    processInstanceId: str = Field(description="The instance it belongs to.")
    ended: bool = Field(description="Whether it has ended.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")


class CorrelatedInstanceOut(BaseModel):
    """Camunda's ProcessInstanceDto."""

    links: list[LinkOut] = Field(description="Links to this instance.")
    id: str = Field(description="The instance id.")
    definitionId: str | None = Field(default=None, description="key:version:<deployment id>.")
    businessKey: str | None = Field(default=None, description="The business key.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    ended: bool = Field(description="Whether it has ended.")
    suspended: bool = Field(default=False, description="Always false.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")


class CorrelationResultOut(BaseModel):
    """Camunda's MessageCorrelationResultWithVariableDto."""

    resultType: Literal["Execution", "ProcessDefinition"] = Field(
        description="Execution: a waiting instance took it; ProcessDefinition: it started one."
    )
    execution: ExecutionOut | None = Field(
        default=None, description="The execution that took it (resultType Execution)."
    )
    processInstance: CorrelatedInstanceOut | None = Field(
        default=None, description="The instance started (resultType ProcessDefinition)."
    )
    variables: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Typed variables, when variablesInResultEnabled."
    )


class SignalIn(CamundaIn):
    """Camunda's SignalDto."""

    name: str = Field(min_length=1, max_length=255, description="The signal name.")
    executionId: str | None = Field(default=None, description="Not supported: refused when given.")
    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables for the catchers and started instances."
    )
    tenantId: str | None = Field(
        default=None, description="Baton has no tenants: a tenant id reaches nothing."
    )
    withoutTenantId: bool = Field(default=False, description="Accepted; Baton has no tenants.")


def _typed(what: str, typed: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return to_python(typed)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=err.name) from err


def _no_match(name: str) -> JSONResponse:
    """Camunda's MismatchingMessageCorrelationException, as its REST API reports it."""
    return JSONResponse(
        {
            "type": "RestException",
            "message": (
                f"Cannot correlate message '{name}': No process definition or execution "
                "matches the parameters"
            ),
        },
        status_code=400,
    )


@router.post(
    "/message",
    response_model=list[CorrelationResultOut],
    response_model_exclude_none=False,
    summary="Camunda: correlate a message with waiting instances, or start one by message",
    description=(
        "Candidates: `processInstanceId`, else the running instances with `businessKey`, "
        "else those waiting for `messageName`; `correlationKeys` keeps those whose "
        "variables equal them. The first that takes it ends the search unless `all`. "
        "When none takes it and no instance was named, the processes whose message start "
        "event has this name start. 204 unless `resultEnabled` (200 with the results)."
    ),
    responses={
        204: {"description": "Correlated (resultEnabled false)"},
        400: {"description": "Nothing matches, or a variable Baton cannot read"},
    },
)
async def correlate_message(
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("events:publish")],
    body: Annotated[CorrelationMessageIn, Body()],
) -> list[CorrelationResultOut] | Response:
    what = f"Cannot correlate message '{body.messageName}'"
    if body.localCorrelationKeys:
        raise ApiProblem(f"{what}: localCorrelationKeys are not supported", status=400)
    match = _typed(what, body.correlationKeys)
    variables = {
        **_typed(what, body.processVariables),
        **_typed(what, body.processVariablesLocal),
    }
    limits.check("variables", variables)
    taken: list[messages.Taken] = []
    started: list[messages.StartedByMessage] = []
    if body.tenantId is None:  # no tenants: a tenant's message matches nothing
        message = c.DeliverMessage(name=body.messageName, variables=variables)
        delivery = await messages.correlate_now(
            client,
            store,
            settings,
            message,
            every=body.all,
            started_by=principal.subject,
            instance_id=body.processInstanceId,
            business_key=body.businessKey,
            variables_match=match,
        )
        taken, started = delivery.taken, delivery.started
    if not taken and not started and not body.all:
        return _no_match(body.messageName)
    if not body.resultEnabled:
        return Response(status_code=204)
    ids = DefinitionIds(store)
    results = [
        await _result(request, client, settings, ids, "Execution", t.instance_id, body)
        for t in taken
    ]
    results += [
        await _result(request, client, settings, ids, "ProcessDefinition", s.instance_id, body)
        for s in started
    ]
    return results


async def _result(
    request: Request,
    client: ClientDep,
    settings: SettingsDep,
    ids: DefinitionIds,
    kind: Literal["Execution", "ProcessDefinition"],
    instance_id: str,
    body: CorrelationMessageIn,
) -> CorrelationResultOut:
    """One result, from the instance's state now (it may have moved on or ended)."""
    try:
        view: c.ProcessStateView | None = await calls.state_view(client, settings, instance_id)
    except OperationError:
        view = None
    ended = view is not None and view.state not in _RUNNING
    instance = CorrelatedInstanceOut(
        links=[link(request, f"/engine-rest/process-instance/{instance_id}")],
        id=instance_id,
        definitionId=(await ids.id(view.definition.key, view.definition.version) if view else None),
        businessKey=view.business_key if view else body.businessKey,
        ended=ended,
    )
    return CorrelationResultOut(
        resultType=kind,
        execution=(
            ExecutionOut(id=instance_id, processInstanceId=instance_id, ended=ended)
            if kind == "Execution"
            else None
        ),
        processInstance=instance if kind == "ProcessDefinition" else None,
        variables=(to_typed(view.variables) if body.variablesInResultEnabled and view else None),
    )


@router.post(
    "/signal",
    status_code=204,
    summary="Camunda: throw a signal: waiting catchers fire, signal start events start",
    description=(
        "Running instances are found through Temporal's visibility store, which is "
        "eventually consistent: an instance started a moment ago may miss the signal."
    ),
    responses={
        204: {"description": "Thrown"},
        400: {"description": "executionId given, or a variable Baton cannot read"},
    },
)
async def throw_signal(
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("events:publish")],
    body: Annotated[SignalIn, Body()],
) -> Response:
    what = f"Cannot throw signal '{body.name}'"
    if body.executionId is not None:
        raise ApiProblem(f"{what}: executionId is not supported", status=400)
    variables = _typed(what, body.variables)
    limits.check("variables", variables)
    if body.tenantId is None:  # no tenants: a tenant's signal reaches nothing
        await broadcast(
            client,
            store,
            c.BroadcastSignal(name=body.name, variables=variables, throw_id=str(uuid.uuid4())),
            settings.task_queue,
        )
    return Response(status_code=204)
