"""The one variable write of ``/engine-rest``: process-instance variables and the
variables a task sees (its instance's: Baton has no task-local scope) are changed the
same way, through ``operations.instances.set_variables``.

A write is what ``/v1/bpms`` does: the instance's own state answer first (so an unknown
id is the caller's 404, not a write), the writer check of issue 18
(``api.instance_access``: its starter, a participant of an open task, or a privileged
role), the per-instance size bound, then one ``set_variables`` update carrying both the
values to set and the names to remove. The workflow decides: it refuses an ended
instance (409) and values over its bound, sets first and removes second (Camunda's
order, so a name both set and removed ends up removed) and records both in the case
history; removing a name it does not hold is no error, as on Camunda.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baton_client.contracts import bpmn as c
from pydantic import Field
from temporalio.client import Client

from api import instance_access, limits
from api.auth import Principal
from api.problems import ApiProblem
from api.routes.camunda.shapes import CamundaIn
from api.routes.camunda.variables import VariableError, decode, to_python
from core.settings import Settings
from operations import calls, instances
from operations.errors import NotFound


class PatchVariablesIn(CamundaIn):
    """Camunda's PatchVariablesDto: set ``modifications``, then remove ``deletions``."""

    modifications: dict[str, Any] | None = Field(
        default=None, description="Typed variables to set: name -> {value, type, valueInfo}."
    )
    deletions: list[str] | None = Field(
        default=None,
        description="Names to remove after the modifications are set (an unknown name is "
        "no error).",
    )


def decoded(what: str, modifications: dict[str, Any] | None) -> dict[str, Any]:
    """Camunda's typed ``modifications`` as plain values: 400 naming the variable that
    cannot be read, 413 over the per-request bound."""
    try:
        values = to_python(modifications)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=err.name) from err
    limits.check("modifications", values)
    return values


def decoded_one(what: str, name: str, typed: Any) -> Any:
    """One typed value (``PUT …/variables/{name}``), as ``decoded`` reads several."""
    try:
        value = decode(name, typed)
    except VariableError as err:
        raise ApiProblem(f"{what}: {err}", status=400, variable=name) from err
    limits.check("variables", {name: value})
    return value


async def instance_view(
    client: Client, settings: Settings, instance_id: str
) -> c.ProcessStateView | None:
    """The instance's own state answer, or None when no instance has the id."""
    try:
        return await calls.state_view(client, settings, instance_id)
    except NotFound:
        return None


async def write(
    client: Client,
    settings: Settings,
    principal: Principal,
    instance_id: str,
    values: dict[str, Any],
    deletions: Sequence[str] = (),
) -> bool:
    """Set ``values`` and then remove ``deletions`` on the instance, after the writer
    check and the size bound. False when no instance has the id (nothing written)."""
    current = await instance_view(client, settings, instance_id)
    if current is None:
        return False
    instance_access.require_writer(principal, instance_id, current)
    after = {**current.variables, **values}
    limits.check_instance_total({k: v for k, v in after.items() if k not in set(deletions)})
    # sent even when empty: the instance answers for itself (an ended one refuses, 409)
    await instances.set_variables(
        client, settings, instance_id, values, by=principal.subject, deletions=deletions
    )
    return True
