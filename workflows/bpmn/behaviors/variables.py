"""Variable mappings (inputs, outputs, call-activity in/out) and the bound on what a
command may bring, so an oversized update is refused before it reaches the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import Expression, Mapping

from baton_client.contracts import bpmn as c

from workflows.bpmn.constants import MAX_COMMAND_VARIABLES_BYTES, MAX_INSTANCE_VARIABLES_BYTES
from workflows.bpmn.control import encoded_size

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


def mapped(rt: Runtime, mappings: list[Mapping], element_id: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for mapping in mappings:
        source = mapping.source
        values[mapping.target] = (
            rt.evaluate(source, element_id) if isinstance(source, Expression) else None
        )
    return values


def apply_mappings(
    rt: Runtime, mappings: list[Mapping], element_id: str, extra: dict[str, Any] | None = None
) -> None:
    """Output mappings see the process variables plus what the element produced."""
    if not mappings:
        if extra:
            rt.set_variables(extra, element_id)
        return
    saved = rt.variables
    rt.variables = {**saved, **(extra or {})}
    try:
        values = mapped(rt, mappings, element_id)
    finally:
        rt.variables = saved
    rt.set_variables(values, element_id)


def check_variables(rt: Runtime, values: dict[str, Any]) -> None:
    """Refuse variables that would not fit in the history (see
    ``MAX_COMMAND_VARIABLES_BYTES``); the instance is unchanged."""
    if not values:
        return
    size = encoded_size(values)
    if size > MAX_COMMAND_VARIABLES_BYTES:
        raise ApplicationError(
            f"the variables are {size} bytes encoded; one command may bring at most "
            f"{MAX_COMMAND_VARIABLES_BYTES}",
            type=c.Rejection.VARIABLES_TOO_LARGE,
            non_retryable=True,
        )
    total = encoded_size({**rt.variables, **values})
    if total > MAX_INSTANCE_VARIABLES_BYTES:
        raise ApplicationError(
            f"the instance's variables would be {total} bytes encoded; at most "
            f"{MAX_INSTANCE_VARIABLES_BYTES}",
            type=c.Rejection.VARIABLES_TOO_LARGE,
            non_retryable=True,
        )


def check_deletions(names: list[str]) -> None:
    """Refuse a list of names to remove that would not fit in the history (the same
    bound as the values a command may bring)."""
    size = encoded_size({"deletions": names}) if names else 0
    if size > MAX_COMMAND_VARIABLES_BYTES:
        raise ApplicationError(
            f"the names to remove are {size} bytes encoded; one command may bring at most "
            f"{MAX_COMMAND_VARIABLES_BYTES}",
            type=c.Rejection.VARIABLES_TOO_LARGE,
            non_retryable=True,
        )
