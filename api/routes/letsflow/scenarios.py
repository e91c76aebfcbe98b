"""LetsFlow's engine API, part one: ``/info``, ``/demo-accounts`` and ``/scenarios``.

Scenarios are content-addressed: the id is the UUIDv5 of the normalized scenario
(``engine.scenario_id``), so storing the same content twice gives the same id, and
storing it again re-enables a disabled one. Bodies are JSON or YAML with LetsFlow's tags
(``!ref``, ``!tpl`` …); reads answer JSON or YAML by ``Accept`` or a ``.json``/``.yaml``
suffix. Errors are problem+json that also carry LetsFlow's ``{"error": {"message",
"reason"}}``, so clients of either convention find what they look for.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

import letsflow as engine
from api.auth import DEMO_ROLES, Principal, Requires
from api.deps import SettingsDep, StoreDep
from api.problems import ApiProblem, Forbidden, NotFound, letsflow_error
from api.schemas import Wire
from core import __version__
from store import letsflow

router = APIRouter(tags=["letsflow scenarios"])

MAX_SCENARIO_BYTES = 1_000_000
_UTF8 = "charset=utf-8"
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class InvalidScenario(ApiProblem):
    status = 400
    title = "Invalid scenario"


class InfoOut(Wire):
    name: str = Field(description="This engine.")
    version: str = Field(description="Baton's version.")
    description: str = Field(description="What it is.")
    env: str = Field(description="dev or prod.")
    schemas: list[str] = Field(description="The LetsFlow schemas this engine understands.")


@router.get("/info", response_model=InfoOut, summary="About this engine (no credentials)")
async def info(settings: SettingsDep) -> InfoOut:
    return InfoOut(
        name="baton",
        version=__version__,
        description="LetsFlow workflow engine API on Temporal (Baton)",
        env=settings.env,
        schemas=[engine.SCENARIO_SCHEMA, engine.ACTION_SCHEMA, engine.FN_SCHEMA],
    )


class DemoAccountOut(Wire):
    id: str = Field(description="The account's user id.")
    info: dict[str, str] = Field(description="{name}.")
    roles: list[str] = Field(description="The account's roles.")
    token: str = Field(description="Send as Authorization: Bearer <token>.")


@router.get(
    "/demo-accounts",
    response_model=list[DemoAccountOut],
    summary="Demo accounts and their tokens (BATON_ENV=dev only; 403 otherwise)",
    responses={403: {"description": "Not in dev mode"}},
)
async def demo_accounts(settings: SettingsDep) -> list[DemoAccountOut]:
    if not settings.dev_mode:
        raise Forbidden(
            "Demo accounts are disabled", **letsflow_error("Demo accounts are disabled")
        )
    return [
        DemoAccountOut(id=key, info={"name": name}, roles=sorted(roles), token=f"demo-{key}")
        for key, (name, roles) in DEMO_ROLES.items()
    ]


class ScenarioSummaryOut(Wire):
    id: str = Field(description="Content address: UUIDv5 of the normalized scenario.")
    name: str | None = Field(description="The scenario's name, if it has one.")
    version: str | None = Field(description="Its version, when named.")
    title: str = Field(description="Title.")
    description: str = Field(description="Description.")
    tags: list[str] = Field(description="Tags.")


@router.get("/scenarios", response_model=list[ScenarioSummaryOut], summary="Enabled scenarios")
async def list_scenarios(
    store: StoreDep, _: Annotated[Principal, Requires("scenario:read")]
) -> list[ScenarioSummaryOut]:
    return [
        ScenarioSummaryOut(
            id=r.id,
            name=r.name,
            version=r.version,
            title=r.title,
            description=r.description,
            tags=list(r.tags),
        )
        for r in await letsflow.list_scenarios(store)
    ]


def _parse(body: bytes, content_type: str) -> Any:
    if len(body) > MAX_SCENARIO_BYTES:
        raise ApiProblem(f"a scenario is at most {MAX_SCENARIO_BYTES} bytes", status=413)
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ("application/json", *_YAML_TYPES, ""):
        raise ApiProblem(
            f"send application/json or application/yaml, not {kind}",
            status=415,
            **letsflow_error("Unsupported content type"),
        )
    try:
        return json.loads(body) if kind == "application/json" else engine.load_yaml(body)
    except (ValueError, engine.ScenarioError) as exc:
        detail = exc.to_dict() if isinstance(exc, engine.ScenarioError) else {"message": str(exc)}
        raise InvalidScenario(
            f"the body does not parse: {exc}", **letsflow_error("Invalid scenario", [detail])
        ) from exc


@router.post(
    "/scenarios",
    status_code=201,
    summary="Store a scenario (JSON or YAML); Location names its id. The same content "
    "again gives the same id and re-enables it",
    responses={
        400: {"description": "The scenario is invalid; `error.reason` says where"},
        413: {"description": "Too large"},
        415: {"description": "Neither JSON nor YAML"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def store_scenario(
    request: Request, store: StoreDep, _: Annotated[Principal, Requires("scenario:write")]
) -> Response:
    raw = _parse(await request.body(), request.headers.get("content-type", ""))
    if not isinstance(raw, dict):
        raise InvalidScenario(
            "a scenario is an object", **letsflow_error("Invalid scenario", [{"path": ""}])
        )
    try:
        normalized = engine.normalize(raw)
        scenario_id = engine.scenario_id(normalized)
    except engine.ScenarioError as exc:
        raise InvalidScenario(
            f"invalid scenario: {exc}", **letsflow_error("Invalid scenario", [exc.to_dict()])
        ) from exc
    await letsflow.put_scenario(store, scenario_id, normalized)
    return Response(status_code=201, headers={"Location": f"/scenarios/{scenario_id}"})


def _split_suffix(ref: str) -> tuple[str, str | None]:
    for suffix, kind in ((".json", "json"), (".yaml", "yaml"), (".yml", "yaml")):
        if ref.endswith(suffix):
            return ref[: -len(suffix)], kind
    return ref, None


def _wants_yaml(request: Request, suffix: str | None) -> bool:
    if suffix is not None:
        return suffix == "yaml"
    accept = request.headers.get("accept", "")
    ranked = []
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((q, kind.strip().lower()))
    for _, kind in sorted(ranked, key=lambda item: -item[0]):
        if kind in _YAML_TYPES:
            return True
        if kind in ("application/json", "*/*", "application/*"):
            return False
    return False


@router.get(
    "/scenarios/{scenario_ref}",
    summary="One scenario, normalized, as JSON or YAML (Accept, or a .json/.yaml suffix)",
    responses={
        200: {
            "description": "The normalized scenario; `X-Disabled: true` when disabled",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        },
        404: {"description": "Scenario not found"},
    },
)
async def get_scenario(
    scenario_ref: str,
    request: Request,
    store: StoreDep,
    _: Annotated[Principal, Requires("scenario:read")],
) -> Response:
    scenario_id, suffix = _split_suffix(scenario_ref)
    row = await letsflow.get_scenario(store, scenario_id)
    if row is None:
        raise NotFound("Scenario not found", **letsflow_error("Scenario not found"))
    body = dict(row.normalized)
    # the normalized scenario as stored, without an id (the id is in the URL), typed with
    # a charset as Express sends it (src/scenario/scenario.controller.ts)
    document = {"$schema": body.pop("$schema", engine.SCENARIO_SCHEMA), **body}
    headers = {"X-Disabled": "true"} if row.disabled else {}
    if _wants_yaml(request, suffix):
        return Response(
            engine.dump_yaml(document), media_type=f"application/yaml; {_UTF8}", headers=headers
        )
    return JSONResponse(document, media_type=f"application/json; {_UTF8}", headers=headers)


@router.delete(
    "/scenarios/{scenario_id}",
    status_code=204,
    summary="Disable a scenario (it can still be read; storing it again re-enables it)",
    responses={404: {"description": "Scenario not found"}},
)
async def disable_scenario(
    scenario_id: str, store: StoreDep, _: Annotated[Principal, Requires("scenario:write")]
) -> Response:
    if not await letsflow.disable_scenario(store, scenario_id):
        raise NotFound("Scenario not found", **letsflow_error("Scenario not found"))
    return Response(status_code=204)
