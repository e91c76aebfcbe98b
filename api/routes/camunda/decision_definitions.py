"""Camunda's ``/engine-rest/decision-definition``: the deployed DMN decisions, their
files, and evaluation (``operations.decisions``, the evaluation business-rule tasks run).

Decision definition ids are ``key:version:<deployment id>``, as process definitions'.
``evaluate`` answers Camunda's result list: one map per matched rule (after the hit
policy), output name → typed value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

import dmn
from api import limits
from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import (
    CamundaIn,
    CountOut,
    DecisionDefinitionOut,
    check_sorting,
    decision_id,
    decision_out,
    like,
    page,
    parse_definition_id,
)
from api.routes.camunda.variables import VariableError, encode, to_python
from operations import decisions as decision_ops
from operations.errors import Invalid, NotFound
from store import decisions
from store.db import Store
from store.decisions import DeployedDecision

router = APIRouter(prefix="/engine-rest/decision-definition", tags=["camunda decisions"])

READ = "bpms:deployment:read"
EVALUATE = "bpms:decision:evaluate"
_INT = 2**31 - 1
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such decision"}}
Sorting = Literal[
    "category",
    "decisionRequirementsDefinitionKey",
    "key",
    "id",
    "name",
    "version",
    "deploymentId",
    "deployTime",
    "versionTag",
    "tenantId",
]
_SORTS: dict[str, Any] = {
    "category": lambda _d: "",  # no categories: every row ties
    "decisionRequirementsDefinitionKey": lambda d: d.requirements_key or "",
    "key": lambda d: d.key,
    "id": decision_id,
    "name": lambda d: d.name or "",
    "version": lambda d: d.version,
    "deploymentId": lambda d: d.deployment_id,
    "deployTime": lambda d: d.created_at,
    "versionTag": lambda d: d.version_tag or "",
    "tenantId": lambda _d: "",  # no tenants
}


class XmlOut(BaseModel):
    """Camunda's DecisionDefinitionDiagramDto."""

    id: str = Field(description="The decision definition id.")
    dmnXml: str = Field(description="The .dmn file the decision came from.")


class EvaluateIn(CamundaIn):
    """Camunda's EvaluateDecisionDto."""

    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables: name -> {value, type, valueInfo}."
    )


class _Filters:
    def __init__(
        self,
        decision_definition_id: Annotated[str | None, Query(alias="decisionDefinitionId")] = None,
        decision_definition_id_in: Annotated[
            str | None, Query(alias="decisionDefinitionIdIn")
        ] = None,
        name: str | None = None,
        name_like: Annotated[str | None, Query(alias="nameLike")] = None,
        deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
        key: str | None = None,
        key_like: Annotated[str | None, Query(alias="keyLike")] = None,
        version: Annotated[int | None, Query(ge=1, le=_INT)] = None,
        latest_version: Annotated[bool | None, Query(alias="latestVersion")] = None,
        resource_name: Annotated[str | None, Query(alias="resourceName")] = None,
        resource_name_like: Annotated[str | None, Query(alias="resourceNameLike")] = None,
        requirements_key: Annotated[
            str | None, Query(alias="decisionRequirementsDefinitionKey")
        ] = None,
        version_tag: Annotated[str | None, Query(alias="versionTag")] = None,
        version_tag_like: Annotated[str | None, Query(alias="versionTagLike")] = None,
        tenant_id_in: Annotated[str | None, Query(alias="tenantIdIn")] = None,
    ) -> None:
        ids = [i for i in (decision_definition_id_in or "").split(",") if i]
        if decision_definition_id:
            ids.append(decision_definition_id)
        self.checks: list[tuple[object, Callable[[DeployedDecision], bool]]] = [
            (ids, lambda d: decision_id(d) in ids),
            (name, lambda d: d.name == name),
            (name_like, lambda d: like(d.name, name_like or "")),
            (deployment_id, lambda d: d.deployment_id == deployment_id),
            (key, lambda d: d.key == key),
            (key_like, lambda d: like(d.key, key_like or "")),
            (version, lambda d: d.version == version),
            (resource_name, lambda d: d.resource_name == resource_name),
            (resource_name_like, lambda d: like(d.resource_name, resource_name_like or "")),
            (requirements_key, lambda d: d.requirements_key == requirements_key),
            (version_tag, lambda d: d.version_tag == version_tag),
            (version_tag_like, lambda d: like(d.version_tag, version_tag_like or "")),
        ]
        self.latest = bool(latest_version)
        self.nothing = bool([t for t in (tenant_id_in or "").split(",") if t])

    def apply(self, found: list[DeployedDecision]) -> list[DeployedDecision]:
        if self.nothing:
            return []
        if self.latest:
            newest: dict[str, DeployedDecision] = {}
            for d in found:
                newest[d.key] = d
            found = [d for d in found if newest[d.key] is d]
        for wanted, check in self.checks:
            if wanted:
                found = [d for d in found if check(d)]
        return found


FiltersDep = Annotated[_Filters, Depends()]


@router.get(
    "", response_model=list[DecisionDefinitionOut], summary="Camunda: query decision definitions"
)
async def list_decision_definitions(
    store: StoreDep,
    filters: FiltersDep,
    _: Annotated[Principal, Requires(READ)],
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[Literal["asc", "desc"] | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=_INT)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=_INT)] = None,
) -> list[DecisionDefinitionOut]:
    check_sorting(sort_by, sort_order)
    found = filters.apply(await decisions.list_all(store))
    if sort_by:
        found = sorted(found, key=_SORTS[sort_by], reverse=sort_order == "desc")
    return [decision_out(d) for d in page(found, first_result, max_results)]


@router.get("/count", response_model=CountOut, summary="Camunda: count decision definitions")
async def count_decision_definitions(
    store: StoreDep, filters: FiltersDep, _: Annotated[Principal, Requires(READ)]
) -> CountOut:
    return CountOut(count=len(filters.apply(await decisions.list_all(store))))


async def _by_key(store: Store, key: str) -> DeployedDecision:
    try:
        return await decisions.find(store, key)
    except decisions.DecisionNotFound as err:
        raise NotFound(f"No matching decision definition with key: {key} and no tenant-id") from err


async def _by_id(store: Store, definition: str) -> DeployedDecision:
    parsed = parse_definition_id(definition)
    missing = NotFound(f"No matching decision definition with id {definition}")
    if parsed is None:
        raise missing
    key, version, deployment = parsed
    try:
        found = await decisions.find(store, key, version=version)
    except decisions.DecisionNotFound as err:
        raise missing from err
    if found.deployment_id != deployment:
        raise missing
    return found


@router.get(
    "/key/{key}",
    response_model=DecisionDefinitionOut,
    summary="Camunda: the latest version of a decision",
    responses=_NOT_FOUND,
)
async def get_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> DecisionDefinitionOut:
    return decision_out(await _by_key(store, key))


@router.get(
    "/key/{key}/xml",
    response_model=XmlOut,
    summary="Camunda: the .dmn file of a decision's latest version",
    responses=_NOT_FOUND,
)
async def get_xml_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> XmlOut:
    return await _xml(store, await _by_key(store, key))


@router.post(
    "/key/{key}/evaluate",
    response_model=list[dict[str, dict[str, Any]]],
    summary="Camunda: evaluate a decision's latest version",
    responses={**_NOT_FOUND, 400: {"description": "A variable or the evaluation failed"}},
)
async def evaluate_by_key(
    key: str,
    body: EvaluateIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(EVALUATE)],
) -> list[dict[str, dict[str, Any]]]:
    return await _evaluate(store, await _by_key(store, key), body)


@router.get(
    "/{id}",
    response_model=DecisionDefinitionOut,
    summary="Camunda: one decision definition",
    responses=_NOT_FOUND,
)
async def get_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> DecisionDefinitionOut:
    return decision_out(await _by_id(store, id))


@router.get(
    "/{id}/xml",
    response_model=XmlOut,
    summary="Camunda: the .dmn file of a decision definition",
    responses=_NOT_FOUND,
)
async def get_xml_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires(READ)]
) -> XmlOut:
    return await _xml(store, await _by_id(store, id))


@router.post(
    "/{id}/evaluate",
    response_model=list[dict[str, dict[str, Any]]],
    summary="Camunda: evaluate a decision definition",
    responses={**_NOT_FOUND, 400: {"description": "A variable or the evaluation failed"}},
)
async def evaluate_by_id(
    id: str,
    body: EvaluateIn,
    store: StoreDep,
    _: Annotated[Principal, Requires(EVALUATE)],
) -> list[dict[str, dict[str, Any]]]:
    return await _evaluate(store, await _by_id(store, id), body)


async def _xml(store: Store, d: DeployedDecision) -> XmlOut:
    return XmlOut(id=decision_id(d), dmnXml=await decisions.load_xml(store, d.key, d.version))


async def _evaluate(
    store: Store, d: DeployedDecision, body: EvaluateIn
) -> list[dict[str, dict[str, Any]]]:
    """Camunda's answer: the result list, each entry output name → typed value."""
    try:
        variables = to_python(body.variables)
    except VariableError as err:
        raise ApiProblem(
            f"Cannot evaluate decision {decision_id(d)}: {err}", status=400, variable=err.name
        ) from err
    limits.check("variables", variables)
    try:
        done = await decision_ops.evaluate(store, d.key, variables, version=d.version)
    except Invalid as err:
        raise ApiProblem(f"Cannot evaluate decision {decision_id(d)}: {err}", status=400) from err
    rows = dmn.json_value(done.result.rule_results)
    return [{name: encode(value) for name, value in row.items()} for row in rows]
