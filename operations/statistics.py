"""Runtime statistics of definitions: running instances and open incidents, per
definition version and per element (what Cockpit draws on a diagram).

Instances per element come from Temporal's visibility (``BpmnActiveElements``, which
every instance keeps up to date), incidents and instances per definition from the read
models: both may lag a moment behind the instances and converge on their own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from baton_client.contracts import bpmn as c
from baton_client.contracts import search_attributes as sa
from temporalio.client import Client

from core.settings import Settings
from store import Store, incidents


@dataclass(frozen=True)
class ElementStatistics:
    element_id: str
    instances: int
    incidents: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DefinitionStatistics:
    key: str
    version: int
    instances: int
    incidents: dict[str, int] = field(default_factory=dict)


async def per_element(
    client: Client, store: Store, settings: Settings, key: str, version: int
) -> list[ElementStatistics]:
    """Elements of ``key`` at ``version`` that hold a token of a running instance or an
    open incident, with how many instances wait there (an instance counts once per
    element, however many tokens it has there) and the incidents by type."""
    query = (
        f'WorkflowType = "{c.WORKFLOW_NAME}" AND ExecutionStatus = "Running" '
        f'AND TaskQueue = "{settings.task_queue}" '
        f"AND {sa.PROCESS_KEY.name} = {sa.literal(key)} "
        f"AND {sa.PROCESS_VERSION.name} = {version}"
    )
    held: Counter[str] = Counter()
    async for execution in client.list_workflows(query):
        active = execution.typed_search_attributes.get(sa.ACTIVE_ELEMENTS) or []
        held.update(set(active))
    failed = await incidents.per_element(store, key, version)
    return [
        ElementStatistics(element_id=e, instances=held.get(e, 0), incidents=failed.get(e, {}))
        for e in sorted(set(held) | set(failed))
    ]


async def per_definition(store: Store) -> dict[tuple[str, int], DefinitionStatistics]:
    """Running instances and open incidents of every definition version that has any."""
    running = await incidents.running_per_definition(store)
    failed = await incidents.per_definition(store)
    return {
        ref: DefinitionStatistics(
            key=ref[0], version=ref[1], instances=running.get(ref, 0), incidents=failed.get(ref, {})
        )
        for ref in set(running) | set(failed)
    }
