"""Diagrams that are valid BPMN but can never run on Temporal, refused at deploy.

The interpreter moves every token it can before it yields, and everything it does
between two waits is one workflow task: a single activation that must finish within the
SDK's deadlock timeout (2 s of CPU without yielding) and whose commands and results must
fit Temporal's 2 MB payload limit. Two shapes break that whatever the data:

* **a wide fan-out**: a parallel or inclusive split (or an activity with many outgoing
  flows, an implicit split) with thousands of branches, or a parallel/inclusive join
  with thousands of incoming flows -- every branch runs, and the join re-checks its
  arrivals, inside one workflow task;
* **a long wait-free run**: thousands of elements in a row that never wait (none tasks,
  script tasks, gateways, none/link throw events), which the interpreter runs in one
  go and records in one projection.

Measured on the dev server (``bench/engine_limits.py``, docs/interpreter.md "Engine
limits"): a fan-out of 1,500 branches into one join took 1.9 s of one workflow task and
2,000 tripped the deadlock detector on every retry; a chain of 2,000 wait-free elements
meets the interpreter's ``MAX_BURST`` (an incident) and 5,000 tripped the deadlock
detector. The bounds below keep a margin of about four times the measured cost.

Cycles are left to the runtime (``MAX_BURST`` turns a cycle that never waits into an
incident): whether a loop ends depends on data. Multi-instance cardinalities are data
too and are not judged here.
"""

from __future__ import annotations

from collections import deque

from lxml import etree

from bpmn_compiler.context import Context
from bpmn_compiler.ir import (
    EndEvent,
    Gateway,
    IntermediateThrowEvent,
    LinkEventDefinition,
    Node,
    ScriptTask,
    SequenceFlow,
    StartEvent,
    SubProcess,
    Task,
)

#: Most outgoing flows of one split (and incoming flows of one join) that take part in
#: parallel: 1,500 measured 1.9 s in one workflow task, 2,000 deadlocked.
MAX_BRANCHES = 500
#: Most elements in a row without a wait state: 1,000 measured 0.2-0.6 s and 410 KB in
#: its largest history event; 2,000 is the interpreter's MAX_BURST (an incident).
MAX_WAIT_FREE_RUN = 1000


def _splits_in_parallel(node: Node) -> bool:
    """Whether every (or every matching) outgoing flow gets a token."""
    if isinstance(node, Gateway):
        return node.gateway in ("parallel", "inclusive")
    return True  # activities and events split implicitly


def _joins(node: Node) -> bool:
    return isinstance(node, Gateway) and node.gateway in ("parallel", "inclusive")


def _wait_free(node: Node) -> bool:
    """Elements the interpreter passes through without yielding to Temporal."""
    if isinstance(node, Task | ScriptTask):
        return not (node.async_before or node.async_after) and node.loop is None
    if isinstance(node, Gateway):
        return node.gateway != "eventBased"
    if isinstance(node, IntermediateThrowEvent):
        return node.event is None or isinstance(node.event, LinkEventDefinition)
    if isinstance(node, StartEvent):
        return node.event is None
    if isinstance(node, EndEvent):
        return node.implementation is None
    return isinstance(node, SubProcess) and node.variant == "embedded" and node.loop is None


def check_engine_limits(
    ctx: Context,
    nodes: dict[str, Node],
    flows: dict[str, SequenceFlow],
    elements: dict[str, etree._Element],
) -> None:
    """Report fan-outs and wait-free runs beyond what one workflow task can carry."""
    for node in nodes.values():
        if _splits_in_parallel(node) and len(node.outgoing) > MAX_BRANCHES:
            ctx.report(
                "fan-out-too-wide",
                f"{len(node.outgoing)} outgoing sequence flows run in parallel in one "
                f"workflow task; at most {MAX_BRANCHES} can (Temporal's deadlock timeout "
                "and payload limit). Use a multi-instance activity or a call activity per "
                "group of branches",
                elements.get(node.id),
                execution=True,
            )
        if _joins(node) and len(node.incoming) > MAX_BRANCHES:
            ctx.report(
                "join-too-wide",
                f"{len(node.incoming)} incoming sequence flows join here in one workflow "
                f"task; at most {MAX_BRANCHES} can. Join in stages, or use a multi-instance "
                "activity",
                elements.get(node.id),
                execution=True,
            )
    _check_wait_free_runs(ctx, nodes, flows, elements)


def _check_wait_free_runs(
    ctx: Context,
    nodes: dict[str, Node],
    flows: dict[str, SequenceFlow],
    elements: dict[str, etree._Element],
) -> None:
    """The longest path through wait-free elements (cycles left out), in linear time:
    Kahn's topological order over the wait-free subgraph. One report per process, at the
    element where the run passes the bound."""
    free = {nid for nid, node in nodes.items() if _wait_free(node)}
    edges: dict[str, list[str]] = {nid: [] for nid in free}
    pending: dict[str, int] = dict.fromkeys(free, 0)
    for flow in flows.values():
        if flow.source in free and flow.target in free:
            edges[flow.source].append(flow.target)
            pending[flow.target] += 1
    run: dict[str, int] = dict.fromkeys(free, 1)
    origin: dict[str, str] = {nid: nid for nid in free}
    ready = deque(sorted(nid for nid, count in pending.items() if count == 0))
    while ready:
        nid = ready.popleft()
        if run[nid] > MAX_WAIT_FREE_RUN:
            ctx.report(
                "wait-free-run-too-long",
                f"{run[nid]} elements in a row from {origin[nid]!r} to here never wait, so "
                f"they run in one workflow task; at most {MAX_WAIT_FREE_RUN} can. Add a "
                "wait state or camunda:asyncBefore on an element of the run, or move part "
                "of it into a call activity",
                elements.get(nid),
                execution=True,
            )
            return
        for target in edges[nid]:
            if run[nid] + 1 > run[target]:
                run[target], origin[target] = run[nid] + 1, origin[nid]
            pending[target] -= 1
            if pending[target] == 0:
                ready.append(target)
