"""Camunda's task variables under ``/engine-rest/task/{id}``: read, set and remove the
variables a task sees, its form variables, and its (always empty) local variables.

Baton has no task-local scope: a task sees its instance's variables, so these routes
read the instance's state answer and write through the instance's variable write
(``variable_writes``: the writer check of issue 18, the size bound, one
``set_variables`` update). That is what Camunda does for a variable not declared on the
task itself -- ``PUT /task/{id}/variables/{name}`` sets it in the scope that holds it,
the process instance when nothing nearer does. ``localVariables`` answers what a task
that declares none has: an empty map, and 404 for any name.
"""

from __future__ import annotations

from typing import Annotated, Any

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.routes.camunda import variable_writes
from api.routes.camunda.tasks import no_task, split, task_row
from api.routes.camunda.variable_writes import PatchVariablesIn
from api.routes.camunda.variables import encode, to_typed
from core.settings import Settings
from operations import calls
from store.db import Store

router = APIRouter(prefix="/engine-rest/task", tags=["camunda task variable"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such task or variable"}}
_TYPED: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    200: {
        "description": "name -> {value, type, valueInfo}",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}
_WRITE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such open task"},
    204: {"description": "Done"},
    400: {"description": "A variable Baton cannot read, named"},
    403: {"description": "The caller may not change the instance's data"},
    409: {"description": "The instance has ended"},
    413: {"description": "Over the instance's size bound"},
}
_OPEN = (c.TaskState.CREATED.value, c.TaskState.ASSIGNED.value, c.TaskState.SUSPENDED.value)


def _no_variable(name: str) -> JSONResponse:
    """Camunda's answer for a name the task does not see (AbstractVariablesResource)."""
    return JSONResponse(
        {
            "type": "InvalidRequestException",
            "message": f"task variable with name {name} does not exist",
        },
        status_code=404,
    )


def _no_open_task(task_id: str) -> JSONResponse:
    """Camunda's engine error for a write to a task its runtime does not hold (unknown,
    completed or cancelled): ``NullValueException``, as for a task command (Camunda
    answers it with 500; Baton with 404, the caller named no task)."""
    return JSONResponse(
        {
            "type": "NullValueException",
            "message": f"Cannot find task with id {task_id}: task is null",
        },
        status_code=404,
    )


async def _visible(
    id: str, store: Store, client: Client, settings: Settings
) -> dict[str, Any] | JSONResponse:
    """The variables a task sees: its instance's (Baton has no task-local scope)."""
    row = await task_row(store, id)
    if row is None:
        return no_task(id)
    view = await calls.state_view(client, settings, row.process_instance_id)
    return view.variables


@router.get(
    "/{id}/variables",
    summary="Camunda: the variables the task sees (its instance's), typed",
    responses=_TYPED,
)
async def get_variables(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    return JSONResponse(to_typed(values))


@router.get(
    "/{id}/variables/{name}",
    summary="Camunda: one variable the task sees, typed",
    responses=_TYPED,
)
async def get_variable(
    id: str,
    name: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValue")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    if name not in values:
        return _no_variable(name)
    return JSONResponse(encode(values[name]))


async def _write(
    id: str,
    store: Store,
    client: Client,
    settings: Settings,
    principal: Principal,
    values: dict[str, Any],
    deletions: list[str],
) -> Response:
    """A write to the variables an open task sees: its instance's."""
    row = await task_row(store, id)
    if row is None or row.state not in _OPEN:
        return _no_open_task(id)
    instance_id = row.process_instance_id
    if not await variable_writes.write(client, settings, principal, instance_id, values, deletions):
        return _no_open_task(id)
    return Response(status_code=204)


@router.post(
    "/{id}/variables",
    status_code=204,
    summary="Camunda: set (modifications) and remove (deletions) the variables the task sees",
    responses=_WRITE,
)
async def modify_variables(
    id: str,
    body: PatchVariablesIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> Response:
    values = variable_writes.decoded(f"Cannot modify variables for task {id}", body.modifications)
    return await _write(id, store, client, settings, principal, values, body.deletions or [])


@router.put(
    "/{id}/variables/{name}",
    status_code=204,
    summary="Camunda: set one variable the task sees (on its instance)",
    responses=_WRITE,
)
async def put_variable(
    id: str,
    name: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    value = variable_writes.decoded_one(f"Cannot put task variable {name}", name, body)
    return await _write(id, store, client, settings, principal, {name: value}, [])


@router.delete(
    "/{id}/variables/{name}",
    status_code=204,
    summary="Camunda: remove one variable the task sees (an unknown name is no error)",
    responses=_WRITE,
)
async def delete_variable(
    id: str,
    name: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:write")],
) -> Response:
    return await _write(id, store, client, settings, principal, {}, [name])


@router.get(
    "/{id}/localVariables",
    summary="Camunda: the task's local variables: always none (no task-local scope)",
    responses=_TYPED,
)
async def get_local_variables(
    id: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    if await task_row(store, id) is None:
        return no_task(id)
    return JSONResponse({})


@router.get(
    "/{id}/localVariables/{name}",
    summary="Camunda: one local variable of the task: always 404 (no task-local scope)",
    responses=_TYPED,
)
async def get_local_variable(
    id: str,
    name: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValue")] = True,
) -> JSONResponse:
    if await task_row(store, id) is None:
        return no_task(id)
    return _no_variable(name)


@router.get(
    "/{id}/form-variables",
    summary="Camunda: the task form's variables (the instance's; variableNames narrows)",
    responses=_TYPED,
)
async def get_form_variables(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    names: Annotated[str | None, Query(alias="variableNames")] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> JSONResponse:
    values = await _visible(id, store, client, settings)
    if isinstance(values, JSONResponse):
        return values
    wanted = split(names)
    if wanted is not None:
        values = {k: v for k, v in values.items() if k in wanted}
    return JSONResponse(to_typed(values))
