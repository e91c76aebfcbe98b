"""Camunda 7's JSON shapes (its OpenAPI DTOs) and the id mapping shared by the
``/engine-rest`` routers.

Process definition ids: Camunda's read ``key:version:<unique>``; Baton's are
``key:version:<deployment id>`` -- stable (an unchanged redeployment keeps its version and
so its id), parseable (a BPMN process id is an NCName, without ``:``), and shaped as
Camunda's clients expect.

Request bodies ignore fields they do not know (``extra="ignore"``), as Camunda does:
its clients send fields a given engine version may not read.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from api.problems import ApiProblem
from api.routes.camunda.variables import format_date
from store.decisions import DeployedDecision
from store.definitions import DeployedDefinition, DeploymentView

T = TypeVar("T")


class CamundaIn(BaseModel):
    """A Camunda request body: camelCase as Camunda names it, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class LinkOut(BaseModel):
    method: str = Field(description="HTTP method of the linked call.")
    href: str = Field(description="Absolute URL of the linked resource.")
    rel: str = Field(description="Relation of the link (self).")


class ProcessDefinitionOut(BaseModel):
    """Camunda's ProcessDefinitionDto."""

    id: str = Field(description="Camunda id: key:version:<deployment id>.")
    key: str = Field(description="The BPMN process id.")
    category: str | None = Field(
        default=None, description="Camunda's category (always null in Baton)."
    )
    description: str | None = Field(default=None, description="Description (always null in Baton).")
    name: str | None = Field(default=None, description="The BPMN process name.")
    version: int = Field(description="Version of this key, from 1.")
    resource: str = Field(description="The deployed file this definition came from.")
    deploymentId: str = Field(description="The deployment that created this version.")
    diagram: str | None = Field(
        default=None, description="Diagram image resource (always null in Baton)."
    )
    suspended: bool = Field(
        default=False, description="Always false: Baton does not suspend definitions."
    )
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")
    versionTag: str | None = Field(
        default=None, description="camunda:versionTag (always null in Baton)."
    )
    historyTimeToLive: int | None = Field(
        default=None, description="History time to live in days (null)."
    )
    startableInTasklist: bool = Field(
        default=True, description="Whether Tasklist may start it (true)."
    )


class DecisionDefinitionOut(BaseModel):
    """Camunda's DecisionDefinitionDto."""

    id: str = Field(description="Camunda id: key:version:<deployment id>.")
    key: str = Field(description="The DMN decision id.")
    category: str | None = Field(default=None, description="The DMN namespace (null in Baton).")
    name: str | None = Field(default=None, description="The decision's name.")
    version: int = Field(description="Version of this key, from 1.")
    resource: str = Field(description="The deployed .dmn file.")
    deploymentId: str = Field(description="The deployment that created this version.")
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")
    decisionRequirementsDefinitionId: str | None = Field(
        default=None, description="Always null: requirements definitions are not served."
    )
    decisionRequirementsDefinitionKey: str | None = Field(
        default=None, description="The id of the file's <definitions>."
    )
    historyTimeToLive: int | None = Field(default=None, description="Always null.")
    versionTag: str | None = Field(default=None, description="camunda:versionTag.")


class DeploymentItemOut(BaseModel):
    """Camunda's DeploymentDto."""

    links: list[LinkOut] = Field(default_factory=list, description="Links to this deployment.")
    id: str = Field(description="The deployment id.")
    name: str | None = Field(default=None, description="deployment-name as given.")
    source: str | None = Field(
        default=None, description="deployment-source as given (else who deployed)."
    )
    deploymentTime: str = Field(description="When it was deployed, in Camunda's date format.")
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")


class DeploymentWithDefinitionsOut(DeploymentItemOut):
    """Camunda's DeploymentWithDefinitionsDto: the maps are keyed by definition id and
    null when empty, as Camunda answers them; Baton deploys BPMN only, so the case,
    decision and requirements maps are always null."""

    deployedProcessDefinitions: dict[str, ProcessDefinitionOut] | None = Field(
        default=None,
        description="Definition id -> definition, for each process of the upload; null when none.",
    )
    deployedCaseDefinitions: dict[str, Any] | None = Field(
        default=None, description="Always null: no CMMN."
    )
    deployedDecisionDefinitions: dict[str, DecisionDefinitionOut] | None = Field(
        default=None,
        description="Definition id -> decision, for each decision of the upload; null when none.",
    )
    deployedDecisionRequirementsDefinitions: dict[str, Any] | None = Field(
        default=None, description="Always null: no DMN yet."
    )


class CountOut(BaseModel):
    count: int = Field(description="How many match.")


class ProcessInstanceWithVariablesOut(BaseModel):
    """Camunda's ProcessInstanceWithVariablesDto (``variables`` only when asked)."""

    links: list[LinkOut] = Field(description="Links to this instance.")
    id: str = Field(description="The instance id (the Temporal workflow id).")
    definitionId: str = Field(description="The definition it runs.")
    definitionKey: str = Field(description="The BPMN process id it runs.")
    businessKey: str | None = Field(default=None, description="The business key given at start.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    ended: bool = Field(description="Whether the instance has already ended.")
    suspended: bool = Field(default=False, description="Always false.")
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")
    variables: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Typed variables, when withVariablesInReturn."
    )


def definition_id(d: DeployedDefinition) -> str:
    """Baton's Camunda id of a definition version: ``key:version:<deployment id>``."""
    return f"{d.key}:{d.version}:{d.deployment_id}"


def parse_definition_id(text: str) -> tuple[str, int, str] | None:
    """(key, version, deployment id) of a Camunda definition id, or None if it is not one."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def link(request: Request, path: str, rel: str = "self", method: str = "GET") -> LinkOut:
    """A Camunda ``links`` entry: absolute, under this server's /engine-rest."""
    return LinkOut(method=method, href=f"{str(request.base_url).rstrip('/')}{path}", rel=rel)


def decision_id(d: DeployedDecision) -> str:
    """Baton's Camunda id of a decision version: ``key:version:<deployment id>``."""
    return f"{d.key}:{d.version}:{d.deployment_id}"


def decision_out(d: DeployedDecision) -> DecisionDefinitionOut:
    return DecisionDefinitionOut(
        id=decision_id(d),
        key=d.key,
        name=d.name,
        version=d.version,
        resource=d.resource_name,
        deploymentId=d.deployment_id,
        decisionRequirementsDefinitionKey=d.requirements_key,
        versionTag=d.version_tag,
    )


def definition_out(d: DeployedDefinition) -> ProcessDefinitionOut:
    return ProcessDefinitionOut(
        id=definition_id(d),
        key=d.key,
        name=d.name,
        version=d.version,
        resource=d.resource_name,
        deploymentId=d.deployment_id,
    )


def deployment_out(request: Request, d: DeploymentView) -> DeploymentItemOut:
    return DeploymentItemOut(
        links=[link(request, f"/engine-rest/deployment/{d.id}")],
        id=d.id,
        name=d.name,
        source=d.source,
        deploymentTime=format_date(d.created_at),
    )


def check_sorting(sort_by: str | None, sort_order: str | None) -> None:
    """Camunda refuses one of sortBy and sortOrder without the other."""
    if (sort_by is None) != (sort_order is None):
        raise ApiProblem(
            "Only a single sorting parameter specified. sortBy and sortOrder required",
            status=400,
        )


def page(items: list[T], first: int | None, size: int | None) -> list[T]:
    """Camunda's ``firstResult`` / ``maxResults`` paging."""
    start = first or 0
    return items[start:] if size is None else items[start : start + size]


def like(value: str | None, pattern: str) -> bool:
    """SQL ``LIKE`` as Camunda's ``…Like`` filters use it (``%`` any run, ``_`` one)."""
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return value is not None and re.fullmatch(regex, value, re.DOTALL) is not None
