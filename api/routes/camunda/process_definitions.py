"""Camunda's ``/engine-rest/process-definition``: query, read, XML, and start.

Definitions are Baton's deployed versions (``store.definitions``) under Camunda's ids
(``key:version:<deployment id>``, ``api.routes.camunda.shapes``). A start goes through
``operations.instances.start``, the one start every family uses, with Camunda's typed
variables decoded first (``api.routes.camunda.variables``), so a Camunda client's
instance is the same instance /v1/bpms lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field

from api import limits
from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem, NotFound
from api.routes.camunda.shapes import (
    CamundaIn,
    CountOut,
    ProcessDefinitionOut,
    ProcessInstanceWithVariablesOut,
    check_sorting,
    definition_id,
    definition_out,
    like,
    link,
    page,
    parse_definition_id,
)
from api.routes.camunda.variables import VariableError, to_python, to_typed
from operations import calls, instances
from operations.errors import OperationError
from store import definitions
from store.db import DefinitionNotFound
from store.definitions import DeployedDefinition

router = APIRouter(prefix="/engine-rest/process-definition", tags=["camunda process definition"])

Sorting = Literal[
    "category", "key", "id", "name", "version", "deploymentId", "deployTime", "tenantId",
    "versionTag",
]  # fmt: skip
SortOrder = Literal["asc", "desc"]

_SORT_KEYS: dict[str, Callable[[DeployedDefinition], Any]] = {
    "category": lambda _: "",  # no categories: every definition's is null
    "key": lambda d: d.key,
    "id": definition_id,
    "name": lambda d: d.name or "",
    "version": lambda d: d.version,
    "deploymentId": lambda d: d.deployment_id,
    "deployTime": lambda d: d.created_at,
    "tenantId": lambda _: "",  # no tenants
    "versionTag": lambda _: "",  # no version tags
}

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such process definition"}}


class XmlOut(BaseModel):
    """Camunda's ProcessDefinitionDiagramDto."""

    id: str = Field(description="The definition id.")
    bpmn20Xml: str = Field(description="The BPMN XML as deployed.")


class StartIn(CamundaIn):
    """Camunda's StartProcessInstanceDto; fields Baton cannot honour are refused when
    set, never silently dropped."""

    businessKey: str | None = Field(
        default=None, max_length=255, description="The instance's business key."
    )
    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables: name -> {value, type, valueInfo}."
    )
    caseInstanceId: str | None = Field(default=None, description="Ignored: no CMMN.")
    startInstructions: list[dict[str, Any]] | None = Field(
        default=None, description="Not supported yet: refused when non-empty."
    )
    skipCustomListeners: bool = Field(
        default=False, description="Accepted; Baton has no custom listeners to skip."
    )
    skipIoMappings: bool = Field(default=False, description="Accepted; ignored.")
    withVariablesInReturn: bool = Field(
        default=False, description="Answer the instance's variables too."
    )


class Filters(BaseModel):
    """The process-definition query's filters, applied in memory."""

    id: str | None = None
    id_in: str | None = None
    key: str | None = None
    keys_in: str | None = None
    key_like: str | None = None
    name: str | None = None
    name_like: str | None = None
    version: int | None = None
    latest_version: bool = False
    deployment_id: str | None = None
    resource_name: str | None = None
    suspended: bool | None = None

    def apply(self, found: list[DeployedDefinition]) -> list[DeployedDefinition]:
        if self.latest_version:
            latest: dict[str, DeployedDefinition] = {}
            for d in found:
                if d.key not in latest or d.version > latest[d.key].version:
                    latest[d.key] = d
            found = [d for d in found if latest[d.key] is d]
        checks: list[Callable[[DeployedDefinition], bool]] = []
        if self.id is not None:
            checks.append(lambda d: definition_id(d) == self.id)
        if self.id_in is not None:
            ids = set(self.id_in.split(","))
            checks.append(lambda d: definition_id(d) in ids)
        if self.key is not None:
            checks.append(lambda d: d.key == self.key)
        if self.keys_in is not None:
            keys = set(self.keys_in.split(","))
            checks.append(lambda d: d.key in keys)
        if self.key_like is not None:
            pattern = self.key_like
            checks.append(lambda d: like(d.key, pattern))
        if self.name is not None:
            checks.append(lambda d: d.name == self.name)
        if self.name_like is not None:
            name_pattern = self.name_like
            checks.append(lambda d: like(d.name, name_pattern))
        if self.version is not None:
            checks.append(lambda d: d.version == self.version)
        if self.deployment_id is not None:
            checks.append(lambda d: d.deployment_id == self.deployment_id)
        if self.resource_name is not None:
            checks.append(lambda d: d.resource_name == self.resource_name)
        if self.suspended:  # Baton does not suspend definitions
            checks.append(lambda _: False)
        return [d for d in found if all(check(d) for check in checks)]


def _filters(
    id: Annotated[str | None, Query()] = None,
    id_in: Annotated[str | None, Query(alias="processDefinitionIdIn")] = None,
    key: Annotated[str | None, Query()] = None,
    keys_in: Annotated[str | None, Query(alias="keysIn")] = None,
    key_like: Annotated[str | None, Query(alias="keyLike")] = None,
    name: Annotated[str | None, Query()] = None,
    name_like: Annotated[str | None, Query(alias="nameLike")] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    latest_version: Annotated[bool, Query(alias="latestVersion")] = False,
    deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
    resource_name: Annotated[str | None, Query(alias="resourceName")] = None,
    suspended: Annotated[bool | None, Query()] = None,
) -> Filters:
    return Filters(
        id=id,
        id_in=id_in,
        key=key,
        keys_in=keys_in,
        key_like=key_like,
        name=name,
        name_like=name_like,
        version=version,
        latest_version=latest_version,
        deployment_id=deployment_id,
        resource_name=resource_name,
        suspended=suspended,
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


@router.get(
    "",
    response_model=list[ProcessDefinitionOut],
    summary="Camunda: query process definitions",
)
async def list_definitions(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    filters: FiltersDep,
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0)] = None,
) -> list[ProcessDefinitionOut]:
    check_sorting(sort_by, sort_order)
    found = filters.apply(await definitions.list_all(store))
    if sort_by is not None:
        found.sort(key=_SORT_KEYS[sort_by], reverse=sort_order == "desc")
    return [definition_out(d) for d in page(found, first_result, max_results)]


@router.get(
    "/count",
    response_model=CountOut,
    summary="Camunda: count process definitions",
)
async def count_definitions(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    filters: FiltersDep,
) -> CountOut:
    return CountOut(count=len(filters.apply(await definitions.list_all(store))))


async def by_key(store: StoreDep, key: str) -> DeployedDefinition:
    """The latest version of ``key``, or Camunda's 404."""
    try:
        return await definitions.find(store, key)
    except DefinitionNotFound as err:
        raise NotFound(f"No matching process definition with key: {key} and no tenant-id") from err


async def by_id(store: StoreDep, definition: str) -> DeployedDefinition:
    """The version a Camunda definition id names, or Camunda's 404."""
    parsed = parse_definition_id(definition)
    missing = NotFound(f"No matching definition with id {definition}")
    if parsed is None:
        raise missing
    key, version, deployment = parsed
    try:
        found = await definitions.find(store, key, version)
    except DefinitionNotFound as err:
        raise missing from err
    if found.deployment_id != deployment:
        raise missing
    return found


@router.get(
    "/key/{key}",
    response_model=ProcessDefinitionOut,
    summary="Camunda: the latest version of a process key",
    responses=_NOT_FOUND,
)
async def get_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> ProcessDefinitionOut:
    return definition_out(await by_key(store, key))


@router.get(
    "/key/{key}/xml",
    response_model=XmlOut,
    summary="Camunda: the BPMN XML of the latest version of a process key",
    responses=_NOT_FOUND,
)
async def get_xml_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> XmlOut:
    return await _xml(store, await by_key(store, key))


@router.post(
    "/key/{key}/start",
    response_model=ProcessInstanceWithVariablesOut,
    response_model_exclude_none=False,
    summary="Camunda: start an instance of the latest version of a process key",
    responses={**_NOT_FOUND, 400: {"description": "A variable Baton cannot read, named"}},
)
async def start_by_key(
    key: str,
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    body: Annotated[StartIn | None, Body()] = None,
) -> ProcessInstanceWithVariablesOut:
    deployed = await by_key(store, key)
    return await start_instance(
        request, client, store, settings, principal, deployed, body or StartIn()
    )


@router.get(
    "/{id}",
    response_model=ProcessDefinitionOut,
    summary="Camunda: one process definition by id",
    responses=_NOT_FOUND,
)
async def get_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> ProcessDefinitionOut:
    return definition_out(await by_id(store, id))


@router.get(
    "/{id}/xml",
    response_model=XmlOut,
    summary="Camunda: the BPMN XML of a process definition",
    responses=_NOT_FOUND,
)
async def get_xml_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> XmlOut:
    return await _xml(store, await by_id(store, id))


@router.post(
    "/{id}/start",
    response_model=ProcessInstanceWithVariablesOut,
    summary="Camunda: start an instance of a process definition",
    responses={**_NOT_FOUND, 400: {"description": "A variable Baton cannot read, named"}},
)
async def start_by_id(
    id: str,
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    body: Annotated[StartIn | None, Body()] = None,
) -> ProcessInstanceWithVariablesOut:
    deployed = await by_id(store, id)
    return await start_instance(
        request, client, store, settings, principal, deployed, body or StartIn()
    )


async def _xml(store: StoreDep, d: DeployedDefinition) -> XmlOut:
    xml = await definitions.load_xml(store, d.key, d.version)
    return XmlOut(id=definition_id(d), bpmn20Xml=xml)


async def start_instance(
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal,
    deployed: DeployedDefinition,
    body: StartIn,
) -> ProcessInstanceWithVariablesOut:
    """Decode, start through ``operations.instances.start``, answer Camunda's shape."""
    what = f"Cannot instantiate process definition {definition_id(deployed)}"
    if body.startInstructions:
        raise ApiProblem(f"{what}: startInstructions are not supported yet", status=400)
    try:
        variables = to_python(body.variables)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=err.name) from err
    limits.check("variables", variables)
    started = await instances.start(
        client,
        store,
        settings,
        deployed,
        started_by=principal.subject,
        variables=variables,
        business_key=body.businessKey,
    )
    ended = started.state not in (c.InstanceState.ACTIVE.value, c.InstanceState.INCIDENT.value)
    returned = None
    if body.withVariablesInReturn:
        try:
            view = await calls.state_view(client, settings, started.instance_id)
            returned = to_typed(view.variables)
            ended = view.state not in (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT)
        except OperationError:  # not answering yet: the variables it was started with
            returned = to_typed(variables)
    return ProcessInstanceWithVariablesOut(
        links=[link(request, f"/engine-rest/process-instance/{started.instance_id}")],
        id=started.instance_id,
        definitionId=definition_id(deployed),
        definitionKey=deployed.key,
        businessKey=started.business_key,
        ended=ended,
        variables=returned,
    )
