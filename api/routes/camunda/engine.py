"""``GET /engine-rest/engine`` and ``/engine-rest/version``: what Camunda clients ask
first to learn which engine they talk to.

Baton is one engine, named ``default`` as Camunda's only engine is, and reports the
Camunda 7 REST version whose contract ``/engine-rest`` follows (``CAMUNDA_VERSION``), not
Baton's own version: clients compare it against the Camunda features they may use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import Principal, Requires

#: The Camunda 7 release whose REST contract /engine-rest follows.
CAMUNDA_VERSION = "7.22.0"

router = APIRouter(prefix="/engine-rest", tags=["camunda engine"])


class EngineOut(BaseModel):
    name: str = Field(description="The engine's name (default).")


class VersionOut(BaseModel):
    version: str = Field(description="The Camunda 7 REST version served.")


@router.get(
    "/engine",
    response_model=list[EngineOut],
    summary="Camunda: the process engines (one, named default)",
)
async def engines(
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> list[EngineOut]:
    return [EngineOut(name="default")]


@router.get(
    "/version",
    response_model=VersionOut,
    summary="Camunda: the REST API version served (Camunda 7's, not Baton's)",
)
async def version(
    _: Annotated[Principal, Requires("bpms:deployment:read")],
) -> VersionOut:
    return VersionOut(version=CAMUNDA_VERSION)
