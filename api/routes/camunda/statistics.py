"""Camunda's definition statistics (``/engine-rest/process-definition/statistics``,
``…/{id}/statistics``, ``…/key/{key}/statistics``): running instances, failed jobs and
incidents per definition and per element -- the numbers Cockpit draws on its dashboard
and on a diagram. Counted by ``operations.statistics``.

Registered before the process-definition router, so ``statistics`` is not read as an id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.process_definitions import by_id, by_key
from api.routes.camunda.shapes import ProcessDefinitionOut, definition_out
from operations import statistics
from store import definitions

router = APIRouter(prefix="/engine-rest/process-definition", tags=["camunda statistics"])

READ = "bpms:process:read"
FAILED_JOB = "failedJob"


class IncidentCountOut(BaseModel):
    incidentType: str = Field(description="failedJob or failedExternalTask.")
    incidentCount: int = Field(description="Open incidents of that type.")


class ActivityStatisticsOut(BaseModel):
    """Camunda's ActivityStatisticsResultDto."""

    id: str = Field(description="The element id.")
    instances: int = Field(description="Running instances with a token at the element.")
    failedJobs: int = Field(description="Failed jobs there (with failedJobs=true, else 0).")
    incidents: list[IncidentCountOut] = Field(description="Open incidents there, by type.")


class DefinitionStatisticsOut(BaseModel):
    """Camunda's ProcessDefinitionStatisticsResultDto."""

    id: str = Field(description="The definition id.")
    instances: int = Field(description="Running instances of this version.")
    failedJobs: int = Field(description="Failed jobs (with failedJobs=true, else 0).")
    incidents: list[IncidentCountOut] = Field(description="Open incidents, by type.")
    definition: ProcessDefinitionOut = Field(description="The definition.")


class _Options:
    """Which counts to include, as Camunda's statistics parameters ask."""

    def __init__(
        self,
        failed_jobs: Annotated[bool | None, Query(alias="failedJobs")] = None,
        incidents: bool | None = None,
        incidents_for_type: Annotated[str | None, Query(alias="incidentsForType")] = None,
        root_incidents: Annotated[bool | None, Query(alias="rootIncidents")] = None,
    ) -> None:
        if sum(x is not None for x in (incidents, incidents_for_type, root_incidents)) > 1:
            raise ApiProblem(
                "Only one of the query parameter incidents, incidentsForType or "
                "rootIncidents can be set.",
                status=400,
            )
        self.failed_jobs = bool(failed_jobs)
        self.all_incidents = bool(incidents) or bool(root_incidents)
        self.incident_type = incidents_for_type

    def incidents(self, by_type: dict[str, int]) -> list[IncidentCountOut]:
        wanted = {
            t: n
            for t, n in sorted(by_type.items())
            if self.all_incidents or (self.incident_type is not None and t == self.incident_type)
        }
        return [IncidentCountOut(incidentType=t, incidentCount=n) for t, n in wanted.items()]

    def failed(self, by_type: dict[str, int]) -> int:
        return by_type.get(FAILED_JOB, 0) if self.failed_jobs else 0


OptionsDep = Annotated[_Options, Depends()]


@router.get(
    "/statistics",
    response_model=list[DefinitionStatisticsOut],
    summary="Camunda: running instances, failed jobs and incidents per definition",
)
async def definition_statistics(
    store: StoreDep, options: OptionsDep, _: Annotated[Principal, Requires(READ)]
) -> list[DefinitionStatisticsOut]:
    counted = await statistics.per_definition(store)
    out = []
    for d in await definitions.list_all(store):
        found = counted.get((d.key, d.version))
        by_type = found.incidents if found else {}
        out.append(
            DefinitionStatisticsOut(
                id=definition_out(d).id,
                instances=found.instances if found else 0,
                failedJobs=options.failed(by_type),
                incidents=options.incidents(by_type),
                definition=definition_out(d),
            )
        )
    return out


async def _elements(
    client: ClientDep, store: StoreDep, settings: SettingsDep, options: _Options, key: str, v: int
) -> list[ActivityStatisticsOut]:
    found = await statistics.per_element(client, store, settings, key, v)
    return [
        ActivityStatisticsOut(
            id=e.element_id,
            instances=e.instances,
            failedJobs=options.failed(e.incidents),
            incidents=options.incidents(e.incidents),
        )
        for e in found
    ]


@router.get(
    "/key/{key}/statistics",
    response_model=list[ActivityStatisticsOut],
    summary="Camunda: instances, failed jobs and incidents per element of a key's latest version",
    responses={404: {"description": "No such definition"}},
)
async def key_statistics(
    key: str,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    options: OptionsDep,
    _: Annotated[Principal, Requires(READ)],
) -> list[ActivityStatisticsOut]:
    d = await by_key(store, key)
    return await _elements(client, store, settings, options, d.key, d.version)


@router.get(
    "/{definition_id}/statistics",
    response_model=list[ActivityStatisticsOut],
    summary="Camunda: instances, failed jobs and incidents per element of a definition",
    responses={404: {"description": "No such definition"}},
)
async def activity_statistics(
    definition_id: str,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    options: OptionsDep,
    _: Annotated[Principal, Requires(READ)],
) -> list[ActivityStatisticsOut]:
    d = await by_id(store, definition_id)
    return await _elements(client, store, settings, options, d.key, d.version)
