"""Camunda's ``/engine-rest/history/task``: historic user tasks (open and ended), the
``GET`` and ``POST`` (HistoricTaskInstanceQueryDto body, ``sorting`` list) query and
count forms, from the task read model (``history.py`` says what Baton keeps).
"""

from __future__ import annotations

from typing import Annotated, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import Principal, Requires
from api.deps import StoreDep
from api.routes.camunda.history import date_out, millis_between
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting
from api.routes.camunda.tasks import TASK_STATES, DefinitionIds
from store import queries
from store.models import TaskRecord

router = APIRouter(prefix="/engine-rest/history", tags=["camunda history"])

SortOrder = Literal["asc", "desc"]


class HistoricTaskOut(BaseModel):
    """Camunda's HistoricTaskInstanceDto."""

    id: str = Field(description="The task id.")
    processDefinitionKey: str = Field(description="The BPMN process id.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    processInstanceId: str = Field(description="The instance that held the task.")
    rootProcessInstanceId: str = Field(description="The same instance (no call hierarchy).")
    executionId: str = Field(description="The instance id (Baton has no executions).")
    caseDefinitionKey: str | None = Field(default=None, description="Always null: no CMMN.")
    caseDefinitionId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseExecutionId: str | None = Field(default=None, description="Always null: no CMMN.")
    activityInstanceId: str | None = Field(default=None, description="Not kept (null).")
    name: str | None = Field(default=None, description="The task's name.")
    description: str | None = Field(default=None, description="Always null.")
    deleteReason: str | None = Field(default=None, description="completed or deleted, once ended.")
    owner: str | None = Field(default=None, description="Who delegated it.")
    assignee: str | None = Field(default=None, description="Who held it (last).")
    startTime: str = Field(description="When it was created.")
    endTime: str | None = Field(default=None, description="When it ended.")
    duration: int | None = Field(default=None, description="Milliseconds, once ended.")
    taskDefinitionKey: str = Field(description="The user task's element id.")
    priority: int = Field(description="Its priority.")
    due: str | None = Field(default=None, description="Its due date.")
    parentTaskId: str | None = Field(default=None, description="Always null.")
    followUp: str | None = Field(default=None, description="Always null.")
    tenantId: str | None = Field(default=None, description="Always null.")
    removalTime: str | None = Field(default=None, description="Always null.")
    taskState: str = Field(description="Camunda's task state: Created, Completed or Deleted.")


def _historic_task(row: TaskRecord, definition: str | None) -> HistoricTaskOut:
    reasons = {c.TaskState.COMPLETED.value: "completed", c.TaskState.CANCELED.value: "deleted"}
    return HistoricTaskOut(
        id=row.id,
        processDefinitionKey=row.definition_key,
        processDefinitionId=definition,
        processInstanceId=row.process_instance_id,
        rootProcessInstanceId=row.process_instance_id,
        executionId=row.process_instance_id,
        name=row.name,
        deleteReason=reasons.get(row.state),
        owner=row.owner,
        assignee=row.assignee,
        startTime=date_out(row.created) or "",
        endTime=date_out(row.ended),
        duration=millis_between(row.created, row.ended),
        taskDefinitionKey=row.element_id,
        priority=row.priority,
        due=date_out(row.due),
        taskState=TASK_STATES.get(row.state, row.state),
    )


TaskSorting = Literal["taskId", "instanceId", "assignee", "startTime", "priority", "taskName"]
_TASK_SORTS = {
    "taskId": "id",
    "instanceId": "instance",
    "assignee": "assignee",
    "startTime": "created",
    "priority": "priority",
    "taskName": "name",
}


class TaskSortIn(CamundaIn):
    sortBy: TaskSorting = Field(description="The column to sort by.")
    sortOrder: SortOrder = Field(description="asc or desc.")


class HistoricTaskQueryIn(CamundaIn):
    """The historic task query's filters (Camunda's names): the GET form's parameters, or
    the POST form's HistoricTaskInstanceQueryDto body."""

    taskId: str | None = Field(default=None, description="One task.")
    processInstanceId: str | None = Field(default=None, description="One instance.")
    processInstanceBusinessKey: str | None = Field(
        default=None, description="The instance's business key."
    )
    processDefinitionKey: str | None = Field(default=None, description="The BPMN process id.")
    taskDefinitionKey: str | None = Field(default=None, description="The user task's element id.")
    taskAssignee: str | None = Field(default=None, description="Assigned to this user.")
    finished: bool | None = Field(default=None, description="Only ended ones.")
    unfinished: bool | None = Field(default=None, description="Only running ones.")
    sorting: list[TaskSortIn] | None = Field(default=None, description="Sort keys, in order.")

    def sort(self) -> list[queries.Sort]:
        return [
            queries.Sort(_TASK_SORTS[s.sortBy], s.sortOrder == "desc") for s in self.sorting or ()
        ]

    def window(self) -> queries.TaskWindow:
        window = queries.TaskWindow(
            base=queries.TaskFilter(
                assignee=self.taskAssignee,
                process_instance_id=self.processInstanceId,
                definition_key=self.processDefinitionKey,
                business_key=self.processInstanceBusinessKey,
                any_state=True,
            ),
            task_ids=(self.taskId,) if self.taskId is not None else None,
            element_id=self.taskDefinitionKey,
        )
        if self.finished and not self.unfinished:
            return queries.TaskWindow(**{**window.__dict__, "ended_only": True})
        if self.unfinished and not self.finished:
            return queries.TaskWindow(**{**window.__dict__, "open_only": True})
        return window


def _task_query(
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    instance: Annotated[str | None, Query(alias="processInstanceId")] = None,
    business_key: Annotated[str | None, Query(alias="processInstanceBusinessKey")] = None,
    definition_key: Annotated[str | None, Query(alias="processDefinitionKey")] = None,
    element: Annotated[str | None, Query(alias="taskDefinitionKey")] = None,
    assignee: Annotated[str | None, Query(alias="taskAssignee")] = None,
    finished: bool | None = None,
    unfinished: bool | None = None,
    sort_by: Annotated[TaskSorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
) -> HistoricTaskQueryIn:
    check_sorting(sort_by, sort_order)
    return HistoricTaskQueryIn(
        taskId=task_id,
        processInstanceId=instance,
        processInstanceBusinessKey=business_key,
        processDefinitionKey=definition_key,
        taskDefinitionKey=element,
        taskAssignee=assignee,
        finished=finished,
        unfinished=unfinished,
        sorting=[TaskSortIn(sortBy=sort_by, sortOrder=sort_order)]
        if sort_by is not None and sort_order is not None
        else None,
    )


TaskQueryDep = Annotated[HistoricTaskQueryIn, Depends(_task_query)]
FirstResult = Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)]
MaxResults = Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)]


async def _listed(
    store: StoreDep, q: HistoricTaskQueryIn, first: int | None, size: int | None
) -> list[HistoricTaskOut]:
    rows = await queries.task_window(store, q.window(), first=first or 0, limit=size, sort=q.sort())
    ids = await DefinitionIds(store).of(rows)
    return [_historic_task(r, ids[r.process_instance_id]) for r in rows]


@router.get(
    "/task",
    response_model=list[HistoricTaskOut],
    summary="Camunda: query historic tasks (open and ended)",
)
async def list_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    q: TaskQueryDep,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricTaskOut]:
    return await _listed(store, q, first_result, max_results)


@router.post(
    "/task",
    response_model=list[HistoricTaskOut],
    summary="Camunda: query historic tasks with a HistoricTaskInstanceQueryDto body",
)
async def query_tasks(
    store: StoreDep,
    _: Annotated[Principal, Requires("bpms:task:read")],
    body: HistoricTaskQueryIn,
    first_result: FirstResult = None,
    max_results: MaxResults = None,
) -> list[HistoricTaskOut]:
    return await _listed(store, body, first_result, max_results)


@router.get("/task/count", response_model=CountOut, summary="Camunda: count historic tasks")
async def count_tasks(
    store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")], q: TaskQueryDep
) -> CountOut:
    return CountOut(count=await queries.count_task_window(store, q.window()))


@router.post(
    "/task/count",
    response_model=CountOut,
    summary="Camunda: count historic tasks with a HistoricTaskInstanceQueryDto body",
)
async def count_tasks_by_body(
    store: StoreDep, _: Annotated[Principal, Requires("bpms:task:read")], body: HistoricTaskQueryIn
) -> CountOut:
    return CountOut(count=await queries.count_task_window(store, body.window()))
