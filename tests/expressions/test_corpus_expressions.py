"""Every FEEL and JUEL expression in the Camunda example corpus parses."""

from __future__ import annotations

import pytest

from bpmn_compiler import compile_bpmn
from bpmn_compiler.batch import discover
from bpmn_compiler.expression_check import expressions_in
from expressions import compile_expression
from tests.conftest import SHARED

CAMUNDA = SHARED / "corpora" / "camunda"


@pytest.mark.skipif(not CAMUNDA.is_dir(), reason=f"{CAMUNDA} is absent")
def test_every_corpus_expression_parses() -> None:
    counts = {"feel": 0, "juel": 0}
    for path in discover([CAMUNDA]):
        result = compile_bpmn(path.read_bytes(), filename=str(path))
        assert result.ok, [str(d) for d in result.errors]
        for definition in result.definitions:
            owners = [*definition.nodes.values(), *definition.flows.values()]
            for owner in owners:
                for _, expression in expressions_in(owner, ""):
                    compile_expression(expression)  # raises on a syntax error
                    counts[expression.language] += 1
    assert counts["juel"] >= 70 and counts["feel"] >= 9, counts
