"""Deployed DMN decisions: list, one version, its file, and evaluation on request
(``operations.decisions``, the same evaluation a business-rule task runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

import dmn
from api.auth import Principal, Requires
from api.deps import StoreDep
from api.limits import Variables
from api.schemas import DeployedDecisionOut, PageNumber, PageOut, PageSize, Wire
from operations import decisions as decision_ops
from store import decisions

router = APIRouter(prefix="/v1/bpms/decisions", tags=["decisions"])

VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such decision"}}


class EvaluateIn(Wire):
    variables: Variables = Field(
        default_factory=dict, description="The decision's inputs, by input data name."
    )
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Omit for the latest version."
    )


class EvaluatedOut(Wire):
    decision_key: str = Field(description="The decision evaluated.")
    version: int = Field(description="Its version.")
    result: Any = Field(description="The decision's value (FEEL's result, as JSON).")
    rule_results: list[dict[str, Any]] = Field(
        description="Decision tables: the outputs of each matched rule after the hit policy."
    )
    matched_rules: list[str] = Field(description="Ids of the rules that matched.")


@router.get(
    "",
    response_model=PageOut[DeployedDecisionOut],
    summary="The latest version of every deployed decision, by key",
)
async def list_decisions(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    page: PageNumber = 0,
    size: PageSize = 50,
) -> PageOut[DeployedDecisionOut]:
    latest: dict[str, decisions.DeployedDecision] = {}
    for d in await decisions.list_all(store):
        latest[d.key] = d  # by key, then version: the last is the latest
    found = list(latest.values())
    chosen = found[page * size : (page + 1) * size]
    return PageOut[DeployedDecisionOut](
        items=[DeployedDecisionOut.of(d) for d in chosen], page=page, size=size, total=len(found)
    )


@router.get(
    "/{key}",
    response_model=DeployedDecisionOut,
    summary="One decision version (the latest unless ?version=)",
    responses=_NOT_FOUND,
)
async def get_decision(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    version: VersionQuery = None,
) -> DeployedDecisionOut:
    return DeployedDecisionOut.of(await decision_ops.find(store, key, version=version))


@router.get(
    "/{key}/xml",
    response_class=Response,
    summary="The .dmn file of a decision version",
    responses={**_NOT_FOUND, 200: {"content": {"application/xml": {}}}},
)
async def get_decision_xml(
    key: str,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:deployment:read")],
    version: VersionQuery = None,
) -> Response:
    found = await decision_ops.find(store, key, version=version)
    xml = await decisions.load_xml(store, found.key, found.version)
    return Response(xml, media_type="application/xml")


@router.post(
    "/{key}/evaluate",
    response_model=EvaluatedOut,
    summary="Evaluate a deployed decision against variables",
    description=(
        "The same evaluation a business-rule task runs in its instance. A decision that "
        "cannot be evaluated (an input of the wrong kind, no rule where UNIQUE needs one) "
        "is 422 naming why."
    ),
    responses={**_NOT_FOUND, 422: {"description": "The decision could not be evaluated"}},
)
async def evaluate_decision(
    key: str,
    body: EvaluateIn,
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:decision:evaluate")],
) -> EvaluatedOut:
    done = await decision_ops.evaluate(store, key, body.variables, version=body.version)
    return EvaluatedOut(
        decision_key=done.decision.key,
        version=done.decision.version,
        result=dmn.json_value(done.result.value),
        rule_results=dmn.json_value(done.result.rule_results),
        matched_rules=list(done.result.matched_rules),
    )
