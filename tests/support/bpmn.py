"""One way to write a small BPMN document inline, for tests and benches alike.

Compiler tests, interpreter tests and the benches each grew their own header string,
``<sequenceFlow>`` loop and service-task snippet; they differed only in namespaces and
whitespace, so a fix to one (an escaped ``>`` in a condition, a missing namespace) never
reached the others. This module is the single copy. It imports nothing from Baton or
pytest so that ``bench/`` (run as ``python -m bench.x`` from the repository root) can use
it too.

The helpers return plain strings that concatenate: ``diagram(key, start("s") + user("t")
+ end("e") + flows("s>t", "t>e"))``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

#: every namespace the inline documents use; unused declarations cost nothing, and one
#: list means a snippet from any helper is valid inside any document
NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
#: diagram interchange, for documents that carry shapes (``definitions(..., di=True)``)
DI_NAMESPACES = (
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def definitions(
    inner: str, *, id: str = "d", target_namespace: str = "http://test", di: bool = False
) -> str:
    """``<bpmn:definitions>`` around ``inner`` (processes, messages, collaborations)."""
    namespaces = f"{NAMESPACES} {DI_NAMESPACES}" if di else NAMESPACES
    return (
        f"{XML_DECLARATION}<bpmn:definitions {namespaces} "
        f'id="{id}" targetNamespace="{target_namespace}">\n{inner}\n</bpmn:definitions>\n'
    )


def process(key: str, body: str, *, executable: bool = True, name: str | None = None) -> str:
    """One ``<bpmn:process>`` element (several of them make a collaboration)."""
    named = f' name="{name}"' if name is not None else ""
    flag = "true" if executable else "false"
    return f'<bpmn:process id="{key}"{named} isExecutable="{flag}">\n{body}\n</bpmn:process>'


def diagram(
    key: str, body: str, *, top: str = "", target_namespace: str = "http://test"
) -> tuple[str, bytes]:
    """A file name and bytes for a one-process diagram whose process id is ``key``:
    what the deployment endpoint takes (``tests.support.http.deploy``). ``top`` goes
    before the process (messages, errors, signals)."""
    xml = definitions(
        f"{top}\n{process(key, body)}", id=f"d_{key}", target_namespace=target_namespace
    )
    return f"{key}.bpmn", xml.encode()


def document(body: str, *, top: str = "", executable: str = "true") -> str:
    """The compiler tests' document: process ``p`` named ``P``, one element per line
    as given, so ``line_of`` finds the line a diagnostic must name. Its layout is part
    of those tests' expectations (line numbers): keep it."""
    return (
        XML_DECLARATION
        + f'<bpmn:definitions {NAMESPACES} id="defs" targetNamespace="http://test">\n'
        f"{top}\n"
        f'<bpmn:process id="p" name="P" isExecutable="{executable}">\n'
        f"{body}\n"
        "</bpmn:process>\n"
        "</bpmn:definitions>\n"
    )


def flows(*pairs: str) -> str:
    """``flows("a>b", "b>c:=x > 1")``: sequence flows ``f_a_b``, ``f_b_c``, the text after
    the first ``:`` being the flow's condition (escaped here)."""
    out = []
    for pair in pairs:
        ends, _, condition = pair.partition(":")
        source, target = ends.split(">")
        cond = (
            f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>"
            if condition
            else ""
        )
        out.append(
            f'<bpmn:sequenceFlow id="f_{source}_{target}" sourceRef="{source}" '
            f'targetRef="{target}">{cond}</bpmn:sequenceFlow>'
        )
    return "\n".join(out)


def start(element: str = "s") -> str:
    return f'<bpmn:startEvent id="{element}"/>'


def end(element: str = "e") -> str:
    return f'<bpmn:endEvent id="{element}"/>'


def task(element: str) -> str:
    """A none task: passes its token on at once."""
    return f'<bpmn:task id="{element}"/>'


def user(task_id: str, assignee: str | None = "john", *, name: str | None = None) -> str:
    """A Camunda 7 user task, named after its id unless ``name`` is given; no
    ``assignee`` (None) leaves it unassigned."""
    assigned = f' camunda:assignee="{assignee}"' if assignee is not None else ""
    return f'<bpmn:userTask id="{task_id}" name="{name or task_id}"{assigned}/>'


def service(element: str, task_type: str, *, retries: int | None = None, extra: str = "") -> str:
    """A Zeebe service task of ``task_type`` (a Baton built-in like ``baton.noop`` or an
    activity name); ``extra`` adds attributes such as ``camunda:asyncBefore="true"``."""
    tries = f' retries="{retries}"' if retries is not None else ""
    attrs = f" {extra}" if extra else ""
    return (
        f'<bpmn:serviceTask id="{element}"{attrs}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{task_type}"{tries}/></bpmn:extensionElements>'
        "</bpmn:serviceTask>"
    )


def message_catch(element: str, message_ref: str) -> str:
    """An intermediate catch event waiting for the message defined as ``message_ref``."""
    return (
        f'<bpmn:intermediateCatchEvent id="{element}">'
        f'<bpmn:messageEventDefinition messageRef="{message_ref}"/>'
        "</bpmn:intermediateCatchEvent>"
    )


def timer(kind: str, value: str) -> str:
    """A timer event definition: ``kind`` is duration, date or cycle."""
    tag = {"duration": "timeDuration", "date": "timeDate", "cycle": "timeCycle"}[kind]
    return (
        f"<bpmn:timerEventDefinition><bpmn:{tag}>{value}</bpmn:{tag}></bpmn:timerEventDefinition>"
    )
