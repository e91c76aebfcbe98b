"""Camunda's ``/engine-rest/deployment``: what Camunda Modeler's Deploy button and
Camunda's REST clients call.

``create`` compiles through the same path as Baton's own deploy route
(``api.routes.bpms.deployments.compile_uploads`` and ``store.definitions.deploy``), so a
diagram is checked, versioned and stored once, whichever API sent it.

Deviations (docs/camunda-rest.md): Baton always deploys "changed only" (an unchanged
process keeps its version and id), and ``deployedProcessDefinitions`` lists every process
of the upload at the version it resolved to, so Modeler's "deploy and start" works on a
re-deploy too; linked Camunda Forms (``.form`` attachments) are accepted and not stored;
there are no tenants (a ``tenant-id`` is refused rather than silently dropped); DMN is refused
until Baton runs decisions; deployments are never deleted, since running and finished
instances replay against the definition they started with.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.problems import ApiProblem, Conflict, NotFound
from api.routes.bpms.deployments import compile_uploads
from api.routes.camunda.shapes import (
    CamundaIn,
    CountOut,
    DeploymentItemOut,
    DeploymentWithDefinitionsOut,
    check_sorting,
    decision_id,
    decision_out,
    definition_id,
    definition_out,
    deployment_out,
    like,
    link,
    page,
)
from api.routes.camunda.variables import format_date
from store import definitions
from store.definitions import DeploymentResource, DeploymentView

router = APIRouter(prefix="/engine-rest/deployment", tags=["camunda deployment"])

#: the form fields of Camunda's create call; every other part is a resource
_FIELDS = {
    "deployment-name",
    "deployment-source",
    "enable-duplicate-filtering",
    "deploy-changed-only",
    "tenant-id",
    "deployment-activation-time",
}
_REFUSED_SUFFIXES = {
    ".cmmn": "CMMN cases are not supported",
}
#: attachments Modeler sends with a diagram (linked Camunda Forms): accepted, not stored
_SKIPPED_SUFFIXES = (".form",)
#: the prefix of Camunda's parse failure, which Modeler reads to say "could not parse"
PARSE_ERROR = "ENGINE-09005 Could not parse BPMN process. Errors: "

Sorting = Literal["id", "name", "deploymentTime", "tenantId"]
SortOrder = Literal["asc", "desc"]
FirstResult = Annotated[int | None, Query(alias="firstResult", ge=0)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0)]


_SORT_KEYS: dict[str, Callable[[DeploymentView], Any]] = {
    "id": lambda d: d.id,
    "name": lambda d: d.name or "",
    "deploymentTime": lambda d: d.created_at,
    "tenantId": lambda _: "",  # no tenants: every deployment's is null
}


async def _query(
    store: StoreDep,
    id: str | None,
    name: str | None,
    name_like: str | None,
    source: str | None,
    without_source: bool,
    sort_by: Sorting | None,
    sort_order: SortOrder | None,
) -> list[DeploymentView]:
    check_sorting(sort_by, sort_order)
    found = await definitions.list_deployments(store)
    if id is not None:
        found = [d for d in found if d.id == id]
    if name is not None:
        found = [d for d in found if d.name == name]
    if name_like is not None:
        found = [d for d in found if like(d.name, name_like)]
    if source is not None:
        found = [d for d in found if d.source == source]
    if without_source:
        found = [d for d in found if d.source is None]
    if sort_by is not None:
        found.sort(key=_SORT_KEYS[sort_by], reverse=sort_order == "desc")
    return found


@router.get(
    "",
    response_model=list[DeploymentItemOut],
    summary="Camunda: query deployments (Modeler checks its connection with ?maxResults=0)",
)
async def list_deployments(
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    id: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query()] = None,
    name_like: Annotated[str | None, Query(alias="nameLike")] = None,
    source: Annotated[str | None, Query()] = None,
    without_source: Annotated[bool, Query(alias="withoutSource")] = False,
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[DeploymentItemOut]:
    found = await _query(store, id, name, name_like, source, without_source, sort_by, sort_order)
    return [deployment_out(request, d) for d in page(found, first_result, max_results)]


@router.get(
    "/count",
    response_model=CountOut,
    summary="Camunda: count deployments",
)
async def count_deployments(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    id: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query()] = None,
    name_like: Annotated[str | None, Query(alias="nameLike")] = None,
    source: Annotated[str | None, Query()] = None,
    without_source: Annotated[bool, Query(alias="withoutSource")] = False,
) -> CountOut:
    found = await _query(store, id, name, name_like, source, without_source, None, None)
    return CountOut(count=len(found))


def _flag(value: object, field: str) -> bool:
    if value is None:
        return False
    text = str(value).strip().lower()
    if text not in ("true", "false", ""):
        raise ApiProblem(f"{field} must be true or false, not {value!r}", status=400)
    return text == "true"


@router.post(
    "/create",
    response_model=DeploymentWithDefinitionsOut,
    status_code=status.HTTP_200_OK,
    summary="Camunda: create a deployment (multipart, one part per .bpmn file)",
    description=(
        "Camunda Modeler's Deploy. Form fields `deployment-name`, `deployment-source`, "
        "`enable-duplicate-filtering`, `deploy-changed-only`, `tenant-id`; every other part "
        "is a resource. Baton always deploys changed processes only; compile errors are a "
        "400 whose message starts with Camunda's `ENGINE-09005 Could not parse BPMN process.` "
        "(so Modeler reports a parse error) and names the first diagnostic (all in `errors`)."
    ),
    responses={400: {"description": "Compile errors, DMN, a tenant id, no resource"}},
)
async def create(
    request: Request, store: StoreDep, principal: Annotated[Principal, Requires("deploy")]
) -> DeploymentWithDefinitionsOut:
    form = await request.form()
    uploads = [v for k, v in form.multi_items() if isinstance(v, UploadFile) and k not in _FIELDS]
    if not uploads:
        raise ApiProblem("No deployment resources contained in the form upload.", status=400)
    tenant = form.get("tenant-id")
    if isinstance(tenant, str) and tenant.strip():
        raise ApiProblem(
            f"tenant-id {tenant!r}: Baton has no tenants; deploy without a tenant id",
            status=400,
        )
    _flag(form.get("enable-duplicate-filtering"), "enable-duplicate-filtering")
    _flag(form.get("deploy-changed-only"), "deploy-changed-only")
    for upload in uploads:
        filename = (upload.filename or "").lower()
        for suffix, why in _REFUSED_SUFFIXES.items():
            if filename.endswith(suffix):
                raise ApiProblem(f"{upload.filename}: {why}", status=400)
    uploads = [u for u in uploads if not (u.filename or "").lower().endswith(_SKIPPED_SUFFIXES)]
    if not uploads:
        raise ApiProblem("No BPMN resource contained in the form upload.", status=400)
    name = form.get("deployment-name")
    source = form.get("deployment-source")
    return await _deploy(
        request,
        store,
        uploads,
        name=name if isinstance(name, str) and name else None,
        source=source if isinstance(source, str) and source else principal.subject,
    )


async def _deploy(
    request: Request,
    store: StoreDep,
    uploads: list[UploadFile],
    *,
    name: str | None,
    source: str | None,
) -> DeploymentWithDefinitionsOut:
    """Compile and store through the one deploy path; answer Camunda's shape."""
    try:
        resources, _warnings = await compile_uploads(uploads)
    except ApiProblem as err:
        if err.status != 400:
            raise
        raise ApiProblem(PARSE_ERROR + err.detail, status=400, **err.extensions) from err
    done = await definitions.deploy_all(store, resources, name=name, source=source)
    view = await definitions.get_deployment(store, done.id)
    assert view is not None  # just written
    resolved = {definition_id(d): definition_out(d) for d in done.definitions}
    decided = {decision_id(d): decision_out(d) for d in done.decisions}
    return DeploymentWithDefinitionsOut(
        links=[link(request, f"/engine-rest/deployment/{done.id}")],
        id=done.id,
        name=view.name,
        source=view.source,
        deploymentTime=format_date(view.created_at),
        deployedProcessDefinitions=resolved or None,
        deployedDecisionDefinitions=decided or None,
    )


@router.get(
    "/registered",
    response_model=list[str],
    summary="Camunda: deployments registered with process applications (always none)",
    description="Baton runs no Java process applications, so no deployment is registered.",
)
async def registered(_: Annotated[Principal, Requires("bpms:deployment:read")]) -> list[str]:
    return []


async def _found(store: StoreDep, deployment_id: str) -> DeploymentView:
    view = await definitions.get_deployment(store, deployment_id)
    if view is None:
        raise NotFound(f"Deployment with id '{deployment_id}' does not exist")
    return view


@router.get(
    "/{id}",
    response_model=DeploymentItemOut,
    summary="Camunda: one deployment",
    responses={404: {"description": "No such deployment"}},
)
async def get_deployment(
    id: str,
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> DeploymentItemOut:
    return deployment_out(request, await _found(store, id))


@router.delete(
    "/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Camunda: delete a deployment (refused: Baton keeps every deployment)",
    responses={
        404: {"description": "No such deployment"},
        409: {"description": "Baton keeps deployments: instances replay against them"},
    },
)
async def delete_deployment(
    id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("deploy")],
) -> None:
    await _found(store, id)
    raise Conflict(
        f"Deployment {id} is kept: Baton never deletes deployments, because running and "
        "finished instances replay against the definitions they started with"
    )


class DeploymentResourceOut(BaseModel):
    """Camunda's DeploymentResourceDto."""

    id: str = Field(description="The resource id (stable: from the deployment and file name).")
    name: str = Field(description="The file name as uploaded.")
    deploymentId: str = Field(description="The deployment that stored it.")


def _resource_out(r: definitions.DeploymentResource) -> DeploymentResourceOut:
    return DeploymentResourceOut(id=r.id, name=r.name, deploymentId=r.deployment_id)


async def _resource(store: StoreDep, deployment_id: str, resource_id: str) -> DeploymentResource:
    for resource in await definitions.resources_of(store, deployment_id):
        if resource.id == resource_id:
            return resource
    raise NotFound(
        f"Deployment resource with resource id '{resource_id}' for deployment id "
        f"'{deployment_id}' does not exist."
    )


_NO_RESOURCE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such deployment or resource"}
}


@router.get(
    "/{id}/resources",
    response_model=list[DeploymentResourceOut],
    summary="Camunda: the files a deployment stored",
    description=(
        "The `.bpmn` files whose processes this deployment versioned; a file whose "
        "processes were all unchanged created no version and is not stored again."
    ),
    responses=_NO_RESOURCE,
)
async def list_resources(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> list[DeploymentResourceOut]:
    await _found(store, id)
    return [_resource_out(r) for r in await definitions.resources_of(store, id)]


@router.get(
    "/{id}/resources/{resourceId}",
    response_model=DeploymentResourceOut,
    summary="Camunda: one file of a deployment",
    responses=_NO_RESOURCE,
)
async def get_resource(
    id: str,
    resource_id: Annotated[str, Path(alias="resourceId")],
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> DeploymentResourceOut:
    await _found(store, id)
    return _resource_out(await _resource(store, id, resource_id))


@router.get(
    "/{id}/resources/{resourceId}/data",
    response_class=Response,
    summary="Camunda: the bytes of a deployment's file (how Cockpit and Modeler read diagrams)",
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string"}}}},
        **_NO_RESOURCE,
    },
)
async def get_resource_data(
    id: str,
    resource_id: Annotated[str, Path(alias="resourceId")],
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> Response:
    await _found(store, id)
    resource = await _resource(store, id, resource_id)
    return Response(
        resource.xml.encode("utf-8"),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{quote(resource.name)}"'},
    )


class RedeployIn(CamundaIn):
    """Camunda's RedeploymentDto."""

    resourceIds: list[str] | None = Field(
        default=None, description="Only these resources (with resourceNames: either)."
    )
    resourceNames: list[str] | None = Field(
        default=None, description="Only the resources of these names."
    )
    source: str | None = Field(
        default=None, max_length=255, description="The new deployment's source."
    )


@router.post(
    "/{id}/redeploy",
    response_model=DeploymentWithDefinitionsOut,
    summary="Camunda: deploy a deployment's files again (through the same compiler and store)",
    description=(
        "Creates a new deployment, named as the original, from its stored files (all of "
        "them, or those `resourceIds` / `resourceNames` name). As every Baton deploy it is "
        "changed-only: an unchanged process keeps its version and id."
    ),
    responses={
        **_NO_RESOURCE,
        400: {"description": "The deployment stored no file, or a file no longer compiles"},
    },
)
async def redeploy(
    id: str,
    request: Request,
    store: StoreDep,
    principal: Annotated[Principal, Requires("deploy")],
    body: Annotated[RedeployIn | None, Body()] = None,
) -> DeploymentWithDefinitionsOut:
    original = await _found(store, id)
    wanted = body or RedeployIn()
    stored = await definitions.resources_of(store, id)
    chosen = stored
    if wanted.resourceIds is not None or wanted.resourceNames is not None:
        ids, names = set(wanted.resourceIds or ()), set(wanted.resourceNames or ())
        missing = sorted(ids - {r.id for r in stored}) + sorted(names - {r.name for r in stored})
        if missing:
            raise NotFound(f"Deployment resources {missing} for deployment id '{id}' do not exist.")
        chosen = [r for r in stored if r.id in ids or r.name in names]
    if not chosen:
        raise ApiProblem(
            f"Deployment {id} stored no resource to redeploy: its processes were unchanged "
            "versions of earlier deployments",
            status=400,
        )
    uploads = [UploadFile(io.BytesIO(r.xml.encode("utf-8")), filename=r.name) for r in chosen]
    return await _deploy(
        request, store, uploads, name=original.name, source=wanted.source or principal.subject
    )
