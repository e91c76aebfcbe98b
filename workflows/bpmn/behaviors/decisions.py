"""Business-rule tasks: the deployed DMN decision, evaluated in the workflow.

The decision's ``.dmn`` file comes from the store through the ``baton.load_decision``
activity (recorded in the history, so a replay sees the same file even after newer
versions were deployed); parsing and evaluating it are pure (``dmn``), so they run here
and replay to the same result. The evaluation is recorded in the case history
(``DECISION_EVALUATED``: decision, version, matched rules, result).

The result reaches the process as Camunda 7 maps it (``camunda:mapDecisionResult``):

* ``singleEntry``: the one output of the one matched rule (null when none matched);
* ``singleResult``: the matched rule's outputs as a map (null when none matched);
* ``collectEntries``: the one output of every matched rule, as a list;
* ``resultList`` (Camunda's default): every matched rule's outputs, as a list of maps;

and, for Zeebe's ``zeebe:calledDecision`` (no mapping), the decision's value as FEEL
defines it. More matches than the mapping allows, a decision that is not deployed, or an
evaluation that fails opens an incident at the task.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from baton_client.contracts import bpmn as c

    import dmn
    from bpmn_compiler.ir import Expression, Implementation, Node

from workflows.bpmn.behaviors import outbox, variables
from workflows.bpmn.constants import INFRA_RETRY, LOCAL_TIMEOUT
from workflows.bpmn.control import Incident

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def run(rt: Runtime, node: Node, impl: Implementation) -> None:
    """Load, evaluate and map the task's decision; its result goes to the result
    variable (or through the task's output mappings as ``decisionResult``)."""
    assert impl.decision_ref is not None
    key = str(rt.evaluate(impl.decision_ref, node.id))
    source = await _load(rt, node, impl, key)
    model = rt.decision_models.get((source.key, source.version))
    if model is None:
        try:
            model = dmn.parse(source.xml, resource_name=f"{source.key}.dmn")
        except dmn.DmnError as err:
            raise Incident(f"decision {key!r} version {source.version}: {err}") from err
        rt.decision_models[source.key, source.version] = model
    local = variables.mapped(rt, getattr(node, "inputs", []), node.id)
    try:
        result = dmn.evaluate(model, key, {**rt.variables, **local}, now=workflow.now())
    except dmn.DmnError as err:
        raise Incident(f"decision {key!r} could not be evaluated: {err}") from err
    value = dmn.json_value(_mapped(key, impl.map_decision_result, result))
    rt.record(
        "DECISION_EVALUATED",
        node.id,
        details={
            "decisionKey": source.key,
            "decisionVersion": source.version,
            "matchedRules": list(result.matched_rules),
            "result": value,
        },
    )
    outputs = getattr(node, "outputs", [])
    name = impl.result_variable
    if outputs:
        variables.apply_mappings(rt, outputs, node.id, extra={name or "decisionResult": value})
    elif name:
        rt.set_variables({name: value}, node.id)


async def _load(rt: Runtime, node: Node, impl: Implementation, key: str) -> c.DecisionSource:
    version = None
    if impl.decision_binding == "version" and impl.decision_version:
        version = _version(rt, impl.decision_version, node.id)
    request = c.DecisionRequest(
        key=key,
        binding=impl.decision_binding or "latest",
        version=version,
        version_tag=impl.decision_version_tag,
        process_key=rt.input.definition.key,
        process_version=rt.input.definition.version,
    )
    try:
        # beside built-ins running locally it must take its turn (outbox.exclusive_local)
        run_local = (
            functools.partial(outbox.exclusive_local, rt)
            if rt.local_builtins
            else workflow.execute_local_activity
        )
        source: c.DecisionSource = await run_local(
            c.LOAD_DECISION,
            request,
            result_type=c.DecisionSource,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=INFRA_RETRY,
            summary=f"load decision {key}",
        )
    except ActivityError as err:
        raise Incident(f"decision {key!r} cannot be evaluated: {err.cause or err}") from err
    except ApplicationError as err:  # a local activity's own failure comes unwrapped
        raise Incident(f"decision {key!r} cannot be evaluated: {err}") from err
    return source


def _version(rt: Runtime, text: str, element_id: str) -> int:
    """``camunda:decisionRefVersion``: a number, or an expression giving one."""
    raw: Any = text
    if "${" in text or "#{" in text:
        raw = rt.evaluate(Expression(language="juel", source=text), element_id)
    try:
        return int(raw)
    except (TypeError, ValueError) as err:
        raise Incident(f"decisionRefVersion {text!r} is not a version number") from err


def _mapped(key: str, mapping: str | None, result: dmn.DecisionResult) -> Any:
    rows = result.rule_results
    if mapping is None:  # Zeebe: the decision's own value
        return result.value
    if mapping == "resultList":
        return rows
    if mapping in ("singleEntry", "singleResult") and len(rows) > 1:
        raise Incident(f"decision {key!r}: {len(rows)} rules matched, {mapping} takes one")
    if mapping == "singleResult":
        return rows[0] if rows else None
    if any(len(row) > 1 for row in rows):
        raise Incident(f"decision {key!r}: a rule gives several outputs, {mapping} takes one")
    entries = [next(iter(row.values())) if row else None for row in rows]
    if mapping == "collectEntries":
        return entries
    if mapping == "singleEntry":
        return entries[0] if entries else None
    raise Incident(f"decision {key!r}: unknown mapDecisionResult {mapping!r}")
