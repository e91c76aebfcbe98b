"""The house's rules, checked on the code: no interpreter module past 600 lines, every
element type the IR can hold has a behaviour in the registry, and imports run one way
(the interpreter never reaches the API, the store, activities or operations)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from bpmn_compiler import ir
from workflows.bpmn.elements import ELEMENTS

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_no_interpreter_module_is_past_600_lines() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in modules("workflows")
    }
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert not too_long, too_long


def test_every_ir_element_type_has_a_behaviour() -> None:
    union = typing.get_args(ir.Node)[0]  # Annotated[Union[...], Field(...)]
    kinds = set(typing.get_args(union))
    assert kinds, "the IR's Node union is empty?"
    missing = {k.__name__ for k in kinds} - {k.__name__ for k in ELEMENTS}
    assert not missing, f"element types without a behaviour in ELEMENTS: {sorted(missing)}"


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_interpreter_imports_nothing_above_it() -> None:
    above = ("api", "store", "activities", "operations", "baton")
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in imported(p) if m.split(".")[0] in above)
        for p in modules("workflows")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_behaviours_never_import_the_workflow_class() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules("workflows/bpmn")
        if "workflows.bpmn_process" in imported(p)
    ]
    assert not offenders
