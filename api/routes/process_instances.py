"""Start process instances and read one instance's state."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from temporalio.client import WorkflowHandle

from api import temporal_calls
from api.auth import CurrentPrincipal
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import NotFound
from api.schemas import ActivityOut, IncidentOut, InstanceDetailOut, InstanceOut, StartInstanceIn
from baton.settings import Settings
from store import definitions
from store.db import DefinitionNotFound
from workflows import contracts as c
from workflows import search_attributes as sa

router = APIRouter(prefix="/v1/bpms/process-instances", tags=["process instances"])


def _ui_link(settings: Settings, instance_id: str) -> str:
    return (
        f"{settings.ui_base_url()}/namespaces/{settings.temporal_namespace}/workflows/{instance_id}"
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InstanceOut,
    summary="Start an instance of a deployed process (latest version unless given)",
    responses={404: {"description": "No such process definition"}},
)
async def start_instance(
    body: StartInstanceIn,
    response: Response,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
) -> InstanceOut:
    try:
        d = await definitions.find(store, body.process_definition_key, body.version)
    except DefinitionNotFound as err:
        raise NotFound(str(err), field="processDefinitionKey") from err
    instance_id = str(uuid.uuid4())
    summary = f"{d.name or d.key} v{d.version}"
    if body.business_key:
        summary += f" · {body.business_key}"
    handle: WorkflowHandle[Any, c.ProcessResult] = await client.start_workflow(
        c.WORKFLOW_NAME,
        c.ProcessInput(
            definition=c.DefinitionRef(key=d.key, version=d.version, sha256=d.sha256),
            business_key=body.business_key,
            variables=body.process_data,
            started_by=principal.subject,
        ),
        id=instance_id,
        result_type=c.ProcessResult,
        task_queue=settings.task_queue,
        search_attributes=sa.at_start(d.key, d.version, body.business_key),
        static_summary=summary,
        static_details=(
            f"BPMN process `{d.key}` version {d.version} (sha256 `{d.sha256[:12]}`), "
            f"started by {principal.subject} through the Eximee BPMS API."
        ),
    )
    response.headers["Location"] = f"/v1/bpms/process-instances/{handle.id}"
    started = await handle.describe()
    return InstanceOut(
        id=handle.id,
        process_definition_key=d.key,
        version=d.version,
        business_key=body.business_key,
        state=c.InstanceState.ACTIVE.value,
        start_time=started.start_time,
        temporal_url=_ui_link(settings, handle.id),
    )


@router.get(
    "/{instance_id}",
    response_model=InstanceDetailOut,
    summary="One instance: state, current activities, variables and incidents",
    responses={404: {"description": "No such instance"}},
)
async def get_instance(
    instance_id: str, client: ClientDep, settings: SettingsDep, _: CurrentPrincipal
) -> InstanceDetailOut:
    view = await temporal_calls.query(
        client, settings, instance_id, c.STATE_QUERY, c.ProcessStateView
    )
    return InstanceDetailOut(
        id=instance_id,
        process_definition_key=view.definition.key,
        version=view.definition.version,
        business_key=view.business_key,
        state=view.state.value,
        start_time=view.start_time,
        end_time=view.end_time,
        temporal_url=_ui_link(settings, instance_id),
        current_activities=[
            ActivityOut(activity_id=a.element_id, name=a.name, type=a.type) for a in view.active
        ],
        process_data=view.variables,
        incidents=[
            IncidentOut(
                id=i.id,
                activity_id=i.element_id,
                message=i.message,
                created_at=i.created,
                state="RESOLVED" if i.resolved else "OPEN",
            )
            for i in view.incidents
        ],
    )
