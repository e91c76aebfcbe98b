"""BPMN DI: shape bounds and edge waypoints, kept for a viewer that shows tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from bpmn_compiler.ir import Bounds, Diagram, Waypoint

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"


def _float(value: str | None) -> float:
    try:
        return float(value) if value is not None else 0.0
    except ValueError:
        return 0.0


@dataclass
class FileDiagram:
    """Every shape and edge of a file, keyed by the BPMN element they show."""

    shapes: dict[str, Bounds] = field(default_factory=dict)
    edges: dict[str, list[Waypoint]] = field(default_factory=dict)

    def restricted_to(self, element_ids: set[str]) -> Diagram:
        return Diagram(
            shapes={k: v for k, v in self.shapes.items() if k in element_ids},
            edges={k: v for k, v in self.edges.items() if k in element_ids},
        )


def read_diagram(root: etree._Element) -> FileDiagram:
    diagram = FileDiagram()
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        element = (shape.get("bpmnElement") or "").split(":")[-1]
        bounds = shape.find(f"{{{DC}}}Bounds")
        if element and bounds is not None and element not in diagram.shapes:
            diagram.shapes[element] = Bounds(
                x=_float(bounds.get("x")),
                y=_float(bounds.get("y")),
                width=_float(bounds.get("width")),
                height=_float(bounds.get("height")),
            )
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        element = (edge.get("bpmnElement") or "").split(":")[-1]
        points = [
            Waypoint(x=_float(p.get("x")), y=_float(p.get("y")))
            for p in edge.iter(f"{{{DI}}}waypoint")
        ]
        if element and points and element not in diagram.edges:
            diagram.edges[element] = points
    return diagram
