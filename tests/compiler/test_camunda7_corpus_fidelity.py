"""Baton against what Camunda 7's own tests expect of each diagram they deploy (issue 21).

``camunda7_expectations`` reads the Java tests of ../shared/corpora/camunda7-engine in place
and sorts the diagrams into *expected invalid* (a test expects the deployment to fail) and the
rest. Baton must refuse every expected-invalid diagram but those in ``ACCEPTED_FOR_A_REASON``,
and refuse an expected-valid one only for a feature it names as unsupported (CMMN, JVM-only
script languages, Camunda 7's built-in Java task types) or for one of the few reasons listed
in ``REFUSED_FOR_A_REASON``.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from bpmn_compiler.batch import compile_file
from tests.compiler.camunda7_expectations import Expectation, expectations
from tests.conftest import SHARED

CORPUS = SHARED / "corpora" / "camunda7-engine"
RESOURCES = CORPUS.resolve() / "src" / "test" / "resources"  # the classifier resolves links
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"{CORPUS} is absent (the shared corpora are not in this clone)"
)

#: refusals that name a feature Baton does not run
UNSUPPORTED_FEATURE = {
    "cmmn-not-supported",  # camunda:caseRef: CMMN cases
    "unsupported-expression-language",  # Groovy & co. on conditions: JVM-only languages
    "unsupported-task-type",  # camunda:type="mail"/"shell": Java built into the engine
}

_BASE = "org/camunda/bpm/engine/test/"
#: expected-valid diagrams Baton refuses for another reason, and why that is right
REFUSED_FOR_A_REASON = {
    _BASE + "bpmn/scripttask/ScriptTaskTest.testPreviousTaskShouldNotHandleException.bpmn": (
        "invalid-timer",
        "timeDuration 'time is just a concept': Camunda 7 deploys it and its test expects "
        "'Invalid format' when the timer starts; Baton says so at deployment",
    ),
    _BASE + "api/repository/diagram/testInvoiceProcessFromBusinessProcessIncubator.bpmn": (
        "condition-not-an-expression",
        "prose condition 'some condition' (a diagram-layout test that never runs it; "
        "Camunda 7 would fail on it as a non-boolean)",
    ),
    _BASE + "api/runtime/RuntimeServiceTest.testActivityInstanceTreeForManualTask.bpmn20.xml": (
        "unknown-reference",
        "a sequence flow to a missing element; no test deploys it and Camunda 7's parser "
        "refuses it too ('Invalid destination')",
    ),
    _BASE + "api/runtime/migration/MigrationUserTaskTest.changedTimeoutTaskListenerAndTask"
    ".bpmn20.xml": (
        "unknown-reference",
        "a sequence flow to a missing element; no test deploys it",
    ),
    _BASE + "bpmn/property/PropertyTest.testUserTaskLinkExprProperty.bpmn20.xml": (
        "not-bpmn",
        "the pre-release BPMN 2.0 namespace; its test is commented out",
    ),
}


@cache
def _compiled() -> tuple[dict[Path, Expectation], dict[Path, list[str]], list[Path]]:
    found = expectations(CORPUS.resolve())
    errors: dict[Path, list[str]] = {}
    crashed: list[Path] = []
    for path in found:
        result = compile_file(path)
        if result.crashed:
            crashed.append(path)
        if result.errors:
            errors[path] = sorted({d.code for d in result.errors})
    return found, errors, crashed


#: expected-invalid diagrams Baton deploys (with a warning), and why
ACCEPTED_FOR_A_REASON = {
    _BASE + "bpmn/event/signal/InvalidProcessWithMultipleSignalStartEvents.bpmn20.xml": (
        "two start events on one signal in a file that declares no Camunda namespace: a "
        "signal reaches both and each starts an instance, as BPMN and the token-simulation "
        "conformance suite have it (warning duplicate-subscription; an error in Camunda 7 files)"
    ),
}


def _classified() -> tuple[dict[Path, Expectation], dict[Path, list[str]]]:
    found, errors, _ = _compiled()
    return found, errors


def test_the_classification_finds_the_tests() -> None:
    found, _ = _classified()
    assert len(found) == 1042
    invalid = [e for e in found.values() if e.invalid]
    deployed = [e for e in found.values() if e.deployed_by and not e.invalid]
    assert len(invalid) == 27
    assert len(deployed) >= 950  # the rest no Java test of this subset deploys


def test_every_diagram_camunda7_refuses_is_refused() -> None:
    found, errors = _classified()
    accepted = {
        str(path.relative_to(RESOURCES)): entry.failing_by
        for path, entry in found.items()
        if entry.invalid and path not in errors
    }
    assert set(accepted) == set(ACCEPTED_FOR_A_REASON)
    # before issue 21: 8 of these 27 were refused
    assert sum(1 for p, e in found.items() if e.invalid and p in errors) == 26


def test_a_diagram_camunda7_deploys_is_refused_only_for_a_named_reason() -> None:
    found, errors = _classified()
    categories: Counter[str] = Counter()
    unexplained = {}
    for path, codes in errors.items():
        if found[path].invalid:
            continue
        key = str(path.relative_to(RESOURCES))
        if set(codes) <= UNSUPPORTED_FEATURE:
            categories["unsupported feature named"] += 1
        elif key in REFUSED_FOR_A_REASON and codes == [REFUSED_FOR_A_REASON[key][0]]:
            categories["refused for a listed reason"] += 1
        else:
            unexplained[key] = codes
    assert unexplained == {}
    # 31 CMMN case calls, 13 mail tasks, 3 Groovy conditions
    assert categories == {"unsupported feature named": 47, "refused for a listed reason": 5}


def test_the_whole_corpus_compiles_without_crashing() -> None:
    found, _, crashed = _compiled()
    assert len(found) == 1042 and crashed == []
