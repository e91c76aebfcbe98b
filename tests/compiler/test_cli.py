"""``baton compile`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from baton.cli import app
from tests.conftest import EXAMPLES
from tests.support.bpmn import document


def test_compile_folder_lines_and_closing_line(tmp_path: Path) -> None:
    (tmp_path / "good.bpmn").write_bytes((EXAMPLES / "invoice-approval.bpmn").read_bytes())
    (tmp_path / "bad.bpmn").write_text(
        document('<bpmn:startEvent id="s"/><bpmn:serviceTask id="t"/>')
    )
    (tmp_path / "notes.txt").write_text("not a diagram")
    result = CliRunner().invoke(app, ["compile", str(tmp_path)])
    assert result.exit_code == 1, result.output  # a file with errors fails the run (CI)
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "compile: 1 ok, 1 with errors, 0 crashed"
    assert lines[-2] == "read 2 files"
    assert any(line.startswith("ok    ") and "invoice-approval" in line for line in lines)
    bad = next(line for line in lines if line.startswith("error "))
    assert "bad.bpmn:5: missing-implementation [serviceTask t]" in bad


def test_compile_json(tmp_path: Path) -> None:
    path = tmp_path / "x.bpmn"
    path.write_bytes((EXAMPLES / "order-review-zeebe.bpmn").read_bytes())
    result = CliRunner().invoke(app, ["compile", "--json", str(path)])
    assert result.exit_code == 0
    document_part = result.stdout[: result.stdout.rindex("}") + 1]
    body = json.loads(document_part)
    [entry] = body["results"]
    assert entry["ok"] and entry["definitions"][0]["key"] == "order-review"
    assert body["summary"] == {
        "files": 1,
        "ok": 1,
        "with_errors": 0,
        "crashed": 0,
        "with_warnings": 0,
        "errors": 0,
        "warnings": 0,
        "failed": False,
    }


def test_report_only_surveys_a_folder_with_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.bpmn").write_text(document('<bpmn:serviceTask id="t"/>'))
    result = CliRunner().invoke(app, ["compile", "--report-only", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "compile: 0 ok, 1 with errors, 0 crashed"
