"""The compiler against external ground truth in ../shared/corpora (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_compiler.batch import Totals, compile_file, discover
from tests.conftest import SHARED

CORPORA = SHARED / "corpora"
pytestmark = pytest.mark.skipif(
    not CORPORA.is_dir(), reason=f"{CORPORA} is absent (the shared corpora are not in this clone)"
)


def _compile_all(
    folder: Path, *, include_all: bool = False
) -> tuple[Totals, dict[Path, list[str]]]:
    totals = Totals()
    errors: dict[Path, list[str]] = {}
    for path in discover([folder]):
        result = compile_file(path, include_non_executable=include_all)
        totals.add(result)
        if result.errors:
            errors[path] = [str(d) for d in result.errors]
    return totals, errors


def test_every_camunda_example_compiles_without_errors() -> None:
    totals, errors = _compile_all(CORPORA / "camunda")
    assert errors == {}
    assert totals.files >= 35


def test_miwg_never_crashes() -> None:
    totals, _ = _compile_all(CORPORA / "miwg")
    assert totals.files == 831
    assert totals.crashed == 0


def test_miwg_reference_models_compile_or_say_what_is_missing() -> None:
    totals, errors = _compile_all(CORPORA / "miwg" / "Reference", include_all=True)
    assert totals.crashed == 0
    for path, messages in errors.items():
        for message in messages:
            # every error names the element (id and line) and a stable code
            assert "[" in message and ":" in message, (path, message)
    # The ones that fail are documentation models lacking execution details (timers
    # without values, prose conditions, tasks without implementation).
    assert totals.ok >= 11
