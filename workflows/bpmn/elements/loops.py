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


async def multi_instance(rt: Runtime, node: Node, loop: MultiInstance, token: Token) -> None:
    """Parallel or sequential instances over a collection or a cardinality; the
    completion condition may end the rest early; results gather in outputCollection."""
    if loop.collection is not None:
        items = rt.evaluate(loop.collection, node.id)
        if not isinstance(items, list):
            raise Incident(f"the multi-instance collection of {node.id} is not a list")
    elif loop.cardinality is not None:
        count = rt.evaluate(loop.cardinality, node.id)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise Incident(f"the loop cardinality of {node.id} is not a whole number")
        items = list(range(1, count + 1))
    else:
        raise Incident(f"{node.id} has neither a collection nor a cardinality")
    total = len(items)
    results: list[Any] = [None] * total
    progress = {"completed": 0, "active": 0}

    def counters() -> dict[str, Any]:
        return {
            "nrOfInstances": total,
            "nrOfCompletedInstances": progress["completed"],
            "nrOfActiveInstances": progress["active"],
        }

    async def one(index: int) -> None:
        local = {"loopCounter": index + 1, **counters()}
        if loop.element_variable:
            local[loop.element_variable] = items[index]
        LOCALS.set(local)
        progress["active"] += 1
        await elements.single(rt, node, token)
        progress["active"] -= 1
        progress["completed"] += 1
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
        try:
            await workflow.wait_condition(lambda: all(r.done() for r in runs) or done_early())
        finally:
            for run in runs:
                if not run.done():
                    run.cancel()
        for run in runs:
            if run.done() and not run.cancelled() and run.exception() is not None:
                raise run.exception()  # type: ignore[misc]
    if loop.output_collection:
        rt.set_variables({loop.output_collection: results}, node.id)
