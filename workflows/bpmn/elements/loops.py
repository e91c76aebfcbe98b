"""Loop characteristics, around any activity: BPMN's standard loop and multi-instance
(parallel or sequential, over a collection or a cardinality, with a completion condition
and an output collection). Each run of the body is ``elements.single``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from bpmn_compiler.ir import MultiInstance, Node, StandardLoop
    from workflows.tokens import Token

from workflows import semantics
from workflows.bpmn import elements
from workflows.bpmn.control import LOCALS, Incident

if TYPE_CHECKING:
    from workflows.bpmn.runtime import Runtime


async def standard_loop(rt: Runtime, node: Node, loop: StandardLoop, token: Token) -> None:
    """BPMN's standard loop: run the activity while ``loopCondition`` holds, testing
    before each run (``testBefore``) or after it (the default, so it runs at least
    once), at most ``loopMaximum`` times; ``loopCounter`` counts the runs."""
    if loop.condition is None and loop.maximum is None:
        raise Incident(f"the standard loop of {node.id} has neither a condition nor a maximum")
    runs = 0

    def again() -> bool:
        if loop.condition is None:
            return True
        LOCALS.set({"loopCounter": runs})
        return rt.evaluate(loop.condition, node.id) is True

    outer = LOCALS.get()  # restored, so the tokens after the loop do not see its counter
    try:
        while loop.maximum is None or runs < loop.maximum:
            if loop.test_before and not again():
                return
            LOCALS.set({"loopCounter": runs + 1})
            await elements.single(rt, node, token)
            runs += 1
            if not loop.test_before and not again():
                return
    finally:
        LOCALS.set(outer)


def cardinality(rt: Runtime, node: Node, loop: MultiInstance) -> int:
    """The number of instances. A plain number in ``loopCardinality`` (how most
    Camunda 7 diagrams write it) is a literal string to the compiler: the number itself
    since ``CARDINALITY_LITERAL``, an incident before."""
    assert loop.cardinality is not None
    count = rt.evaluate(loop.cardinality, node.id)
    if (
        isinstance(count, str)
        and loop.cardinality.language == "literal"
        and count.strip().isdigit()
        and rt.holds(semantics.CARDINALITY_LITERAL)
    ):
        count = int(count.strip())
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise Incident(f"the loop cardinality of {node.id} is not a whole number")
    return count


async def multi_instance(rt: Runtime, node: Node, loop: MultiInstance, token: Token) -> None:
    """Parallel or sequential instances over a collection or a cardinality; the
    completion condition may end the rest early; results gather in outputCollection.

    The loop variables follow the engine the diagram was written for: Camunda 7
    (``ZERO_BASED_LOOP_COUNTER``) counts ``loopCounter`` from 0 and keeps
    ``nrOfActiveInstances`` at the instances not yet completed (always 1 in a sequential
    loop); Zeebe and generic diagrams count from 1 and see the instances started so far.
    Each completed instance's variables stay on the token, for its compensation."""
    if loop.collection is not None:
        items = rt.evaluate(loop.collection, node.id)
        if not isinstance(items, list):
            raise Incident(f"the multi-instance collection of {node.id} is not a list")
    elif loop.cardinality is not None:
        items = list(range(1, cardinality(rt, node, loop) + 1))
    else:
        raise Incident(f"{node.id} has neither a collection nor a cardinality")
    assert rt.definition is not None
    camunda7 = rt.definition.dialect == "camunda7" and rt.holds(semantics.ZERO_BASED_LOOP_COUNTER)
    base = 0 if camunda7 else 1
    total = len(items)
    results: list[Any] = [None] * total
    progress = {"completed": 0, "active": 0}
    token.completed_instances = []

    def counters() -> dict[str, Any]:
        if camunda7:
            active = 1 if loop.sequential else total - progress["completed"]
        else:
            active = progress["active"]
        return {
            "nrOfInstances": total,
            "nrOfCompletedInstances": progress["completed"],
            "nrOfActiveInstances": active,
        }

    async def one(index: int) -> None:
        local = {"loopCounter": index + base, **counters()}
        if loop.element_variable:
            local[loop.element_variable] = items[index]
        LOCALS.set(local)
        progress["active"] += 1
        await elements.single(rt, node, token)
        progress["active"] -= 1
        progress["completed"] += 1
        token.completed_instances.append(local)
        if loop.output_element is not None:
            results[index] = rt.evaluate(loop.output_element, node.id)
        elif loop.output_collection and loop.element_variable:
            results[index] = rt.variables.get(loop.element_variable)

    def done_early() -> bool:
        if loop.completion_condition is None:
            return False
        LOCALS.set(counters())
        return rt.evaluate(loop.completion_condition, node.id) is True

    if loop.sequential:
        for index in range(total):
            await asyncio.create_task(one(index))
            if done_early():
                break
    else:
        runs = [asyncio.create_task(one(index)) for index in range(total)]
        # an instance that threw ends the others (semantics.MI_ERROR_ENDS_ALL): its error
        # goes on to the body's catchers; before the rule the body waited for them all
        ends_all = rt.holds(semantics.MI_ERROR_ENDS_ALL)

        def failed() -> bool:
            return ends_all and any(
                r.done() and not r.cancelled() and r.exception() is not None for r in runs
            )

        try:
            await workflow.wait_condition(
                lambda: all(r.done() for r in runs) or done_early() or failed()
            )
        finally:
            for run in runs:
                if not run.done():
                    run.cancel()
        for run in runs:
            if run.done() and not run.cancelled() and run.exception() is not None:
                raise run.exception()  # type: ignore[misc]
    if loop.output_collection:
        rt.set_variables({loop.output_collection: results}, node.id)
