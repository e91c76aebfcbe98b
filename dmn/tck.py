"""Run the DMN TCK's model tests (``baton dmn-tck FOLDER``).

The TCK's layout: ``compliance-level-N/<folder>/<folder>.dmn`` plus
``<folder>-test-NN.xml`` in the format of its ``testCases.xsd``. Each ``<testCase>`` gives
input values (``<inputNode>``) and expected results (``<resultNode>``); like the TCK's own
reports, every result node counts once. A node with ``errorResult="true"`` passes when the
result is null (Baton's FEEL reports errors as null with a warning).

This module reads files; it is a tool for the command line and tests, and is not imported
by :mod:`dmn` itself (which must stay free of I/O for the workflow sandbox).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from dmn.boxed import child, children
from dmn.engine import RawResult, evaluate_decision, evaluate_service
from dmn.errors import DmnError
from dmn.model import DmnModel
from dmn.reader import read_model
from expressions.feel import temporal
from expressions.feel.tck import same

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
#: a fixed "now" for ``now()``/``today()`` cases, whose expectations are only about types
NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class NodeResult:
    level: str
    folder: str
    case: str
    node: str
    passed: bool
    category: str = ""  # why it failed: parse error, wrong value, unsupported feature, …
    detail: str = ""


@dataclass
class Summary:
    totals: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)

    def add(self, result: NodeResult) -> None:
        self.totals[result.level] += 1
        if result.passed:
            self.passed[result.level] += 1
        else:
            self.categories[result.category] += 1

    def line(self, level: str) -> str:
        total, ok = self.totals[level], self.passed[level]
        share = 100 * ok / total if total else 0.0
        return f"level {level} {ok}/{total} ({share:.1f} %)"

    def closing_line(self) -> str:
        levels = sorted(self.totals)
        return "dmn-tck: " + ", ".join(self.line(level) for level in levels)


# ------------------------------------------------------------------ values


def decode(el: etree._Element | None) -> Any:
    """A ``valueType`` of testCases.xsd (value, list of items, or components) to FEEL."""
    if el is None:
        return None
    value = child(el, "value")
    if value is not None:
        return _scalar(value)
    items = child(el, "list")
    if items is not None:
        return [decode(item) for item in children(items, "item")]
    parts = children(el, "component")
    if parts:
        return {p.get("name") or "": decode(p) for p in parts}
    return None


def _scalar(el: etree._Element) -> Any:
    if el.get(_XSI_NIL) == "true":
        return None
    kind = (el.get(_XSI_TYPE) or "xsd:string").split(":")[-1]
    text = el.text or ""
    if kind == "string":
        return text
    stripped = text.strip()
    if kind == "boolean":
        return stripped == "true"
    if kind in ("decimal", "double", "int", "integer", "long", "float"):
        try:
            return Decimal(stripped)
        except InvalidOperation:
            return None
    parser = {
        "date": temporal.parse_date,
        "dateTime": temporal.parse_date_and_time,
        "time": temporal.parse_time,
        "duration": temporal.parse_duration,
    }.get(kind)
    return parser(stripped) if parser else text


# ------------------------------------------------------------------- runs


def discover(folder: Path) -> Iterator[Path]:
    """Every ``*-test-NN.xml`` under ``folder`` (a TCK root, level or test folder)."""
    yield from sorted(folder.rglob("*-test-*.xml"))


def _level(path: Path) -> str:
    for part in path.parts:
        match = re.fullmatch(r"compliance-level-(\d+)", part)
        if match:
            return match.group(1)
    return "?"


def run_file(path: Path) -> Iterator[NodeResult]:
    level, folder = _level(path), path.parent.name
    tests = etree.parse(str(path)).getroot()
    name_el = child(tests, "modelName")
    model_path = path.parent / ((name_el.text or "").strip() if name_el is not None else "")
    model: DmnModel | None = None
    problem = ""
    try:
        model = read_model(model_path.read_bytes(), resource_name=model_path.name)
    except DmnError as exc:
        problem = str(exc.diagnostics[0]) if exc.diagnostics else str(exc)
    except OSError as exc:
        problem = f"cannot read the model: {exc}"
    for case in children(tests, "testCase"):
        case_id = case.get("id") or ""
        inputs = {n.get("name") or "": decode(n) for n in children(case, "inputNode")}
        for node in children(case, "resultNode"):
            name = node.get("name") or ""

            def result(passed: bool, category: str = "", detail: str = "") -> NodeResult:
                return NodeResult(level, folder, case_id, name, passed, category, detail)  # noqa: B023

            if model is None:
                yield result(False, "parse error", problem)
                continue
            expected = (
                None if node.get("errorResult") == "true" else decode(child(node, "expected"))
            )
            try:
                raw = _evaluate(model, case, name, inputs)
            except DmnError as exc:
                yield result(expected is None, "evaluation error", str(exc))
                continue
            except Exception as exc:
                yield result(False, "crash", f"{type(exc).__name__}: {exc}")
                continue
            if same(raw.value, expected) or _close(raw.value, expected):
                yield result(True)
                continue
            warnings = "; ".join(raw.warnings[:3])
            unsupported = any(
                "not supported" in w or "cannot be evaluated" in w or "not evaluated" in w
                for w in raw.warnings
            )
            detail = f"expected {expected!r}, got {raw.value!r}" + (
                f" ({warnings})" if warnings else ""
            )
            yield result(False, "unsupported feature" if unsupported else "wrong value", detail)


def _close(actual: Any, expected: Any) -> bool:
    """Numbers within a relative 1e-12, recursively: several TCK expectations were
    computed in binary floating point (``562.707359373292`` for an annuity whose exact
    34-digit value is ``562.70735937326592…``); Baton computes in Decimal128, as the spec
    says, and this tolerance is the only allowance the runner makes for it."""
    if isinstance(expected, Decimal) and isinstance(actual, Decimal):
        if not (expected.is_finite() and actual.is_finite()):
            return False
        return abs(actual - expected) <= abs(expected) * Decimal("1e-12")
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(
            same(a, e) or _close(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], expected[k]) or _close(actual[k], expected[k]) for k in expected
        )
    return False


def _evaluate(
    model: DmnModel, case: etree._Element, name: str, inputs: dict[str, Any]
) -> RawResult:
    if case.get("type") == "decisionService":
        value = evaluate_service(model, case.get("invocableName") or "", inputs, now=NOW)
        service = next(s for s in model.services.values() if s.name == case.get("invocableName"))
        if len(service.outputs) > 1 and isinstance(value, dict):
            value = value.get(name)
        return RawResult(value)
    return evaluate_decision(model, name, inputs, now=NOW)


def run(folder: Path) -> Iterator[NodeResult]:
    for path in discover(folder):
        yield from run_file(path)
