"""LetsFlow's engine API, part two: ``/processes``. Each process is a ``LetsflowProcess``
workflow; starting is a workflow start plus an update, stepping is an update, reading is
a query, and the list is the read model.

Who acts as which actor follows the LetsFlow engine: a user (Keycloak or demo account)
acts as the first actor allowed to do the action whom the user matches (by id or role),
or as the actor named in ``As-Actor`` if the process lets the user be it; an API key has
no user, so it names its actor with ``As-Actor`` and is held to the scenarios, actors and
actions it was issued for; a key issued for a service acts as that service
(``service:<name>``) without one. An action the scenario does not define is 404, as in
LetsFlow's src/process/process.controller.ts. Deviation from the engine on purpose: an
action is looked up as ``<state>.<action>`` first, so implicit actions can be stepped
(the engine 404s them).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from baton_client.contracts import letsflow as lc
from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import JSONResponse
from pydantic import Field
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

import letsflow as engine
from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.limits import BOUNDED, BoundedJson, Variables
from api.problems import ApiProblem, Forbidden, NotFound, Unavailable, letsflow_error
from api.schemas import Wire
from core.settings import Settings
from operations import calls, commands, errors
from store import letsflow
from store.models import LetsflowProcessRecord

router = APIRouter(prefix="/processes", tags=["letsflow processes"])
PAGE_SIZE = 100

AsActor = Annotated[
    str | None,
    Header(
        alias="As-Actor",
        description="The actor to act as. Required for API keys (they have no user), "
        "except a key issued for a service, which acts as `service:<name>`.",
    ),
]
Predict = Annotated[bool, Query(description="Add `next`: the likely coming states.")]


class StartAction(Wire):
    key: str = Field(description="The action to perform right after instantiation.")
    response: BoundedJson = Field(default=None, description="The action's response.")


class ProcessIn(Wire):
    scenario: str = Field(min_length=1, description="Scenario id or name.")
    actors: Annotated[dict[str, dict[str, Any]] | None, BOUNDED] = Field(
        default=None, description="Actors to fill at start: {key: {id?, ...}} (seed API)."
    )
    vars: Variables | None = Field(default=None, description="Variables at start.")
    action: str | StartAction | None = Field(
        default=None, description="An action to perform at once: its key, or {key, response}."
    )


class ProcessSummaryOut(Wire):
    id: str = Field(description="The process (also its Temporal workflow id).")
    title: str = Field(description="Title.")
    tags: list[str] = Field(description="Scenario tags, plus the end state's once ended.")
    scenario: dict[str, Any] = Field(description="{id, title, description}.")
    actors: list[dict[str, Any]] = Field(
        description="The process's actors, an array as LetsFlow lists them: each actor "
        "with its key in `_key`."
    )
    created: str = Field(description="When it started (UTC, as JavaScript's Date.toJSON).")
    last_updated: str = Field(description="Its last event (UTC, as Date.toJSON).")


class BadStep(ApiProblem):
    status = 400
    title = "Failed to execute action"


def _known_action(process: dict[str, Any], action: str) -> bool:
    """Whether the scenario defines ``action``, directly or as some state's implicit
    ``<state>.<action>``."""
    scenario = process.get("scenario") or {}
    actions = scenario.get("actions") or {}
    states = scenario.get("states") or {}
    return action in actions or any(f"{state}.{action}" in actions for state in states)


def _user(principal: Principal) -> dict[str, Any] | None:
    """The LetsFlow user of a principal; None for an API key (it acts via As-Actor)."""
    if principal.api_key is not None:
        return None
    return {"id": principal.subject, "roles": sorted(principal.roles)}


def _scope_allows(
    principal: Principal, scenario: dict[str, Any], actor: str | None, action: str | None
) -> bool:
    key = principal.api_key
    if key is None:
        return True
    return bool(
        engine.allowed_by_api_key(
            list(key.processes) if key.processes is not None else None,
            key.service,
            scenario_id=str(scenario.get("id")),
            scenario_name=scenario.get("name"),
            actor=actor,
            action=action,
        )
    )


def _require_scope(
    principal: Principal, scenario: dict[str, Any], actor: str | None, action: str | None
) -> None:
    if not _scope_allows(principal, scenario, actor, action):
        message = "Insufficient privileges of API key"
        raise Forbidden(message, **letsflow_error(message))


def _may_see(principal: Principal, process: dict[str, Any]) -> bool:
    if principal.can("process:super"):
        return True
    if principal.api_key is not None:
        return _scope_allows(principal, process.get("scenario") or {}, None, None)
    for actor in (process.get("actors") or {}).values():
        if not isinstance(actor, dict):
            continue
        if actor.get("id") == principal.subject:
            return True
        role = actor.get("role")
        roles = {role} if isinstance(role, str) else set(role or [])
        if roles & principal.roles:
            return True
    return False


def _resolve_actor(
    principal: Principal, process: dict[str, Any], action: str, as_actor: str | None
) -> dict[str, Any]:
    user = _user(principal)
    scope = principal.api_key
    if scope is not None and scope.service is not None and not as_actor:
        return {"key": f"service:{scope.service}"}  # the key is its service's credential
    if user is None:
        if not as_actor:
            raise Forbidden(
                "an API key names its actor with the As-Actor header",
                **letsflow_error("As-Actor header is required for API keys"),
            )
        return {"key": as_actor}
    key = as_actor or engine.resolve_actor(process, action, user)
    if key is None:
        message = f"Not allowed to perform action '{action}'"
        raise Forbidden(message, **letsflow_error(message))
    return {"key": key, **user}


def _with_prediction(process: dict[str, Any], predict: bool) -> dict[str, Any]:
    return {**process, "next": engine.predict(process)} if predict else process


def _headers(process: dict[str, Any]) -> dict[str, str]:
    events = process.get("events") or []
    if not events:
        return {}
    last = events[-1]
    return {"ETag": f'"{last.get("hash", "")}"', "X-Last-Event": str(last.get("timestamp", ""))}


async def _step(
    client: Client,
    settings: Settings,
    process_id: str,
    action: str,
    actor: dict[str, Any],
    response: Any,
    has_response: bool,
) -> dict[str, Any]:
    result = await calls.update(
        client,
        settings,
        process_id,
        commands.LETSFLOW_STEP,
        lc.StepCommand(action=action, actor=actor, response=response, has_response=has_response),
    )
    if result.skipped:
        raise BadStep(
            "; ".join(result.errors) or "the action was skipped",
            **letsflow_error("Failed to execute action", result.errors),
        )
    return result.process


@router.post(
    "",
    status_code=201,
    summary="Start a process from a scenario (by id or name), optionally with an action",
    responses={
        400: {"description": "Unknown or disabled scenario, or the action was skipped"},
        403: {"description": "Not allowed to act as that actor, or outside the API key's scope"},
    },
)
async def start_process(
    body: ProcessIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("process:start")],
    as_actor: AsActor = None,
    predict: Predict = False,
) -> JSONResponse:
    row = await letsflow.find_scenario(store, body.scenario)
    if row is None:
        raise ApiProblem("Scenario not found", **letsflow_error("Scenario not found"))
    if row.disabled:
        raise ApiProblem("Scenario is disabled", **letsflow_error("Scenario is disabled"))
    action = body.action.key if isinstance(body.action, StartAction) else body.action
    scenario = {"id": row.id, "name": row.name}
    _require_scope(principal, scenario, as_actor, action)
    process_id = str(uuid.uuid4())
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        lc.WORKFLOW_NAME,
        lc.ProcessStart(
            process_id=process_id, scenario_id=row.id, actors=body.actors, vars=body.vars
        ),
        id=process_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    try:
        process: dict[str, Any] = await client.execute_update_with_start_workflow(
            lc.READY,
            start_workflow_operation=start,
            result_type=dict,
            rpc_timeout=timedelta(seconds=settings.temporal_rpc_timeout_seconds),
        )
    except RPCError as err:
        raise Unavailable(f"Temporal did not start the process: {err.message}") from err
    if action is not None:
        actor = _resolve_actor(principal, process, action, as_actor)
        given = isinstance(body.action, StartAction) and "response" in body.action.model_fields_set
        response = body.action.response if isinstance(body.action, StartAction) else None
        process = await _step(client, settings, process_id, action, actor, response, given)
    return JSONResponse(
        _with_prediction(process, predict),
        status_code=201,
        headers={"Location": f"/processes/{process_id}", **_headers(process)},
    )


async def _load(
    client: Client, settings: Settings, principal: Principal, process_id: str
) -> dict[str, Any]:
    try:
        process = await calls.query(client, settings, process_id, commands.LETSFLOW_PROCESS)
    except errors.NotFound as err:
        raise NotFound("Process not found", **letsflow_error("Process not found")) from err
    if not _may_see(principal, process):
        message = (
            "Insufficient privileges of API key"
            if principal.api_key is not None
            else "Not allowed to access the process"
        )
        raise Forbidden(message, **letsflow_error(message))
    return process


@router.get(
    "/{process_id}",
    summary="One process: its state, actors, vars, actions now possible and events",
    responses={404: {"description": "Process not found"}},
)
async def get_process(
    process_id: str,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("process:read")],
    predict: Predict = False,
) -> JSONResponse:
    process = await _load(client, settings, principal, process_id)
    return JSONResponse(_with_prediction(process, predict), headers=_headers(process))


@router.post(
    "/{process_id}/{action}",
    summary="Perform an action; the body is the action's response (any JSON)",
    responses={
        400: {"description": "The action was skipped; `error.reason` says why"},
        404: {"description": "Process not found, or the scenario has no such action"},
    },
)
async def step_process(
    process_id: str,
    action: str,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("process:step")],
    as_actor: AsActor = None,
    predict: Predict = False,
    response: Annotated[BoundedJson, Body(description="The response (any JSON).")] = None,
) -> JSONResponse:
    process = await _load(client, settings, principal, process_id)
    if not _known_action(process, action):
        message = "Unknown action for this process"
        raise NotFound(message, **letsflow_error(message))
    actor = _resolve_actor(principal, process, action, as_actor)
    scenario = process.get("scenario") or {}
    _require_scope(principal, scenario, actor["key"], action)
    stepped = await _step(
        client, settings, process_id, action, actor, response, response is not None
    )
    return JSONResponse(_with_prediction(stepped, predict), headers=_headers(stepped))


_SORTABLE = {"title", "created", "lastUpdated"}


def _order(sort: str | None) -> list[Any]:
    columns = {
        "title": LetsflowProcessRecord.title,
        "created": LetsflowProcessRecord.created,
        "lastUpdated": LetsflowProcessRecord.last_updated,
    }
    order: list[Any] = []
    for part in (sort or "-created").split(","):
        name = part.strip().lstrip("-")
        if name not in _SORTABLE:
            raise ApiProblem(
                f"sort: unknown field {name!r}; one of {sorted(_SORTABLE)}", status=422
            )
        column = columns[name]
        order.append(column.desc() if part.strip().startswith("-") else column.asc())
    return [*order, LetsflowProcessRecord.id]


@router.get(
    "",
    response_model=list[ProcessSummaryOut],
    summary="Processes the caller takes part in (all of them with all=true and process:super)",
)
async def list_processes(
    store: StoreDep,
    principal: Annotated[Principal, Requires("process:read")],
    page: Annotated[int, Query(ge=1, le=100_000, description="Page, from 1.")] = 1,
    every: Annotated[bool, Query(alias="all", description="Every process.")] = False,
    sort: Annotated[
        str | None, Query(description="Fields title, created, lastUpdated; '-' descends.")
    ] = None,
) -> list[ProcessSummaryOut]:
    if every and not principal.can("process:super"):
        raise Forbidden("all=true needs the privilege 'process:super'", privilege="process:super")
    key = principal.api_key
    scoped: tuple[str, ...] | None = None
    if key is not None and key.processes is not None:
        scoped = tuple(str(p.get("scenario")) for p in key.processes)
    f = letsflow.ProcessFilter(
        user_id=principal.subject if key is None else None,
        roles=tuple(sorted(principal.roles)) if key is None else (),
        every=every or (key is not None and key.processes is None and key.service is None),
        scenarios=scoped,
        service=key.service if key is not None else None,
    )
    rows = await letsflow.list_processes(
        store, f, page=page - 1, size=PAGE_SIZE, order=_order(sort)
    )
    return [
        ProcessSummaryOut(
            id=r.id,
            title=r.title,
            tags=list(r.tags),
            scenario=dict(r.summary.get("scenario", {})),
            actors=[
                {"_key": key, **(actor if isinstance(actor, dict) else {})}
                for key, actor in (r.summary.get("actors") or {}).items()
            ],
            created=engine.format_timestamp(r.created),
            last_updated=engine.format_timestamp(r.last_updated),
        )
        for r in rows
    ]
