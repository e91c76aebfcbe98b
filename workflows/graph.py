"""Static questions about a definition's graph, cached per definition.

The inclusive join needs "can a token at X still reach this gateway?"; answering it by
walking the flows each time would repeat work on every token move.
"""

from __future__ import annotations

from bpmn_compiler.ir import BoundaryEvent, ProcessDefinition


class Graph:
    def __init__(self, definition: ProcessDefinition) -> None:
        self.definition = definition
        self._reach: dict[str, frozenset[str]] = {}
        # boundary events continue the paths of their host activity
        self._boundaries: dict[str, list[str]] = {}
        for node in definition.nodes.values():
            if isinstance(node, BoundaryEvent):
                self._boundaries.setdefault(node.attached_to, []).append(node.id)

    def successors(self, element_id: str) -> list[str]:
        node = self.definition.nodes[element_id]
        targets = [self.definition.flows[f].target for f in node.outgoing]
        return targets + self._boundaries.get(element_id, [])

    def reachable(self, element_id: str) -> frozenset[str]:
        """Every element reachable from ``element_id`` by sequence flows (not itself,
        unless a cycle leads back)."""
        cached = self._reach.get(element_id)
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = list(self.successors(element_id))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.successors(current))
        result = frozenset(seen)
        self._reach[element_id] = result
        return result
