"""Camunda's ``/engine-rest/process-definition``, second part: start forms, submit-form,
the tenant variants, and the commands Baton refuses (delete, suspend).

* ``submit-form`` starts an instance as ``start`` does (``operations.instances.start``,
  typed variables, business key) and answers Camunda's ProcessInstanceDto.
* ``startForm`` / ``form-variables`` read the start event's form from the deployed XML
  (``start_forms``); ``deployed-start-form``: Baton stores no forms (Modeler's ``.form``
  attachments are accepted and not kept), so a form key naming a deployed form is 404,
  any other 400, as Camunda answers.
* ``key/{key}/tenant-id/{tenant-id}/…``: Baton has no tenants, so no definition belongs
  to one: 404, as Camunda answers a tenant that has none.
* ``DELETE``: refused with 409 like ``DELETE /deployment/{id}`` (instances replay against
  the definition they started with); 404 when unknown.
* ``PUT …/suspended``: Baton never suspends; activating (``suspended: false``) is a no-op
  204, suspending is refused with 409.

Registered after ``process_definitions`` (its ``key/{key}`` routes win over ``{id}/…``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem, Conflict, NotFound
from api.routes.camunda.process_definitions import (
    StartIn,
    XmlOut,
    by_id,
    by_key,
    start_instance,
)
from api.routes.camunda.shapes import (
    CamundaIn,
    LinkOut,
    ProcessDefinitionOut,
    ProcessInstanceWithVariablesOut,
    definition_id,
)
from api.routes.camunda.start_forms import StartForm, start_form
from store import definitions
from store.definitions import DeployedDefinition

router = APIRouter(prefix="/engine-rest/process-definition", tags=["camunda process definition"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such process definition"}}
_START_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    400: {"description": "A variable Baton cannot read, named"},
}


class ProcessInstanceOut(BaseModel):
    """Camunda's ProcessInstanceDto (submit-form's answer)."""

    links: list[LinkOut] = Field(description="Links to this instance.")
    id: str = Field(description="The instance id (the Temporal workflow id).")
    definitionId: str = Field(description="The definition it runs.")
    definitionKey: str = Field(description="The BPMN process id it runs.")
    businessKey: str | None = Field(default=None, description="The business key given.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    ended: bool = Field(description="Whether the instance has already ended.")
    suspended: bool = Field(default=False, description="Always false.")
    tenantId: str | None = Field(default=None, description="Always null: Baton has no tenants.")


class SubmitFormIn(CamundaIn):
    """Camunda's StartProcessInstanceFormDto."""

    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables: name -> {value, type, valueInfo}."
    )
    businessKey: str | None = Field(
        default=None, max_length=255, description="The instance's business key."
    )


class CamundaFormRefOut(BaseModel):
    key: str = Field(description="camunda:formRef: the Camunda Form's id.")
    binding: str = Field(description="camunda:formRefBinding (latest, deployment, version).")
    version: int | None = Field(default=None, description="camunda:formRefVersion.")


class FormOut(BaseModel):
    """Camunda's FormDto."""

    key: str | None = Field(default=None, description="The start event's camunda:formKey.")
    contextPath: str | None = Field(
        default=None, description="Always null: no process applications."
    )
    camundaFormRef: CamundaFormRefOut | None = Field(
        default=None, description="The start event's camunda:formRef, if it has one."
    )


class SuspensionIn(CamundaIn):
    """Camunda's ProcessDefinitionSuspensionStateDto."""

    suspended: bool = Field(default=False, description="true suspends (refused), false activates.")
    includeProcessInstances: bool = Field(default=False, description="Accepted; no effect.")
    executionDate: str | None = Field(default=None, description="Accepted; no effect.")


class BulkSuspensionIn(SuspensionIn):
    processDefinitionId: str | None = Field(default=None, description="One definition.")
    processDefinitionKey: str | None = Field(default=None, description="Every version of a key.")


def _instance(started: ProcessInstanceWithVariablesOut) -> ProcessInstanceOut:
    return ProcessInstanceOut(**started.model_dump(exclude={"variables"}))


async def _submit(
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Principal,
    deployed: DeployedDefinition,
    body: SubmitFormIn | None,
) -> ProcessInstanceOut:
    form = body or SubmitFormIn()
    start = StartIn(variables=form.variables, businessKey=form.businessKey)
    started = await start_instance(request, client, store, settings, principal, deployed, start)
    return _instance(started)


async def _form(store: StoreDep, deployed: DeployedDefinition) -> StartForm:
    xml = await definitions.load_xml(store, deployed.key, deployed.version)
    return start_form(xml, deployed.key)


def _form_out(form: StartForm) -> FormOut:
    ref = CamundaFormRefOut(**form.form_ref) if form.form_ref else None
    return FormOut(key=form.key, camundaFormRef=ref)


def _form_variables(form: StartForm, names: str | None) -> dict[str, dict[str, Any]]:
    found = form.variables()
    if names is None:
        return found
    wanted = {n.strip() for n in names.split(",")}
    return {k: v for k, v in found.items() if k in wanted}


def _deployed_form(deployed: DeployedDefinition, form: StartForm) -> Response:
    key = form.key
    if key is None and form.form_ref is None:
        raise ApiProblem("The form key is not set.", status=400)
    if form.form_ref is not None or (
        key is not None and key.startswith(("embedded:deployment:", "camunda-forms:deployment:"))
    ):
        raise NotFound(
            f"The form for process definition {definition_id(deployed)} cannot be found in "
            "its deployment: Baton stores no forms (its forms come from the form registry)"
        )
    raise ApiProblem(f"The form key {key!r} does not reference a deployed form.", status=400)


def _suspend(body: SuspensionIn, what: str) -> Response:
    if body.suspended:
        raise Conflict(f"Cannot suspend {what}: Baton never suspends process definitions")
    return Response(status_code=204)


_REFUSED_DELETE = (
    "is kept: Baton never deletes process definitions, because running and finished "
    "instances replay against the definitions they started with"
)

# ---------------------------------------------------------------- literal paths


@router.put(
    "/suspended",
    status_code=204,
    response_class=Response,
    summary="Camunda: activate (a no-op) or suspend (refused) definitions by key or id",
    responses={
        **_NOT_FOUND,
        400: {"description": "Neither or both of processDefinitionId and processDefinitionKey"},
        409: {"description": "Baton never suspends"},
    },
)
async def suspend_bulk(
    body: BulkSuspensionIn, store: StoreDep, _: Annotated[Principal, Requires("deploy")]
) -> Response:
    if (body.processDefinitionId is None) == (body.processDefinitionKey is None):
        raise ApiProblem(
            "Only one of processDefinitionId or processDefinitionKey should be set to update "
            "the suspension state.",
            status=400,
        )
    if body.processDefinitionId is not None:
        found = await by_id(store, body.processDefinitionId)
        return _suspend(body, f"process definition {definition_id(found)}")
    assert body.processDefinitionKey is not None
    found = await by_key(store, body.processDefinitionKey)
    return _suspend(body, f"the process definitions of key {found.key}")


# ---------------------------------------------------------------- by key


@router.post(
    "/key/{key}/submit-form",
    response_model=ProcessInstanceOut,
    summary="Camunda: start the latest version of a key from its start form",
    responses=_START_ERRORS,
)
async def submit_form_by_key(
    key: str,
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    body: Annotated[SubmitFormIn | None, Body()] = None,
) -> ProcessInstanceOut:
    deployed = await by_key(store, key)
    return await _submit(request, client, store, settings, principal, deployed, body)


@router.get(
    "/key/{key}/startForm",
    response_model=FormOut,
    summary="Camunda: the start form key of the latest version of a key",
    responses=_NOT_FOUND,
)
async def start_form_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> FormOut:
    return _form_out(await _form(store, await by_key(store, key)))


@router.get(
    "/key/{key}/form-variables",
    response_model=dict[str, dict[str, Any]],
    summary="Camunda: the start form's fields (typed, with their defaults) of a key",
    responses=_NOT_FOUND,
)
async def form_variables_by_key(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    variable_names: Annotated[str | None, Query(alias="variableNames")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> dict[str, dict[str, Any]]:
    return _form_variables(await _form(store, await by_key(store, key)), variable_names)


@router.get(
    "/key/{key}/deployed-start-form",
    response_class=Response,
    summary="Camunda: the deployed start form of a key (Baton stores none)",
    responses={**_NOT_FOUND, 400: {"description": "No form key, or not a deployed form"}},
)
async def deployed_start_form_by_key(
    key: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> Response:
    deployed = await by_key(store, key)
    return _deployed_form(deployed, await _form(store, deployed))


@router.delete(
    "/key/{key}",
    status_code=204,
    response_class=Response,
    summary="Camunda: delete every version of a key (refused: Baton keeps definitions)",
    responses={**_NOT_FOUND, 409: {"description": "Baton keeps definitions"}},
)
async def delete_by_key(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("deploy")],
    _cascade: Annotated[bool, Query(alias="cascade")] = False,
    _skip_listeners: Annotated[bool, Query(alias="skipCustomListeners")] = False,
    _skip_io: Annotated[bool, Query(alias="skipIoMappings")] = False,
) -> Response:
    found = await by_key(store, key)
    raise Conflict(f"Process definitions of key {found.key} {_REFUSED_DELETE}")


@router.put(
    "/key/{key}/suspended",
    status_code=204,
    response_class=Response,
    summary="Camunda: activate (a no-op) or suspend (refused) every version of a key",
    responses={**_NOT_FOUND, 409: {"description": "Baton never suspends"}},
)
async def suspend_by_key(
    key: str,
    body: SuspensionIn,
    store: StoreDep,
    _: Annotated[Principal, Requires("deploy")],
) -> Response:
    found = await by_key(store, key)
    return _suspend(body, f"the process definitions of key {found.key}")


# ---------------------------------------------------------------- tenants


def _no_tenant(key: str, tenant: str) -> NotFound:
    return NotFound(
        f"No matching process definition with key '{key}' and tenant-id '{tenant}': "
        "Baton has no tenants"
    )


_TENANT: dict[int | str, dict[str, Any]] = {
    404: {"description": "Always: Baton has no tenants, so no definition belongs to one"}
}


@router.get(
    "/key/{key}/tenant-id/{tenant_id}",
    response_model=ProcessDefinitionOut,
    summary="Camunda: a key's latest version of a tenant (none: Baton has no tenants)",
    responses=_TENANT,
)
async def get_by_tenant(
    key: str,
    tenant_id: str,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> ProcessDefinitionOut:
    raise _no_tenant(key, tenant_id)


@router.get(
    "/key/{key}/tenant-id/{tenant_id}/xml",
    response_model=XmlOut,
    summary="Camunda: the XML of a tenant's definition (none: Baton has no tenants)",
    responses=_TENANT,
)
async def get_xml_by_tenant(
    key: str,
    tenant_id: str,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> XmlOut:
    raise _no_tenant(key, tenant_id)


@router.post(
    "/key/{key}/tenant-id/{tenant_id}/start",
    response_model=ProcessInstanceWithVariablesOut,
    summary="Camunda: start a tenant's definition (none: Baton has no tenants)",
    responses=_TENANT,
)
async def start_by_tenant(
    key: str,
    tenant_id: str,
    _: Annotated[Principal, Requires("bpms:process:start")],
    _body: Annotated[StartIn | None, Body()] = None,
) -> ProcessInstanceWithVariablesOut:
    raise _no_tenant(key, tenant_id)


@router.post(
    "/key/{key}/tenant-id/{tenant_id}/submit-form",
    response_model=ProcessInstanceOut,
    summary="Camunda: submit a tenant's start form (none: Baton has no tenants)",
    responses=_TENANT,
)
async def submit_form_by_tenant(
    key: str,
    tenant_id: str,
    _: Annotated[Principal, Requires("bpms:process:start")],
    _body: Annotated[SubmitFormIn | None, Body()] = None,
) -> ProcessInstanceOut:
    raise _no_tenant(key, tenant_id)


# ---------------------------------------------------------------- by id


@router.post(
    "/{id}/submit-form",
    response_model=ProcessInstanceOut,
    summary="Camunda: start a process definition from its start form",
    responses=_START_ERRORS,
)
async def submit_form_by_id(
    id: str,
    request: Request,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    body: Annotated[SubmitFormIn | None, Body()] = None,
) -> ProcessInstanceOut:
    deployed = await by_id(store, id)
    return await _submit(request, client, store, settings, principal, deployed, body)


@router.get(
    "/{id}/startForm",
    response_model=FormOut,
    summary="Camunda: the start form key of a process definition",
    responses=_NOT_FOUND,
)
async def start_form_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> FormOut:
    return _form_out(await _form(store, await by_id(store, id)))


@router.get(
    "/{id}/form-variables",
    response_model=dict[str, dict[str, Any]],
    summary="Camunda: the start form's fields (typed, with their defaults)",
    responses=_NOT_FOUND,
)
async def form_variables_by_id(
    id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    variable_names: Annotated[str | None, Query(alias="variableNames")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> dict[str, dict[str, Any]]:
    return _form_variables(await _form(store, await by_id(store, id)), variable_names)


@router.get(
    "/{id}/deployed-start-form",
    response_class=Response,
    summary="Camunda: the deployed start form (Baton stores none)",
    responses={**_NOT_FOUND, 400: {"description": "No form key, or not a deployed form"}},
)
async def deployed_start_form_by_id(
    id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:deployment:read")]
) -> Response:
    deployed = await by_id(store, id)
    return _deployed_form(deployed, await _form(store, deployed))


@router.delete(
    "/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Camunda: delete a process definition (refused: Baton keeps definitions)",
    responses={**_NOT_FOUND, 409: {"description": "Baton keeps definitions"}},
)
async def delete_by_id(
    id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("deploy")],
    _cascade: Annotated[bool, Query(alias="cascade")] = False,
    _skip_listeners: Annotated[bool, Query(alias="skipCustomListeners")] = False,
    _skip_io: Annotated[bool, Query(alias="skipIoMappings")] = False,
) -> Response:
    found = await by_id(store, id)
    raise Conflict(f"Process definition {definition_id(found)} {_REFUSED_DELETE}")


@router.put(
    "/{id}/suspended",
    status_code=204,
    response_class=Response,
    summary="Camunda: activate (a no-op) or suspend (refused) a process definition",
    responses={**_NOT_FOUND, 409: {"description": "Baton never suspends"}},
)
async def suspend_by_id(
    id: str,
    body: SuspensionIn,
    store: StoreDep,
    _: Annotated[Principal, Requires("deploy")],
) -> Response:
    found = await by_id(store, id)
    return _suspend(body, f"process definition {definition_id(found)}")
