"""docs/camunda-rest.md counts what ``/engine-rest`` serves: the total and the count per
resource must be those of the app's OpenAPI document, so the list cannot drift from the
routes (issue 20 asks the counts to be quoted)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from api.main import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "camunda-rest.md"


def _operations() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/engine-rest/")
        for method in item
    ]


def _resource(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[2:4]) if parts[2] == "history" else parts[2]


def test_the_documented_total_is_the_number_of_operations() -> None:
    ops = _operations()
    found = re.search(r"^(\d+) operations under `/engine-rest`", DOC.read_text(), re.M)
    assert found is not None, "docs/camunda-rest.md states no operation count"
    assert int(found.group(1)) == len(ops)


def test_the_documented_count_per_resource_matches() -> None:
    counts = Counter(_resource(path) for _, path in _operations())
    table = dict(re.findall(r"^\| ([a-z, -]+) \| (\d+)", DOC.read_text(), re.M))
    grouped = {
        "engine, version": counts["engine"] + counts["version"],
        "message, signal": counts["message"] + counts["signal"],
        "history": sum(n for r, n in counts.items() if r.startswith("history/")),
    }
    for name in (
        "deployment",
        "process-definition",
        "process-instance",
        "task",
        "variable-instance",
        "external-task",
        "incident",
        "job",
    ):
        grouped[name] = counts[name]
    assert {k: int(v) for k, v in table.items() if k in grouped} == grouped
    assert set(grouped) <= set(table), "a resource is missing from the count table"
