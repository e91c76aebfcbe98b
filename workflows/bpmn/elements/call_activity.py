"""Call activities: the called process runs as a child ``BpmnProcess`` workflow; variables
go in and out through the mappings (Camunda's ``camunda:in`` / ``camunda:out``).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import CallActivity, Expression, Mapping
    from workflows.tokens import BpmnThrow, Token

from workflows import semantics
from workflows.bpmn.behaviors import outbox
from workflows.bpmn.behaviors import variables as mapping
from workflows.bpmn.constants import INFRA_RETRY, LOCAL_TIMEOUT
from workflows.bpmn.control import LOCALS, Incident
from workflows.bpmn.elements import tasks

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def run(rt: Runtime, node: CallActivity, token: Token) -> bool:
    """A call activity: a child workflow, awaited."""
    token.busy = True  # a child workflow does not survive continue-as-new
    try:
        await call_activity(rt, node)
    finally:
        token.busy = False
    return True


async def call_activity(rt: Runtime, node: CallActivity) -> None:
    """The called process runs as a child workflow; variables go in and out as the
    diagram maps them (Zeebe propagates all by default, Camunda 7 only when asked)."""
    key = str(rt.evaluate(node.called_element, node.id))
    version = int(node.version) if node.binding == "version" and node.version else None
    # beside built-ins running locally it must take its turn (see _exclusive_local)
    run_local = (
        functools.partial(outbox.exclusive_local, rt)
        if rt.local_builtins
        else workflow.execute_local_activity
    )
    try:
        ref = await run_local(
            c.RESOLVE_DEFINITION,
            c.ResolveDefinition(key=key, version=version),
            result_type=c.DefinitionRef,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=INFRA_RETRY,
            summary=f"resolve {key}",
        )
    except ActivityError as err:
        tasks.reraise_cancel(rt, err)
        raise Incident(f"called process {key!r}: {err.cause or err}") from err
    except ApplicationError as err:  # a local activity's own failure comes unwrapped
        if not rt.holds(semantics.CALLED_PROCESS_INCIDENT):
            raise  # before the rule: it failed the instance
        raise Incident(f"called process {key!r}: {err}") from err
    variables: dict[str, Any] = {}
    if node.propagate_all_parent_variables:
        variables.update(rt.variables)
    variables.update(_mapped(rt, node.in_mappings, node.id))
    variables.update(mapping.mapped(rt, node.inputs, node.id))
    business_key = (
        str(rt.evaluate(node.business_key, node.id))
        if node.business_key is not None
        else rt.input.business_key
    )
    child_id = f"{workflow.info().workflow_id}/{node.id}/{workflow.uuid4().hex[:8]}"
    rt.children.append(child_id)
    try:
        result = await workflow.execute_child_workflow(
            c.WORKFLOW_NAME,
            c.ProcessInput(
                definition=ref,
                business_key=business_key,
                variables=variables,
                parent_instance_id=workflow.info().workflow_id,
            ),
            id=child_id,
            result_type=c.ProcessResult,
            static_summary=f"{key} v{ref.version}, called by {node.id}",
        )
    except ChildWorkflowError as err:
        cause = err.cause
        if (
            isinstance(cause, ApplicationError)
            and cause.type == "BpmnError"
            and rt.holds(semantics.CALLED_ERROR)
        ):
            # the called process threw an error it did not catch: thrown here, at the
            # call activity, for its boundary events (semantics.CALLED_ERROR)
            code = str(cause.details[0]) if cause.details else cause.message
            raise BpmnThrow("error", code, cause.message, node.id) from err
        raise
    produced: dict[str, Any] = {}
    if node.propagate_all_child_variables:
        produced.update(result.variables)
    if node.out_mappings:
        saved = rt.variables
        rt.variables = {**saved, **result.variables}
        try:
            produced.update(_mapped(rt, node.out_mappings, node.id))
        finally:
            rt.variables = saved
    if node.outputs:
        mapping.apply_mappings(rt, node.outputs, node.id, extra=produced)
    else:
        rt.set_variables(produced, node.id)


#: ``camunda:in`` / ``camunda:out`` with ``source="name"`` (compiled to ``${name}``)
_PLAIN_SOURCE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def _mapped(rt: Runtime, mappings: list[Mapping], element_id: str) -> dict[str, Any]:
    """The call activity's variable mappings; a ``source`` variable that does not exist
    maps null, as Camunda 7 maps it (``semantics.MISSING_MAPPED_VARIABLE``; before it,
    the mapping failed and opened an incident)."""
    if not rt.holds(semantics.MISSING_MAPPED_VARIABLE):
        return mapping.mapped(rt, mappings, element_id)
    present: list[Mapping] = []
    values: dict[str, Any] = {}
    known = {*rt.variables, *(LOCALS.get() or {})}  # loop variables are locals
    for m in mappings:
        plain = (
            _PLAIN_SOURCE.fullmatch(m.source.source)
            if isinstance(m.source, Expression) and m.source.language == "juel"
            else None
        )
        if plain is not None and plain[1] not in known:
            values[m.target] = None
        else:
            present.append(m)
    values.update(mapping.mapped(rt, present, element_id))
    return {m.target: values[m.target] for m in mappings}
