"""ONEWEB's Process Runtime API (``/BPMREST/service/runtime``) over the same instances
and tasks as the Eximee BPMS API, so a custom inbox written for ONEWEB works on Baton.

Every answer is ONEWEB's envelope ``{data, code, timestamp, totalRecordCount}`` (times in
epoch ms); errors come in the same envelope with ``code`` = the HTTP status and a
``message`` (``api/problems.py`` renders them for these paths).

``user=`` is whom the caller acts for. It must be the authenticated caller unless the
caller holds ``oneweb:impersonate``; naming someone else is never a way to work on their
tasks. An impersonating caller acts with the override of ``bpms:task:assign`` when it
holds that too (a trusted integration), otherwise as that user without groups.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Query
from pydantic import Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import IDEMPOTENT, ClientDep, SettingsDep, StoreDep
from api.limits import Variables
from api.problems import ApiProblem, Conflict, Forbidden, NotFound
from api.schemas import Wire
from core.settings import Settings
from operations import calls, commands, errors, instances
from operations import tasks as ops
from operations.tasks import Action
from store import Store, cache_epochs, definitions, queries
from store.db import DefinitionNotFound
from store.models import TaskRecord

PREFIX = "/BPMREST/service/runtime"
router = APIRouter(prefix=PREFIX, tags=["oneweb process runtime"], dependencies=IDEMPOTENT)
T = TypeVar("T")

UserParam = Annotated[
    str | None,
    Query(description="Whom the caller acts for; the caller itself unless it may impersonate."),
]


class Envelope(Wire, Generic[T]):
    data: T = Field(description="The payload.")
    code: int = Field(default=0, description="0 on success; the HTTP status on errors.")
    timestamp: int = Field(description="When the answer was made (epoch ms).")
    total_record_count: int = Field(description="Entries in `data` (1 for a single value).")


def envelope(data: T, count: int | None = None) -> Envelope[T]:
    if count is None:
        count = len(data) if isinstance(data, list) else 1
    return Envelope[T](data=data, timestamp=int(time.time() * 1000), total_record_count=count)


def _ms(value: datetime | None) -> int | None:
    at = queries.as_utc(value)
    return int(at.timestamp() * 1000) if at is not None else None


class OnewebTask(Wire):
    """ONEWEB's task DTO: its 15 fields, times in epoch ms."""

    create_by: str | None = Field(description="Who started the instance, when known.")
    create_time: int = Field(description="When the task was created (epoch ms).")
    instance_id: str = Field(description="The process instance.")
    parent_task_id: str | None = Field(description="Always null: Baton has no sub-tasks.")
    due_date: int | None = Field(description="Due date (epoch ms), if any.")
    loadlink_entity_id: str | None = Field(description="Always null (ONEWEB UI linkage).")
    definition_id: str = Field(description="The process definition key.")
    assignee: str | None = Field(description="Who holds the task.")
    loadlink_param: str = Field(default="=", description="ONEWEB's default '='.")
    owner: str | None = Field(description="Who delegated the task, if delegated.")
    description: str | None = Field(description="The task's name from the diagram.")
    process_name: str = Field(description="The process definition key.")
    name: str | None = Field(description="The task's name from the diagram.")
    priority: int = Field(description="Priority.")
    id: str = Field(description="The task.")

    @classmethod
    def of(cls, row: TaskRecord) -> OnewebTask:
        return cls(
            create_by=None,
            create_time=_ms(row.created) or 0,
            instance_id=row.process_instance_id,
            parent_task_id=None,
            due_date=_ms(row.due),
            loadlink_entity_id=None,
            definition_id=row.definition_key,
            assignee=row.assignee,
            owner=row.owner,
            description=row.name,
            process_name=row.definition_key,
            name=row.name,
            priority=row.priority,
            id=row.id,
        )


@contextlib.asynccontextmanager
async def _oneweb_words() -> AsyncIterator[None]:
    """ONEWEB's wording of a task that is not there."""
    try:
        yield
    except errors.TaskNotFound as err:
        raise NotFound(f"no task {err.task_id}") from err


class StartIn(Wire):
    process_name: str = Field(
        min_length=1,
        description="The process to start: its name as the diagram gives it (exact, else "
        "case-insensitive), or its BPMN process id.",
    )
    app_name: str | None = Field(default=None, description="ONEWEB application (recorded).")
    unique_id: str | None = Field(
        default=None,
        description="Process id: tried as the key when processName names no process, and "
        "picks one when several processes share that name.",
    )
    snap_version: str | int | None = Field(
        default=None,
        description='Snapshot version such as "1.0" or "2": the number before the first dot '
        'is the definition version; absent, empty or "latest": the latest version.',
    )
    object: Variables = Field(
        default_factory=dict, description="Business objects {BOName: {...}}: the variables."
    )


_SNAPSHOT = re.compile(r"v?(\d+)(?:\.\d+)*", re.IGNORECASE)


def snapshot_version(snap: str | int | None) -> int | None:
    """The definition version a ONEWEB snapshot string stands for. ONEWEB versions an
    application as snapshots ("1.0", then "1.1" or "2.0" …); Baton counts a process key's
    versions 1, 2, 3 …. The rule: the number before the first dot is the version
    ("2", "2.0", "2.0.1", "v2" → 2); absent, empty or "latest" → the latest version;
    anything else is refused naming the field."""
    if snap is None:
        return None
    text = str(snap).strip()
    if text == "" or text.lower() == "latest":
        return None
    matched = _SNAPSHOT.fullmatch(text)
    if matched is None or int(matched.group(1)) < 1:
        raise ApiProblem(
            f'snapVersion: {text!r} is not a snapshot version such as "1.0" or "2" '
            "(the number before the first dot is the definition version, from 1), nor "
            '"latest"',
            status=400,
            field="snapVersion",
        )
    return int(matched.group(1))


async def _definition(
    store: Store, process_name: str, unique_id: str | None, version: int | None
) -> definitions.DeployedDefinition:
    """What ``processName`` names: a BPMN process id, else the diagram's name (exact,
    else case-insensitive); several processes of that name are a 409 unless ``uniqueId``
    is one of them. Last, ``uniqueId`` as a process id."""
    with contextlib.suppress(DefinitionNotFound):
        return await definitions.find(store, process_name, version)
    named = await definitions.named(store, process_name, version)
    if len(named) > 1:
        picked = [d for d in named if d.key == unique_id]
        if picked:
            return picked[0]
        keys = [d.key for d in named]
        raise Conflict(
            f"processName: {len(keys)} processes are named {process_name!r} "
            f"({', '.join(keys)}); give one of their process ids as processName or uniqueId",
            field="processName",
            code="AmbiguousProcessName",
            processIds=keys,
        )
    if named:
        return named[0]
    if unique_id and unique_id != process_name:
        with contextlib.suppress(DefinitionNotFound):
            return await definitions.find(store, unique_id, version)
    at = "" if version is None else f" at version {version}"
    raise NotFound(f"processName: no deployed process {process_name!r}{at}", field="processName")


async def _start(
    store: Store, client: Client, settings: Settings, principal: Principal, body: StartIn
) -> str:
    version = snapshot_version(body.snap_version)
    found = await _definition(store, body.process_name, body.unique_id, version)
    started = await instances.start(
        client, store, settings, found, started_by=principal.subject, variables=body.object
    )
    return started.instance_id


@router.post(
    "/process/start",
    response_model=Envelope[str],
    summary="Start a process instance; data is its id",
    responses={
        404: {"description": "No such process"},
        400: {"description": "Bad body or snapVersion"},
        409: {"description": "Several processes have that name"},
    },
)
async def start_process(
    body: StartIn,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
) -> Envelope[str]:
    return envelope(await _start(store, client, settings, principal, body))


@router.post(
    "/process/{process_name}/start",
    response_model=Envelope[str],
    deprecated=True,
    summary="Legacy start by process name; the body is the business objects themselves",
    responses={
        404: {"description": "No such process"},
        409: {"description": "Several processes have that name"},
    },
)
async def start_process_legacy(
    process_name: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:process:start")],
    business_objects: Annotated[
        Variables | None, Body(description="{BOName: {...}}: the variables.")
    ] = None,
) -> Envelope[str]:
    body = StartIn(process_name=process_name, object=business_objects or {})
    return envelope(await _start(store, client, settings, principal, body))


async def _require_instance(
    store: Store, client: Client, settings: Settings, instance_id: str
) -> None:
    """The read model first; an instance started a moment ago may only be in Temporal."""
    if await queries.get_instance(store, instance_id) is None:
        await instances.exists(client, settings, instance_id)


async def _open_tasks(store: Store, instance_id: str) -> list[TaskRecord]:
    page = await queries.list_tasks(
        store, queries.TaskFilter(process_instance_id=instance_id), page=0, size=1000
    )
    return page.items


async def _task(store: Store, task_id: str) -> TaskRecord:
    async with _oneweb_words():
        return await ops.locate(store, task_id)


async def _command(
    store: Store,
    client: Client,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    action: Action,
    **fields: Any,
) -> None:
    async with _oneweb_words():
        await ops.command(client, store, settings, actor, task_id, action, **fields)


_TASK_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed for this user, or user= names someone else"},
    404: {"description": "No such task"},
    409: {"description": "Already claimed by someone else, or not active"},
}


def _claim_route(action: Action) -> Callable[..., Awaitable[Envelope[str]]]:
    """Claim and unclaim differ only in the command they send."""

    async def route(
        task_id: str,
        store: StoreDep,
        client: ClientDep,
        settings: SettingsDep,
        principal: Annotated[Principal, Requires("bpms:task:complete")],
        user: UserParam = None,
    ) -> Envelope[str]:
        actor = ops.actor_of(principal, user)
        await _command(store, client, settings, actor, task_id, action)
        return envelope("")

    return route


for _path, _action, _summary in (
    ("claim", Action.CLAIM, "Claim a task for user="),
    ("unclaim", Action.UNCLAIM, "Give a claimed task back"),
):
    router.add_api_route(
        f"/tasks/{{task_id}}/{_path}",
        _claim_route(_action),
        methods=["POST"],
        name=f"oneweb_{_path}",
        response_model=Envelope[str],
        summary=_summary,
        responses=_TASK_ERRORS,
    )


@router.post(
    "/tasks/{task_id}/complete",
    response_model=Envelope[str],
    summary="Complete a task for user=; the business objects are merged into the variables",
    responses=_TASK_ERRORS,
)
async def complete(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:task:complete")],
    user: UserParam = None,
    business_objects: Annotated[
        Variables | None, Body(description="{BOName: {...}} merged into the variables.")
    ] = None,
) -> Envelope[str]:
    actor = ops.actor_of(principal, user)
    async with _oneweb_words():
        await ops.complete(client, store, settings, actor, task_id, business_objects or {})
    return envelope("")


@router.get(
    "/instance/{instance_id}/tasks",
    response_model=Envelope[list[OnewebTask]],
    summary="The active tasks of an instance",
    responses={404: {"description": "No such instance"}},
)
async def instance_tasks(
    instance_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
) -> Envelope[list[OnewebTask]]:
    await _require_instance(store, client, settings, instance_id)
    return envelope([OnewebTask.of(r) for r in await _open_tasks(store, instance_id)])


@router.get(
    "/tasks",
    response_model=Envelope[list[OnewebTask]],
    summary="Open tasks of a user (assigned to them), a role or a group (claimable by it)",
    responses={400: {"description": "No user, role or group given"}},
)
async def tasks_by(
    store: StoreDep,
    principal: Annotated[Principal, Requires("bpms:task:read")],
    user: UserParam = None,
    role: Annotated[str | None, Query(description="Tasks its members may claim.")] = None,
    group: Annotated[str | None, Query(description="Same as role.")] = None,
) -> Envelope[list[OnewebTask]]:
    named = [n for n in (role, group) if n]
    if user is None and not named:
        raise ApiProblem("give user=, role= or group=", status=400)
    if user is not None:
        ops.actor_of(principal, user)  # refuses a user the caller may not act for
    for name in named:
        if name not in principal.roles and not principal.can("oneweb:impersonate"):
            raise Forbidden(f"you are not in {name!r}", privilege="oneweb:impersonate")
    f = queries.TaskFilter(assignee=user, candidate_groups=tuple(sorted(set(named))))
    page = await queries.list_tasks(store, f, page=0, size=1000)
    return envelope([OnewebTask.of(r) for r in page.items], page.total)


class VariablesIn(Wire):
    names: list[str] | None = Field(default=None, description="Only these variables.")


@router.post(
    "/tasks/{task_id}/variables",
    response_model=Envelope[dict[str, Any]],
    summary="The variables (business objects) the task sees",
    responses={404: {"description": "No such task"}},
)
async def task_variables(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    body: Annotated[VariablesIn | None, Body()] = None,
) -> Envelope[dict[str, Any]]:
    row = await _task(store, task_id)
    view = await calls.query(client, settings, row.process_instance_id, commands.STATE)
    variables = dict(view.variables)
    if body is not None and body.names is not None:
        variables = {k: v for k, v in variables.items() if k in body.names}
    return envelope(variables)


@router.post(
    "/tasks/{task_id}/assign",
    response_model=Envelope[str],
    summary="Assign a task: one user becomes its assignee; several become candidates",
    responses={**_TASK_ERRORS, 400: {"description": "No user given"}},
)
async def assign(
    task_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:task:assign")],
    user: Annotated[list[str] | None, Query(description="Repeatable.")] = None,
) -> Envelope[str]:
    users = list(dict.fromkeys(user or []))
    if not users:
        raise ApiProblem("user: name at least one user", status=400)
    me = ops.actor_of(principal)  # holds bpms:task:assign (the route demands it): admin
    if len(users) == 1:
        await _command(store, client, settings, me, task_id, Action.ASSIGN, assignee=users[0])
    else:
        await _command(store, client, settings, me, task_id, Action.ADD_CANDIDATES, users=users)
    return envelope("")


@router.post(
    "/instance/{instance_id}/tasks/assign",
    response_model=Envelope[str],
    summary="Assign every active task of an instance to user=",
    responses={404: {"description": "No such instance"}, 400: {"description": "No user"}},
)
async def assign_instance_tasks(
    instance_id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Requires("bpms:task:assign")],
    user: UserParam = None,
) -> Envelope[str]:
    if not user:
        raise ApiProblem("user: name the user", status=400)
    await _require_instance(store, client, settings, instance_id)
    rows = await _open_tasks(store, instance_id)
    me = ops.actor_of(principal)  # holds bpms:task:assign (the route demands it): admin
    for row in rows:
        await _command(store, client, settings, me, row.id, Action.ASSIGN, assignee=user)
    return envelope("", len(rows))


@router.post(
    "/refreshCache",
    response_model=Envelope[str],
    summary="Every worker drops its cached process definitions",
)
async def refresh_cache(
    store: StoreDep, _: Annotated[Principal, Requires("deploy")]
) -> Envelope[str]:
    await cache_epochs.bump(store)
    return envelope("RefreshCache Success")


class ClassActionIn(Wire):
    file_names: list[str] = Field(
        default_factory=list, description="'<uniqueId>.<appName>.<processName>.<snapVersion>.jar'"
    )
    event: str = Field(description="refresh (drop cached definitions), file or generate.")


class ClassActionOut(Wire):
    response_status: str = Field(description="SUCCESS.")
    exception: str = Field(description="Empty on success.")
    files: list[str] = Field(description="The files named.")
    process: list[str] = Field(description="The process names they refer to.")


@router.post(
    "/classAction",
    response_model=Envelope[ClassActionOut],
    summary="Refresh the cache for specific processes (ONEWEB's class action)",
    responses={400: {"description": "Unknown event"}},
)
async def class_action(
    body: ClassActionIn, store: StoreDep, _: Annotated[Principal, Requires("deploy")]
) -> Envelope[ClassActionOut]:
    if body.event not in ("refresh", "file", "generate"):
        raise ApiProblem(f"event: {body.event!r} is not refresh, file or generate", status=400)
    names = [n.split(".")[2] if n.count(".") >= 3 else n for n in body.file_names]
    if body.event == "refresh":
        # caches are content-addressed; dropping all is as correct as dropping some
        await cache_epochs.bump(store)
    return envelope(
        ClassActionOut(
            response_status="SUCCESS", exception="", files=body.file_names, process=names
        )
    )
