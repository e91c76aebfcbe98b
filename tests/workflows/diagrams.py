"""Build small executable diagrams inline for interpreter tests."""

from __future__ import annotations

import itertools

_counter = itertools.count()

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)


def diagram(key: str, body: str, *, top: str = "") -> tuple[str, bytes]:
    """A file name and bytes for a one-process diagram."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} '
        f'id="d_{key}" targetNamespace="http://test">\n{top}\n'
        f'<bpmn:process id="{key}" isExecutable="true">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    )
    return f"{key}.bpmn", xml.encode()


def flows(*pairs: str) -> str:
    """``flows("a>b", "b>c:=x > 1")``: sequence flows, optionally with a condition."""
    out = []
    for pair in pairs:
        ends, _, condition = pair.partition(":")
        source, target = ends.split(">")
        fid = f"f_{source}_{target}"
        cond = (
            f"<bpmn:conditionExpression>{condition.replace('>', '&gt;').replace('<', '&lt;')}"
            "</bpmn:conditionExpression>"
            if condition
            else ""
        )
        out.append(
            f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'
        )
    return "\n".join(out)


def user(task_id: str, assignee: str = "john") -> str:
    return f'<bpmn:userTask id="{task_id}" name="{task_id}" camunda:assignee="{assignee}"/>'


def timer(kind: str, value: str) -> str:
    tag = {"duration": "timeDuration", "date": "timeDate", "cycle": "timeCycle"}[kind]
    return (
        f"<bpmn:timerEventDefinition><bpmn:{tag}>{value}</bpmn:{tag}></bpmn:timerEventDefinition>"
    )
