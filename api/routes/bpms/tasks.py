"""User tasks: the inbox (read model), completion and the other task commands
(``operations.tasks``, the same ones ONEWEB's routes call)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Query
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep
from api.problems import NotFound
from api.schemas import (
    AssignTaskIn,
    CompleteTaskIn,
    CompleteTaskOut,
    DelegateTaskIn,
    PageNumber,
    PageOut,
    PageSize,
    ResolveTaskIn,
    SubmitTaskFormIn,
    SubmitTaskFormOut,
    TaskDataOut,
    TaskFormOut,
    TaskOut,
    TaskStateChangeIn,
    TaskStateIn,
)
from core.settings import Settings
from operations import calls, commands, forms
from operations import tasks as ops
from operations.tasks import Action
from store import business_data, queries
from store.db import Store
from store.models import TaskRecord

router = APIRouter(prefix="/v1/bpms/tasks", tags=["user tasks"], dependencies=IDEMPOTENT)


def _task_out(row: TaskRecord) -> TaskOut:
    return TaskOut(
        id=row.id,
        name=row.name,
        task_definition_key=row.element_id,
        process_instance_id=row.process_instance_id,
        process_definition_key=row.definition_key,
        business_key=row.business_key,
        assignee=row.assignee,
        candidate_users=row.candidate_users,
        candidate_groups=row.candidate_groups,
        state=row.state,
        created=queries.as_utc(row.created) or row.created,
        due=queries.as_utc(row.due),
        priority=row.priority,
        form_key=row.form_key,
        owner=row.owner,
        delegation_state=row.delegation_state,
    )


@router.get(
    "",
    response_model=PageOut[TaskOut],
    summary="List user tasks (open ones, suspended included, unless `state` says otherwise)",
    description=(
        "Served from the read model. `candidateUser` / `candidateGroup` (repeatable) match "
        "tasks nobody has claimed yet, as in Camunda, unless `includeAssigned=true`."
    ),
)
async def list_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    assignee: str | None = None,
    candidate_user: Annotated[str | None, Query(alias="candidateUser")] = None,
    candidate_group: Annotated[list[str] | None, Query(alias="candidateGroup")] = None,
    include_assigned: Annotated[bool, Query(alias="includeAssigned")] = False,
    unassigned: bool | None = None,
    process_instance_id: Annotated[str | None, Query(alias="processInstanceId")] = None,
    process_definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    business_key: Annotated[str | None, Query(alias="businessKey")] = None,
    state: Annotated[c.TaskState | None, Query()] = None,
    due_before: Annotated[datetime | None, Query(alias="dueBefore")] = None,
    due_after: Annotated[datetime | None, Query(alias="dueAfter")] = None,
    created_before: Annotated[datetime | None, Query(alias="createdBefore")] = None,
    created_after: Annotated[datetime | None, Query(alias="createdAfter")] = None,
    sort_by: Annotated[
        Literal["created", "due", "priority", "name"], Query(alias="sortBy")
    ] = "created",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "asc",
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[TaskOut]:
    result = await queries.list_tasks(
        store,
        queries.TaskFilter(
            assignee=assignee,
            process_instance_id=process_instance_id,
            definition_key=process_definition_key,
            business_key=business_key,
            state=state.value if state else None,
            unassigned=unassigned,
            candidate_user=candidate_user,
            candidate_groups=tuple(candidate_group or ()),
            include_assigned=include_assigned,
            due_before=due_before,
            due_after=due_after,
            created_before=created_before,
            created_after=created_after,
        ),
        page=page,
        size=size,
        sort=queries.Sort(sort_by, descending=sort_order == "desc"),
    )
    return PageOut[TaskOut](
        items=[_task_out(r) for r in result.items], page=page, size=size, total=result.total
    )


@router.get("/{task_id}", response_model=TaskOut, summary="One user task")
async def get_task(
    task_id: str, store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")]
) -> TaskOut:
    row = await queries.get_task(store, task_id)
    if row is None:
        raise NotFound(f"no user task {task_id}")
    return _task_out(row)


@router.get(
    "/{task_id}/data",
    response_model=TaskDataOut,
    summary="The process data and business data of the task's instance",
    responses={404: {"description": "No such task"}},
)
async def get_task_data(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
) -> TaskDataOut:
    row = await queries.get_task(store, task_id)
    if row is None:
        raise NotFound(f"no user task {task_id}")
    view = await calls.query(client, settings, row.process_instance_id, commands.STATE)
    return TaskDataOut(
        task_id=task_id,
        process_instance_id=row.process_instance_id,
        process_data=view.variables,
        business_data=await business_data.get(store, row.process_instance_id),
    )


@router.get(
    "/{task_id}/form",
    response_model=TaskFormOut,
    summary="The task's form as a form-js schema, with the instance's variables",
    description=(
        "Read from the diagram version the instance runs: an embedded Camunda Form "
        '(`zeebe:formDefinition formKey="camunda-forms:bpmn:<id>"`) as it is, or '
        "`camunda:formData` converted to form-js (types, `validate`, `readonly`, "
        "`defaultValue`); `source: none` when the task declares neither. See docs/web.md."
    ),
    responses={404: {"description": "No such task"}},
)
async def get_task_form(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
) -> TaskFormOut:
    form = await forms.task_form(client, store, settings, task_id)
    return TaskFormOut(
        task_id=task_id,
        process_instance_id=form.row.process_instance_id,
        process_definition_key=form.definition.key,
        process_definition_version=form.definition.version,
        task_definition_key=form.row.element_id,
        source=form.source,
        form_key=form.declared.key,
        schema_=form.schema,
        variables=form.variables,
        readonly=[f.id for f in form.declared.fields if f.constraint("readonly")],
        note=form.note,
    )


@router.post(
    "/{task_id}/submit-form",
    response_model=SubmitTaskFormOut,
    response_model_exclude_none=True,
    summary="Submit the task's form: its formData constraints are checked, then the task "
    "is completed (or, when delegated, resolved) with the values",
    description=(
        "Camunda 7's submit-form: each `camunda:formField` value is converted to its type "
        "and checked against its constraints (required, readonly, minlength, maxlength, "
        "min, max); a field left out takes its `defaultValue`. A failing check is 422 with "
        "`errors` naming every failing field, and nothing changes: the task stays open. "
        "`/complete` runs no form checks."
    ),
    responses={
        404: {"description": "No such task"},
        409: {"description": "Task not active"},
        422: {"description": "The values break the form's constraints"},
    },
)
async def submit_task_form(
    task_id: str,
    body: SubmitTaskFormIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:task:complete")],
) -> SubmitTaskFormOut:
    done = await forms.submit(
        client, store, settings, ops.actor_of(principal), task_id, body.process_data
    )
    return SubmitTaskFormOut(
        task_id=task_id,
        process_instance_id=done.row.process_instance_id,
        resolved=done.resolved,
        process_data=done.variables if body.with_variables_in_return else None,
    )


@router.post(
    "/{task_id}/complete",
    response_model=CompleteTaskOut,
    response_model_exclude_none=True,
    summary="Complete (approve) a user task with process data",
    responses={404: {"description": "No such task"}, 409: {"description": "Task not active"}},
)
async def complete_task(
    task_id: str,
    body: CompleteTaskIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:task:complete")],
) -> CompleteTaskOut:
    done = await ops.complete(
        client,
        store,
        settings,
        ops.actor_of(principal),
        task_id,
        body.process_data,
        business=body.business_data,
    )
    return CompleteTaskOut(
        task_id=task_id,
        process_instance_id=done.row.process_instance_id,
        process_data=done.variables if body.with_variables_in_return else None,
    )


_MANAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The caller may not do this to the task"},
    404: {"description": "No such task"},
    409: {"description": "Not active, claimed by someone else, or (not) delegated"},
}


async def _manage(
    store: Store,
    client: Client,
    settings: Settings,
    principal: Principal,
    task_id: str,
    action: Action,
    **fields: Any,
) -> TaskOut:
    """One task command on behalf of the caller; the task as it is afterwards (the row
    with what the instance answered)."""
    changed = await ops.command(
        client, store, settings, ops.actor_of(principal), task_id, action, **fields
    )
    view = changed.view
    return _task_out(changed.row).model_copy(
        update={
            "assignee": view.assignee,
            "state": view.state.value,
            "owner": view.owner,
            "delegation_state": view.delegation_state.value if view.delegation_state else None,
        }
    )


@router.post(
    "/{task_id}/claim",
    response_model=TaskOut,
    summary="Claim the task for the caller",
    responses=_MANAGE_ERRORS,
)
async def claim_task(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(store, client, settings, p, task_id, Action.CLAIM)


@router.post(
    "/{task_id}/unclaim",
    response_model=TaskOut,
    summary="Give a claimed task back (assignee or admin)",
    responses=_MANAGE_ERRORS,
)
async def unclaim_task(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(store, client, settings, p, task_id, Action.UNCLAIM)


@router.post(
    "/{task_id}/assign",
    response_model=TaskOut,
    summary="Set or clear the assignee (assignee or admin)",
    responses=_MANAGE_ERRORS,
)
async def assign_task(
    task_id: str,
    body: AssignTaskIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(store, client, settings, p, task_id, Action.ASSIGN, assignee=body.user_id)


@router.post(
    "/{task_id}/delegate",
    response_model=TaskOut,
    summary="Hand the task to a delegate; it returns to its owner when resolved",
    responses=_MANAGE_ERRORS,
)
async def delegate_task(
    task_id: str,
    body: DelegateTaskIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(
        store, client, settings, p, task_id, Action.DELEGATE, assignee=body.user_id
    )


@router.post(
    "/{task_id}/resolve",
    response_model=TaskOut,
    summary="The delegate hands the task back to its owner, optionally with process data",
    responses=_MANAGE_ERRORS,
)
async def resolve_task(
    task_id: str,
    body: ResolveTaskIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(
        store, client, settings, p, task_id, Action.RESOLVE, variables=body.process_data
    )


def _state_route(action: Action) -> Any:
    async def change(
        task_id: str,
        body: TaskStateIn,
        store: StoreDep,
        client: ClientDep,
        settings: SettingsDep,
        p: Annotated[Principal, Requires("bpms:task:complete")],
    ) -> TaskOut:
        return await _manage(store, client, settings, p, task_id, action, reason=body.reason)

    return change


for _path, _action, _summary in (
    (
        "suspend",
        Action.SUSPEND,
        "Suspend the task: nobody may claim or complete it until it is resumed",
    ),
    ("resume", Action.RESUME, "Resume a suspended task"),
    (
        "cancel",
        Action.CANCEL,
        "Cancel the task: it ends as CANCELED and the process goes on past it (the token "
        "leaves without output variables; to stop the process, cancel the instance)",
    ),
):
    router.add_api_route(
        f"/{{task_id}}/{_path}",
        _state_route(_action),
        methods=["POST"],
        name=f"{_path}_task",
        response_model=TaskOut,
        summary=_summary,
        responses=_MANAGE_ERRORS,
    )


@router.post(
    "/{task_id}/state",
    response_model=TaskOut,
    summary="Change the task's state: SUSPENDED, ACTIVE (resume) or CANCELED, with a reason",
    description="One endpoint for `/suspend`, `/resume` and `/cancel`.",
    responses=_MANAGE_ERRORS,
)
async def change_task_state(
    task_id: str,
    body: TaskStateChangeIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    action = {
        "SUSPENDED": Action.SUSPEND,
        "ACTIVE": Action.RESUME,
        "CANCELED": Action.CANCEL,
    }[body.state]
    return await _manage(store, client, settings, p, task_id, action, reason=body.reason)


@router.put(
    "/{task_id}/assignee",
    response_model=TaskOut,
    summary="Claim (your own id) or assign (someone else's) the task",
    responses=_MANAGE_ERRORS,
)
async def put_assignee(
    task_id: str,
    body: DelegateTaskIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    if body.user_id == p.subject:
        return await _manage(store, client, settings, p, task_id, Action.CLAIM)
    return await _manage(store, client, settings, p, task_id, Action.ASSIGN, assignee=body.user_id)


@router.delete(
    "/{task_id}/assignee",
    response_model=TaskOut,
    summary="Unclaim the task (assignee or admin)",
    responses=_MANAGE_ERRORS,
)
async def delete_assignee(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    p: Annotated[Principal, Requires("bpms:task:complete")],
) -> TaskOut:
    return await _manage(store, client, settings, p, task_id, Action.UNCLAIM)
