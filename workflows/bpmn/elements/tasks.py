"""Service and script tasks: an activity for the task type (external workers, HTTP
connectors, built-ins run locally when they answer at once), scripts and expressions
evaluated in the workflow, JavaScript scripts in Baton's engine, Spring-bean calls as
activities; retries run out into incidents.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    from bpmn_compiler.ir import Expression, Implementation, Node, ScriptTask, ServiceTask
    from expressions.javascript import (
        NOW_HEADER,
        RESULT_VALUE,
        RESULT_VARIABLES,
        SCRIPT_HEADER,
        SCRIPT_TASK_TYPE,
        is_javascript,
    )
    from workflows.tokens import BpmnThrow, Token

from workflows import semantics
from workflows.bpmn.behaviors import causes, decisions, outbox, variables
from workflows.bpmn.constants import (
    BEAN_CALL_PATTERN,
    EXTERNAL_TASK_TIMEOUT,
    LOCAL_TIMEOUT,
    SERVICE_TASK_TIMEOUT,
)
from workflows.bpmn.control import Incident

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def run(rt: Runtime, node: ServiceTask | ScriptTask, token: Token) -> bool:
    """Service and script tasks: their implementation (an activity, a built-in, a script)."""
    await run_implementation(rt, node, node.implementation, token)
    return True


async def run_implementation(rt: Runtime, node: Node, impl: Implementation, token: Token) -> None:
    inputs = getattr(node, "inputs", [])
    if impl.kind == "none":
        return
    if impl.kind == "expression" and impl.expression is not None:
        value = await evaluate_or_call(rt, impl.expression, node)
        if impl.result_variable:
            rt.set_variables({impl.result_variable: value}, node.id)
        return
    if impl.kind == "decision" and impl.decision_ref is not None:
        if rt.holds(semantics.DECISIONS):
            await decisions.run(rt, node, impl)
            return
        # before the rule: evaluated by whichever worker serves "decision:<id>"
        ref = str(rt.evaluate(impl.decision_ref, node.id))
        impl = impl.model_copy(update={"kind": "activity", "task_type": f"decision:{ref}"})
    if impl.kind == "script" and runs_javascript(rt, node, impl):
        await run_javascript(rt, node, impl, token)
        return
    if impl.kind in ("activity", "script") and impl.task_type:
        local = variables.mapped(rt, inputs, node.id)
        if impl.script is not None:
            local = {**local, "script": impl.script.source, "scriptFormat": impl.script.format}
        result = await activity(rt, node, impl, token, local)
        outputs = getattr(node, "outputs", [])
        if impl.result_variable and "result" in result:
            result = {impl.result_variable: result["result"]}
        if outputs:
            variables.apply_mappings(rt, outputs, node.id, extra=result)
        else:
            rt.set_variables(result, node.id)
        return
    raise Incident(f"{impl.kind} implementations are not executable yet")


async def _run_service_task(
    rt: Runtime,
    node: Node,
    impl: Implementation,
    task: c.ServiceTaskInput,
    retry: RetryPolicy,
    summary: str,
) -> c.ServiceTaskResult:
    """One service task's activity: local for Baton's built-ins, else regular."""
    assert impl.task_type is not None
    if runs_locally(rt, node, impl.task_type):
        result: c.ServiceTaskResult = await outbox.exclusive_local(
            rt,
            impl.task_type,
            task,
            result_type=c.ServiceTaskResult,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=retry,
            summary=summary,
        )
        # a wait, as a regular activity is, although workflow time stands still
        # while local activities run: a loop over one is no cycle without waits
        rt.burst = 0
        return result
    remote: c.ServiceTaskResult = await workflow.execute_activity(
        impl.task_type,
        task,
        result_type=c.ServiceTaskResult,
        # an attempt may wait long for an HTTP worker (a parked task is kept
        # alive by heartbeats while it waits); a dead worker is noticed in 5 min
        start_to_close_timeout=EXTERNAL_TASK_TIMEOUT,
        heartbeat_timeout=SERVICE_TASK_TIMEOUT,
        retry_policy=retry,
        summary=summary,
    )
    return remote


async def activity(
    rt: Runtime, node: Node, impl: Implementation, token: Token, inputs: dict[str, Any]
) -> dict[str, Any]:
    assert impl.task_type is not None
    attempts = token.attempts or impl.retries
    task = c.ServiceTaskInput(
        process_instance_id=workflow.info().workflow_id,
        element_id=node.id,
        business_key=rt.input.business_key,
        variables={**rt.variables, **inputs},
        headers=impl.headers,
        definition_key=rt.input.definition.key,
    )
    retry = RetryPolicy(maximum_attempts=attempts, non_retryable_error_types=["BpmnError"])
    summary = f"{node.id}: {node.name or impl.task_type}"
    try:
        with causes.traced(rt):  # the activity joins the trace of the call that led here
            result = await _run_service_task(rt, node, impl, task, retry, summary)
    except ActivityError as err:
        reraise_cancel(rt, err)
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == "BpmnError":
            code = str(cause.details[0]) if cause.details else cause.message
            raise BpmnThrow("error", code, cause.message, node.id) from err
        message = str(cause) if cause is not None else str(err)
        kind, configuration = "failedJob", None
        if isinstance(cause, ApplicationError) and cause.type == c.EXTERNAL_TASK_FAILED:
            kind, configuration = "failedExternalTask", external_task_id(cause)
        raise Incident(
            f"{impl.task_type} failed after {attempts} attempts: {message}",
            attempts,
            incident_type=kind,
            configuration=configuration,
        ) from err
    return dict(result.variables)


def runs_javascript(rt: Runtime, node: Node, impl: Implementation) -> bool:
    """A script task's inline JavaScript runs in Baton (``semantics.JAVASCRIPT``; before
    it, it parked as the activity ``script.javascript`` until a worker served it).
    Script resources and listeners' scripts (which see ``task``, not only ``execution``)
    still go to ``script.<format>``."""
    script = impl.script
    return (
        isinstance(node, ScriptTask)
        and script is not None
        and bool(script.source)
        and script.resource is None
        and is_javascript(script.format)
        and rt.holds(semantics.JAVASCRIPT)
    )


async def run_javascript(rt: Runtime, node: Node, impl: Implementation, token: Token) -> None:
    """Run the script in the ``baton.javascript`` activity: local (its outcome is one
    marker in the history, so a replay never runs the script again), or regular where
    the element asks for asynchronous continuation. What it set with
    ``execution.setVariable`` and its value (into ``camunda:resultVariable``) become
    variables, through the output mappings if there are any. A script that throws or
    hits a bound is an incident at once (not retried: it would fail the same way)."""
    assert impl.script is not None and impl.script.source is not None
    inputs = variables.mapped(rt, getattr(node, "inputs", []), node.id)
    task = c.ServiceTaskInput(
        process_instance_id=workflow.info().workflow_id,
        element_id=node.id,
        business_key=rt.input.business_key,
        variables={**rt.variables, **inputs},
        headers={SCRIPT_HEADER: impl.script.source, NOW_HEADER: workflow.now().isoformat()},
        definition_key=rt.input.definition.key,
    )
    retry = RetryPolicy(maximum_attempts=token.attempts or impl.retries)
    summary = f"{node.id}: {node.name or SCRIPT_TASK_TYPE}"
    asynchronous = getattr(node, "async_before", False) or getattr(node, "async_after", False)
    try:
        if rt.local_builtins and not asynchronous:
            result = await outbox.exclusive_local(
                rt,
                SCRIPT_TASK_TYPE,
                task,
                result_type=c.ServiceTaskResult,
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=retry,
                summary=summary,
            )
            rt.burst = 0  # a wait, as for a local built-in (see ``activity``)
        else:
            result = await workflow.execute_activity(
                SCRIPT_TASK_TYPE,
                task,
                result_type=c.ServiceTaskResult,
                start_to_close_timeout=SERVICE_TASK_TIMEOUT,
                retry_policy=retry,
                summary=summary,
            )
    except (ActivityError, ApplicationError) as err:
        # a local activity's failure can come as the ApplicationError itself (sdk-core
        # hands a non-retryable one over without the ActivityError around it)
        if isinstance(err, ActivityError):
            reraise_cancel(rt, err)
        cause = err.cause if isinstance(err, ActivityError) else err
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        raise Incident(f"script task {node.id!r}: {message}", 1) from err
    values = dict(result.variables.get(RESULT_VARIABLES) or {})
    if impl.result_variable:
        values[impl.result_variable] = result.variables.get(RESULT_VALUE)
    outputs = getattr(node, "outputs", [])
    if outputs:
        variables.apply_mappings(rt, outputs, node.id, extra=values)
    else:
        rt.set_variables(values, node.id)


def external_task_id(cause: ApplicationError) -> str | None:
    """The HTTP worker's task id a failure of ``EXTERNAL_TASK_FAILED`` carries (its
    details are ``(errorDetails, task id)``), so the incident names the task to retry."""
    details = cause.details
    return str(details[1]) if len(details) > 1 and details[1] else None


def reraise_cancel(rt: Runtime, err: ActivityError) -> None:
    """An activity cancelled because its token was (the instance is being cancelled,
    an interrupting event fired) ends the token, not parks an incident: before
    ``semantics.AFTER_COMMIT`` it became an incident that held the instance's wind-down
    for ever (a cancel racing a running task left the instance running)."""
    if rt.after_commit and is_cancelled_exception(err):
        raise asyncio.CancelledError() from err


def runs_locally(rt: Runtime, node: Node, task_type: str) -> bool:
    """A built-in that answers at once runs as a local activity, unless the diagram
    asks for asynchronous continuation around the element (Camunda 7 ``asyncBefore``
    / ``asyncAfter``: a transaction boundary, which a regular activity is)."""
    return (
        rt.local_builtins
        and task_type in c.SYNCHRONOUS_TASK_TYPES
        and not getattr(node, "async_before", False)
        and not getattr(node, "async_after", False)
    )


def bean_call(rt: Runtime, expr: Expression) -> tuple[str, list[Expression]] | None:
    """``#{bean.method(arg, …)}`` where ``bean`` is no variable: a Camunda 7 Spring
    bean call. Baton runs it as the activity ``bean:bean.method`` (a worker in any
    Temporal SDK can serve it) with the arguments evaluated here."""
    if expr.language != "juel":
        return None
    found = BEAN_CALL_PATTERN.fullmatch(expr.source.strip())
    if found is None or found["bean"] in rt.variables:
        return None
    raw = found["args"].strip()
    if any(ch in raw for ch in "()'\"\\"):
        return None  # only plain arguments are split here
    args = [
        Expression(language="juel", source="${" + part.strip() + "}")
        for part in raw.split(",")
        if part.strip()
    ]
    return f"bean:{found['bean']}.{found['method']}", args


async def evaluate_or_call(rt: Runtime, expr: Expression, node: Node) -> Any:
    call = bean_call(rt, expr)
    if call is None or not rt.holds(semantics.BEAN_CALL):
        return rt.evaluate(expr, node.id)
    task_type, args = call
    arguments = [rt.evaluate(arg, node.id) for arg in args]
    try:
        result = await workflow.execute_activity(
            task_type,
            c.ServiceTaskInput(
                process_instance_id=workflow.info().workflow_id,
                element_id=node.id,
                business_key=rt.input.business_key,
                variables={**rt.variables, "arguments": arguments},
                definition_key=rt.input.definition.key,
            ),
            result_type=c.ServiceTaskResult,
            start_to_close_timeout=SERVICE_TASK_TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=["BpmnError"]),
            summary=f"{node.id}: {task_type}",
        )
    except ActivityError as err:
        reraise_cancel(rt, err)
        raise Incident(f"{task_type} failed: {err.cause or err}") from err
    return result.variables.get("result")
