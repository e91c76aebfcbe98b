"""Compile speed: the MIWG corpus (831 files from 34 tools) and a generated 2,000-element
diagram. Baseline in the same run: lxml parsing the same bytes (the floor any compiler
pays). Prints a table and writes bench/results/compile_speed.json.

    .venv/bin/python -m bench.compile_speed [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from bpmn_compiler import compile_bpmn
from bpmn_compiler.batch import discover
from tests.support.bpmn import definitions, process

ROOT = Path(__file__).resolve().parent.parent
MIWG = ROOT.parent / "shared" / "corpora" / "miwg"
RESULTS = ROOT / "bench" / "results" / "compile_speed.json"


def generated_diagram(elements: int = 2000) -> bytes:
    """start → (service, user, exclusive gateway with two branches …) → end, with DI."""
    body: list[str] = ['<bpmn:startEvent id="n0"/>']
    shapes: list[str] = []
    previous, count, flow = "n0", 1, 0

    def link(source: str, target: str, condition: str | None = None) -> None:
        nonlocal flow
        flow += 1
        cond = (
            f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
        )
        body.append(
            f'<bpmn:sequenceFlow id="f{flow}" sourceRef="{source}" targetRef="{target}">{cond}'
            "</bpmn:sequenceFlow>"
        )

    while count < elements - 1:
        kind = count % 4
        node = f"n{count}"
        if kind == 0:
            body.append(
                f'<bpmn:serviceTask id="{node}" name="Service {count}"><bpmn:extensionElements>'
                f'<zeebe:taskDefinition type="work-{count % 7}" retries="3"/>'
                "</bpmn:extensionElements></bpmn:serviceTask>"
            )
        elif kind == 1:
            body.append(
                f'<bpmn:userTask id="{node}" name="Review {count}" camunda:assignee="${{owner}}"/>'
            )
        elif kind == 2:
            body.append(f'<bpmn:exclusiveGateway id="{node}" default="f{flow + 2}"/>')
        else:
            body.append(f'<bpmn:exclusiveGateway id="{node}"/>')
        shapes.append(
            f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}">'
            f'<dc:Bounds x="{count * 150}" y="100" width="100" height="80"/></bpmndi:BPMNShape>'
        )
        if kind == 3:  # join of the previous split: both branches arrive here
            link(f"n{count - 1}", node, "${amount > 10}")
            link(f"n{count - 1}", node)
        else:
            link(previous, node)
        previous = node
        count += 1
    body.append(f'<bpmn:endEvent id="n{count}"/>')
    link(previous, f"n{count}")
    plane = (
        '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="big">'
        + "".join(shapes)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    xml = definitions(
        process("big", "\n".join(body)) + plane, id="big", target_namespace="x", di=True
    )
    return xml.encode()


def _time(fn: object, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []

    if MIWG.is_dir():
        files = [p.read_bytes() for p in discover([MIWG])]
        crashed = sum(compile_bpmn(d).crashed for d in files)
        parse = _time(
            lambda: [etree.fromstring(d, etree.XMLParser(recover=True)) for d in files], args.repeat
        )
        full = _time(lambda: [compile_bpmn(d) for d in files], args.repeat)
        rows.append(
            {
                "case": f"MIWG corpus ({len(files)} files)",
                "compile_s": full,
                "lxml_parse_s": parse,
                "crashed": crashed,
            }
        )
    else:
        print(f"skipping MIWG: {MIWG} is absent", file=sys.stderr)

    big = generated_diagram(2000)
    result = compile_bpmn(big)
    assert result.ok, [str(d) for d in result.errors[:3]]
    elements = len(result.definitions[0].nodes)
    parse = _time(lambda: etree.fromstring(big), args.repeat)
    full = _time(lambda: compile_bpmn(big), args.repeat)
    rows.append(
        {
            "case": f"generated diagram ({elements} elements)",
            "compile_s": full,
            "lxml_parse_s": parse,
            "crashed": 0,
        }
    )

    print(f"{'case':<40} {'compile':>10} {'lxml parse':>11} {'ratio':>7}")
    for row in rows:
        row["ratio_to_parse"] = row["compile_s"] / row["lxml_parse_s"]
        case, full_s, parse_s = row["case"], row["compile_s"], row["lxml_parse_s"]
        print(f"{case:<40} {full_s:>9.3f}s {parse_s:>10.3f}s {row['ratio_to_parse']:>6.1f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "compile_speed",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
                "repeat": args.repeat,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
