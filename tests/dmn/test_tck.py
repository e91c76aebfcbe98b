"""The DMN TCK (levels 2 and 3) from ../shared/corpora; skipped without it."""

from __future__ import annotations

import pytest

from dmn import tck
from tests.conftest import SHARED

CORPUS = SHARED / "corpora" / "dmn-tck"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"{CORPUS} is absent (the shared corpora are not in this clone)"
)


def test_levels_2_and_3_pass_at_least_95_percent() -> None:
    summary = tck.Summary()
    for result in tck.run(CORPUS):
        summary.add(result)
    assert summary.totals["2"] >= 100 and summary.totals["3"] >= 2500, summary.closing_line()
    for level in ("2", "3"):
        share = summary.passed[level] / summary.totals[level]
        assert share >= 0.95, summary.closing_line()
    assert summary.categories["crash"] == 0, summary.categories
