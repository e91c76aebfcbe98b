"""Camunda's task commands under ``/engine-rest/task/{id}``: claim, unclaim, assignee,
delegate, resolve, complete and submit-form.

Each is ``operations.tasks`` -- what ``/v1/bpms/tasks`` uses -- so who may claim,
complete or delegate is decided once, by the instance's update validators. Their
refusals come back in Camunda's words where a Camunda client reads a specific type (a
task claimed by someone else is ``TaskAlreadyClaimedException``, an unknown task
``NullValueException``), else through the family's error body
(``api.routes.camunda.errors``).

``submit-form`` differs from ``complete`` as in Camunda: it checks the task's
``camunda:formData`` constraints first (``operations.forms``; a failure is Camunda's 400
``RestException`` and changes nothing) and resolves a delegated task instead of
completing it.
"""

from __future__ import annotations

from typing import Annotated, Any

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from temporalio.client import Client

from api import limits
from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda import errors
from api.routes.camunda.shapes import CamundaIn
from api.routes.camunda.variables import VariableError, to_python, to_typed
from core.settings import Settings
from operations import calls, commands, forms
from operations import tasks as ops
from operations.errors import NotFound, OperationError
from operations.tasks import Action
from store.db import Store

router = APIRouter(prefix="/engine-rest/task", tags=["camunda task"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such task"}}
_COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    204: {"description": "Done"},
    400: {"description": "A variable Baton cannot read, named"},
    403: {"description": "The caller may not do this to the task"},
    409: {"description": "Claimed by someone else, not active, or (not) delegated"},
}


class UserIdIn(CamundaIn):
    """Camunda's UserIdDto."""

    userId: str | None = Field(default=None, max_length=255, description="The user.")


class VariablesIn(CamundaIn):
    """Camunda's CompleteTaskDto (and resolve's and submit-form's)."""

    variables: dict[str, Any] | None = Field(
        default=None, description="Typed variables: name -> {value, type, valueInfo}."
    )
    withVariablesInReturn: bool = Field(
        default=False, description="Answer the instance's variables (200) instead of 204."
    )


def refusal(err: OperationError, task_id: str) -> JSONResponse:
    """A refused command in Camunda's words where its clients read the type; the rest
    as the family maps them (raised again)."""
    code = err.extensions.get("code")
    if code == c.Rejection.TASK_ALREADY_CLAIMED.value:
        body = errors.body(409, f"Task '{task_id}' is already claimed by someone else.")
        body["type"] = "TaskAlreadyClaimedException"
        body["reason"] = code
        return JSONResponse(body, status_code=409)
    if isinstance(err, NotFound):
        return JSONResponse(
            {
                "type": "NullValueException",
                "message": f"Cannot find task with id {task_id}: task is null",
            },
            status_code=404,
        )
    raise err


async def _command(
    client: Client,
    store: Store,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    action: Action,
    **fields: Any,
) -> Response:
    """One task command through ``operations.tasks``: 204 as Camunda answers, or its
    refusal."""
    try:
        await ops.command(client, store, settings, actor, task_id, action, **fields)
    except OperationError as err:
        return refusal(err, task_id)
    return Response(status_code=204)


def _variables(body: VariablesIn | None, what: str) -> dict[str, Any]:
    try:
        values = to_python(body.variables if body else None)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=err.name) from err
    limits.check("variables", values)
    return values


@router.post(
    "/{id}/claim",
    status_code=204,
    summary="Camunda: claim the task (for the caller, or for userId on its behalf)",
    responses=_COMMAND_ERRORS,
)
async def claim(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[UserIdIn | None, Body()] = None,
) -> Response:
    user = body.userId if body else None
    try:
        actor = ops.actor_of(p, user)
    except OperationError as err:
        return refusal(err, id)
    return await _command(client, store, settings, actor, id, Action.CLAIM)


@router.post(
    "/{id}/unclaim",
    status_code=204,
    summary="Camunda: give the task back (assignee or admin)",
    responses=_COMMAND_ERRORS,
)
async def unclaim(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> Response:
    return await _command(client, store, settings, ops.actor_of(p), id, Action.UNCLAIM)


@router.post(
    "/{id}/assignee",
    status_code=204,
    summary="Camunda: set (or, with null, clear) the assignee",
    responses=_COMMAND_ERRORS,
)
async def set_assignee(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[UserIdIn | None, Body()] = None,
) -> Response:
    user = body.userId if body else None
    if user is None:
        return await _command(client, store, settings, ops.actor_of(p), id, Action.UNCLAIM)
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.ASSIGN, assignee=user
    )


@router.post(
    "/{id}/delegate",
    status_code=204,
    summary="Camunda: delegate the task to userId; it returns to its owner when resolved",
    responses=_COMMAND_ERRORS,
)
async def delegate(
    id: str,
    body: UserIdIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> Response:
    if not body.userId:
        raise ApiProblem("userId is required to delegate a task", status=400)
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.DELEGATE, assignee=body.userId
    )


@router.post(
    "/{id}/resolve",
    status_code=204,
    summary="Camunda: the delegate resolves the task (back to its owner), with variables",
    responses=_COMMAND_ERRORS,
)
async def resolve(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    values = _variables(body, f"Cannot resolve task {id}")
    return await _command(
        client, store, settings, ops.actor_of(p), id, Action.RESOLVE, variables=values
    )


async def _complete(
    id: str,
    body: VariablesIn | None,
    store: Store,
    client: Client,
    settings: Settings,
    p: Principal,
    what: str,
) -> Response:
    values = _variables(body, f"Cannot {what} task {id}")
    try:
        done = await ops.complete(client, store, settings, ops.actor_of(p), id, values)
    except OperationError as err:
        return refusal(err, id)
    if body is not None and body.withVariablesInReturn:
        return JSONResponse(to_typed(done.variables))
    return Response(status_code=204)


_COMPLETE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_COMMAND_ERRORS,
    200: {
        "description": "The instance's typed variables (withVariablesInReturn)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


@router.post(
    "/{id}/complete",
    status_code=204,
    summary="Camunda: complete the task with typed variables",
    responses=_COMPLETE_RESPONSES,
)
async def complete(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    return await _complete(id, body, store, client, settings, p, "complete")


@router.post(
    "/{id}/submit-form",
    status_code=204,
    summary="Camunda: submit the task's form: formData constraints checked, then the task "
    "is completed (resolved, when delegated) with the form's variables",
    description=(
        "A value that breaks a `camunda:formField` constraint (required, readonly, "
        "minlength, maxlength, min, max) or is not of its type is 400 `RestException` "
        "(`Cannot submit task form <id>: Invalid value submitted for form field '<field>': "
        "validation of <constraint> failed.`), as Camunda answers, and nothing changes."
    ),
    responses={
        **_COMPLETE_RESPONSES,
        400: {"description": "A form field constraint failed, or a variable Baton cannot read"},
    },
)
async def submit_form(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Response:
    values = _variables(body, f"Cannot submit task form {id}")
    try:
        done = await forms.submit(client, store, settings, ops.actor_of(p), id, values)
    except forms.FormInvalid as err:
        # Camunda: FormFieldValidationException -> RestException(400), engine code 0
        message = f"Cannot submit task form {id}: {err.detail}"
        return JSONResponse(
            {
                "type": "RestException",
                "message": message,
                "code": 0,
                "errors": err.extensions["errors"],
            },
            status_code=400,
        )
    except OperationError as err:
        return refusal(err, id)
    if body is not None and body.withVariablesInReturn:
        variables = done.variables
        if variables is None:  # resolved, not completed: the instance goes on
            view = await calls.query(client, settings, done.row.process_instance_id, commands.STATE)
            variables = view.variables
        return JSONResponse(to_typed(variables))
    return Response(status_code=204)
