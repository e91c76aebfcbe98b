"""docs/bpmn-support.md is generated from the registry and must be current."""

from __future__ import annotations

from bpmn_compiler.elements import REGISTRY
from bpmn_compiler.support import render
from tests.conftest import ROOT


def test_committed_page_is_current() -> None:
    page = (ROOT / "docs" / "bpmn-support.md").read_text()
    assert page == render(), "run 'baton docs' and commit docs/bpmn-support.md"


def test_every_registered_element_is_listed() -> None:
    page = render()
    for tag in REGISTRY:
        assert f"| `{tag}` |" in page
