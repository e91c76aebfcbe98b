"""Camunda's ``/engine-rest/variable-instance``: the runtime variables of running
instances, queried (``GET`` and ``POST``), counted, and one by id.

Baton keeps an instance's variables inside the instance (its state answer), not in a
table: no read model projects them, so a variable deleted a moment ago is gone as soon
as the update answered. A query therefore names its instances -- ``processInstanceIdIn``,
``executionIdIn`` or ``activityInstanceIdIn``, all the instance id in Baton (no
executions; a variable's activity instance is the instance) -- and is answered from
their state answers, as ``/history/variable-instance`` is (400 without one, at most
``MAX_INSTANCES`` instances). Runtime means running: an ended instance has no variable
instances here (``/history/variable-instance`` has them).

A variable instance's id is ``<instance id>:<variable name>`` (an instance id holds no
``:``), the id ``/history/variable-instance`` gives the same variable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from baton_client.contracts import bpmn as c
from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api.auth import Principal, Requires
from api.deps import ClientDep, SettingsDep, StoreDep
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn, CountOut, check_sorting, like, page
from api.routes.camunda.tasks import DefinitionIds, split
from api.routes.camunda.variable_writes import instance_view
from api.routes.camunda.variables import encode
from core.settings import Settings
from store.db import Store

router = APIRouter(prefix="/engine-rest/variable-instance", tags=["camunda variable instance"])

#: Instances one query may name: each is one state query to its workflow.
MAX_INSTANCES = 50

Sorting = Literal["variableName", "variableType", "activityInstanceId", "tenantId"]
SortOrder = Literal["asc", "desc"]
Operator = Literal["eq", "neq", "gt", "gteq", "lt", "lteq", "like"]
_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "like")
_RUNNING = (c.InstanceState.ACTIVE, c.InstanceState.INCIDENT)
_QUERY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "No instance named, a bad variableValues entry, or bad sorting"}
}


class VariableInstanceOut(BaseModel):
    """Camunda's VariableInstanceDto."""

    id: str = Field(description="<instance id>:<variable name>.")
    name: str = Field(description="The variable's name.")
    type: str = Field(description="Its Camunda type.")
    value: Any = Field(default=None, description="Its value (Json: serialized).")
    valueInfo: dict[str, Any] = Field(default_factory=dict, description="Type details.")
    processDefinitionId: str | None = Field(default=None, description="key:version:<deployment>.")
    processInstanceId: str = Field(description="The instance.")
    executionId: str = Field(description="The instance id (no executions).")
    activityInstanceId: str = Field(description="The instance id: variables live on it.")
    caseExecutionId: str | None = Field(default=None, description="Always null: no CMMN.")
    caseInstanceId: str | None = Field(default=None, description="Always null: no CMMN.")
    taskId: str | None = Field(default=None, description="Always null: no task-local scope.")
    batchId: str | None = Field(default=None, description="Always null: no batches.")
    tenantId: str | None = Field(default=None, description="Always null: no tenants.")
    errorMessage: str | None = Field(default=None, description="Always null.")


class VariableValueIn(CamundaIn):
    """Camunda's VariableQueryParameterDto."""

    name: str = Field(description="The variable's name.")
    operator: Operator = Field(description="eq, neq, gt, gteq, lt, lteq or like.")
    value: Any = Field(default=None, description="A string, number or boolean.")


class SortingIn(CamundaIn):
    sortBy: Sorting = Field(description="What to sort by.")
    sortOrder: SortOrder = Field(default="asc", description="asc or desc.")


class VariableInstanceQueryIn(CamundaIn):
    """Camunda's VariableInstanceQueryDto."""

    variableName: str | None = Field(default=None, description="This name.")
    variableNameLike: str | None = Field(default=None, description="Names LIKE this (% and _).")
    processInstanceIdIn: list[str] | None = Field(default=None, description="These instances.")
    executionIdIn: list[str] | None = Field(default=None, description="Instance ids too.")
    activityInstanceIdIn: list[str] | None = Field(default=None, description="Instance ids too.")
    caseInstanceIdIn: list[str] | None = Field(default=None, description="Matches nothing.")
    caseExecutionIdIn: list[str] | None = Field(default=None, description="Matches nothing.")
    taskIdIn: list[str] | None = Field(
        default=None, description="Task-local variables only: matches nothing."
    )
    batchIdIn: list[str] | None = Field(default=None, description="Matches nothing.")
    tenantIdIn: list[str] | None = Field(default=None, description="Matches nothing.")
    variableValues: list[VariableValueIn] | None = Field(
        default=None, description="Conditions on name and value, all of which must hold."
    )
    variableNamesIgnoreCase: bool = Field(
        default=False, description="variableValues names case-insensitively."
    )
    variableValuesIgnoreCase: bool = Field(
        default=False, description="variableValues string values case-insensitively."
    )
    sorting: list[SortingIn] | None = Field(default=None, description="Sort criteria, in order.")


def _instances(q: VariableInstanceQueryIn) -> list[str] | None:
    """The instances the query names (each id list narrows the others), or None when
    another filter matches nothing anyway (tasks, cases, batches, tenants)."""
    if any(
        ids is not None
        for ids in (q.caseInstanceIdIn, q.caseExecutionIdIn, q.taskIdIn, q.batchIdIn, q.tenantIdIn)
    ):
        return None
    named = [
        [i for i in ids if i]
        for ids in (q.processInstanceIdIn, q.executionIdIn, q.activityInstanceIdIn)
        if ids is not None
    ]
    if not named:
        raise ApiProblem(
            "a variable instance query needs processInstanceIdIn (or executionIdIn or "
            "activityInstanceIdIn): Baton keeps variables inside each instance",
            status=400,
        )
    found = list(dict.fromkeys(named[0]))
    for ids in named[1:]:
        found = [i for i in found if i in ids]
    if len(found) > MAX_INSTANCES:
        raise ApiProblem(
            f"processInstanceIdIn names {len(found)} instances; a variable instance query "
            f"reads at most {MAX_INSTANCES}",
            status=400,
        )
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerced(wanted: Any, value: Any) -> Any:
    """A query-string condition arrives as text: read it as the variable's own type
    (a number, a boolean) where it parses as one."""
    if not isinstance(wanted, str) or isinstance(value, str):
        return wanted
    if isinstance(value, bool):
        return {"true": True, "false": False}.get(wanted.lower(), wanted)
    if _number(value):
        try:
            return float(wanted) if isinstance(value, float) else int(wanted)
        except ValueError:
            try:
                return float(wanted)
            except ValueError:
                return wanted
    return wanted


def _holds(value: Any, operator: str, wanted: Any, ignore_case: bool) -> bool:
    """One variableValues condition on one value, as Camunda compares typed values:
    equality across types never holds, order only among numbers or among strings,
    ``like`` only on strings."""
    if ignore_case and isinstance(value, str) and isinstance(wanted, str):
        value, wanted = value.lower(), wanted.lower()
    same_kind = (_number(value) and _number(wanted)) or (
        type(value) is type(wanted) and not isinstance(value, dict | list)
    )
    if operator == "eq":
        return same_kind and value == wanted
    if operator == "neq":
        return not (same_kind and value == wanted)
    if operator == "like":
        return isinstance(value, str) and isinstance(wanted, str) and like(value, wanted)
    if not same_kind or not (_number(value) or isinstance(value, str)):
        return False
    if operator == "gt":
        return bool(value > wanted)
    if operator == "gteq":
        return bool(value >= wanted)
    if operator == "lt":
        return bool(value < wanted)
    return bool(value <= wanted)


def _matches(name: str, value: Any, q: VariableInstanceQueryIn, from_text: bool) -> bool:
    if q.variableName is not None and name != q.variableName:
        return False
    if q.variableNameLike is not None and not like(name, q.variableNameLike):
        return False
    for condition in q.variableValues or ():
        wanted_name, own = condition.name, name
        if q.variableNamesIgnoreCase:
            wanted_name, own = wanted_name.lower(), own.lower()
        if wanted_name != own:
            return False
        wanted = _coerced(condition.value, value) if from_text else condition.value
        if not _holds(value, condition.operator, wanted, q.variableValuesIgnoreCase):
            return False
    return True


def _sort_key(sort_by: str, row: VariableInstanceOut) -> str:
    if sort_by == "variableName":
        return row.name
    if sort_by == "variableType":
        return row.type
    if sort_by == "activityInstanceId":
        return row.activityInstanceId
    return ""  # tenantId: always null


def _sorted(rows: list[VariableInstanceOut], sorting: Iterable[SortingIn]) -> None:
    """Sort in place: the criteria in order (applied last to first, stably)."""
    for criterion in reversed(list(sorting)):
        by: str = criterion.sortBy

        def key(row: VariableInstanceOut, by: str = by) -> str:
            return _sort_key(by, row)

        rows.sort(key=key, reverse=criterion.sortOrder == "desc")


async def _variables(
    store: Store,
    client: Client,
    settings: Settings,
    q: VariableInstanceQueryIn,
    *,
    from_text: bool = False,
) -> list[VariableInstanceOut]:
    """The matching variable instances, by instance (as named) and name, then sorted."""
    ids = _instances(q)
    definitions = DefinitionIds(store)
    found: list[VariableInstanceOut] = []
    for instance_id in ids or ():
        view = await instance_view(client, settings, instance_id)
        if view is None or view.state not in _RUNNING:  # runtime: running instances only
            continue
        definition = await definitions.id(view.definition.key, view.definition.version)
        for name, value in sorted(view.variables.items()):
            if _matches(name, value, q, from_text):
                found.append(_out(instance_id, definition, name, value))
    _sorted(found, q.sorting or ())
    return found


def _out(instance_id: str, definition: str | None, name: str, value: Any) -> VariableInstanceOut:
    typed = encode(value)
    return VariableInstanceOut(
        id=f"{instance_id}:{name}",
        name=name,
        type=typed["type"],
        value=typed["value"],
        valueInfo=typed["valueInfo"],
        processDefinitionId=definition,
        processInstanceId=instance_id,
        executionId=instance_id,
        activityInstanceId=instance_id,
    )


def _conditions(text: str | None) -> list[VariableValueIn] | None:
    """``variableValues`` of a query string: ``name_operator_value``, comma-separated."""
    if text is None:
        return None
    conditions: list[VariableValueIn] = []
    for part in (p for p in text.split(",") if p):
        pieces = part.split("_")
        if len(pieces) != 3 or not pieces[0]:
            raise ApiProblem(
                f"variableValues: '{part}': a variable query parameter has to have the "
                "format KEY_OPERATOR_VALUE",
                status=400,
            )
        name, operator, value = pieces
        if operator not in _OPERATORS:
            raise ApiProblem(
                f"variableValues: Invalid variable comparator specified: {operator}", status=400
            )
        conditions.append(VariableValueIn(name=name, operator=operator, value=value))
    return conditions


def _query_params(
    name: Annotated[str | None, Query(alias="variableName")] = None,
    name_like: Annotated[str | None, Query(alias="variableNameLike")] = None,
    instance_in: Annotated[str | None, Query(alias="processInstanceIdIn")] = None,
    execution_in: Annotated[str | None, Query(alias="executionIdIn")] = None,
    activity_in: Annotated[str | None, Query(alias="activityInstanceIdIn")] = None,
    case_instance_in: Annotated[str | None, Query(alias="caseInstanceIdIn")] = None,
    case_execution_in: Annotated[str | None, Query(alias="caseExecutionIdIn")] = None,
    task_in: Annotated[str | None, Query(alias="taskIdIn")] = None,
    batch_in: Annotated[str | None, Query(alias="batchIdIn")] = None,
    tenant_in: Annotated[str | None, Query(alias="tenantIdIn")] = None,
    values: Annotated[str | None, Query(alias="variableValues")] = None,
    names_ignore_case: Annotated[bool, Query(alias="variableNamesIgnoreCase")] = False,
    values_ignore_case: Annotated[bool, Query(alias="variableValuesIgnoreCase")] = False,
) -> VariableInstanceQueryIn:
    """The query string as Camunda's VariableInstanceQueryDto (lists comma-separated)."""
    return VariableInstanceQueryIn(
        variableName=name,
        variableNameLike=name_like,
        processInstanceIdIn=split(instance_in),
        executionIdIn=split(execution_in),
        activityInstanceIdIn=split(activity_in),
        caseInstanceIdIn=split(case_instance_in),
        caseExecutionIdIn=split(case_execution_in),
        taskIdIn=split(task_in),
        batchIdIn=split(batch_in),
        tenantIdIn=split(tenant_in),
        variableValues=_conditions(values),
        variableNamesIgnoreCase=names_ignore_case,
        variableValuesIgnoreCase=values_ignore_case,
    )


QueryDep = Annotated[VariableInstanceQueryIn, Depends(_query_params)]


@router.get(
    "",
    response_model=list[VariableInstanceOut],
    summary="Camunda: query the variables of running instances",
    responses=_QUERY_ERRORS,
)
async def list_variable_instances(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: QueryDep,
    sort_by: Annotated[Sorting | None, Query(alias="sortBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> list[VariableInstanceOut]:
    check_sorting(sort_by, sort_order)
    if sort_by is not None:
        q.sorting = [SortingIn(sortBy=sort_by, sortOrder=sort_order or "asc")]
    found = await _variables(store, client, settings, q, from_text=True)
    return page(found, first_result, max_results)


@router.post(
    "",
    response_model=list[VariableInstanceOut],
    summary="Camunda: query the variables of running instances (filters as a body)",
    responses=_QUERY_ERRORS,
)
async def query_variable_instances(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: Annotated[VariableInstanceQueryIn | None, Body()] = None,
    first_result: Annotated[int | None, Query(alias="firstResult", ge=0, le=2**31 - 1)] = None,
    max_results: Annotated[int | None, Query(alias="maxResults", ge=0, le=2**31 - 1)] = None,
    _deserialize: Annotated[bool, Query(alias="deserializeValues")] = True,
) -> list[VariableInstanceOut]:
    found = await _variables(store, client, settings, body or VariableInstanceQueryIn())
    return page(found, first_result, max_results)


@router.get(
    "/count",
    response_model=CountOut,
    summary="Camunda: count the variables of running instances",
    responses=_QUERY_ERRORS,
)
async def count_variable_instances(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    q: QueryDep,
) -> CountOut:
    return CountOut(count=len(await _variables(store, client, settings, q, from_text=True)))


@router.post(
    "/count",
    response_model=CountOut,
    summary="Camunda: count the variables of running instances (filters as a body)",
    responses=_QUERY_ERRORS,
)
async def count_variable_instances_by_body(
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    body: Annotated[VariableInstanceQueryIn | None, Body()] = None,
) -> CountOut:
    q = body or VariableInstanceQueryIn()
    return CountOut(count=len(await _variables(store, client, settings, q)))


@router.get(
    "/{id}",
    response_model=VariableInstanceOut,
    summary="Camunda: one variable of a running instance, by <instance id>:<name>",
    responses={404: {"description": "No such variable instance"}},
)
async def get_variable_instance(
    id: str,
    store: StoreDep,
    client: ClientDep,
    settings: SettingsDep,
    _: Annotated[Principal, Requires("bpms:process:read")],
    _deserialize: Annotated[bool, Query(alias="deserializeValue")] = True,
) -> VariableInstanceOut | JSONResponse:
    instance_id, _colon, name = id.partition(":")
    view = await instance_view(client, settings, instance_id) if instance_id and name else None
    if view is None or view.state not in _RUNNING or name not in view.variables:
        return JSONResponse(
            {
                "type": "InvalidRequestException",
                "message": f"Variable instance with Id '{id}' does not exist.",
            },
            status_code=404,
        )
    definition = await DefinitionIds(store).id(view.definition.key, view.definition.version)
    return _out(instance_id, definition, name, view.variables[name])
