"""Static questions about a definition's graph, cached per definition.

The inclusive join needs "can a token at X still reach this gateway?"; answering it by
walking the flows each time would repeat work on every token move.
"""

from __future__ import annotations

from bpmn_compiler.ir import (
    BoundaryEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    ProcessDefinition,
)


class Graph:
    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        self._reach: dict[tuple[str, bool], frozenset[str]] = {}
        # boundary events continue the paths of their host activity
        self._boundaries: dict[str, list[str]] = {}
        # a link throw event continues at the link catch events of its name and scope
        self._links: dict[str, list[str]] = {}
        catches: dict[tuple[str | None, str], list[str]] = {}
        for node in definition.nodes.values():
            if isinstance(node, BoundaryEvent):
                self._boundaries.setdefault(node.attached_to, []).append(node.id)
            if isinstance(node, IntermediateCatchEvent) and isinstance(
                node.event, LinkEventDefinition
            ):
                catches.setdefault((node.scope, node.event.link_name), []).append(node.id)
        for node in definition.nodes.values():
            if isinstance(node, IntermediateThrowEvent) and isinstance(
                node.event, LinkEventDefinition
            ):
                self._links[node.id] = catches.get((node.scope, node.event.link_name), [])

    def successors(self, element_id: str, *, links: bool = True) -> list[str]:
        node = self.definition.nodes[element_id]
        targets = [self.definition.flows[f].target for f in node.outgoing]
        if links:
            targets += self._links.get(element_id, [])
        return targets + self._boundaries.get(element_id, [])

    def reachable(self, element_id: str, *, links: bool = True) -> frozenset[str]:
        """Every element reachable from ``element_id`` by sequence flows (not itself,
        unless a cycle leads back), and through link events unless ``links`` is off
        (how histories recorded before links counted replay)."""
        cached = self._reach.get((element_id, links))
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = list(self.successors(element_id, links=links))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.successors(current, links=links))
        result = frozenset(seen)
        self._reach[(element_id, links)] = result
        return result
