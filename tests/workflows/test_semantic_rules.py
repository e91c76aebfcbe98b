"""The semantic-rule registry (``workflows/semantics.py``), without a server.

Two promises are checked here: every rule has a recorded history on its old path that
``tests/test_replay.py`` replays (what lets the old branch be trusted, and later
archived), and ``Semantics`` consults ``workflow.patched`` so that a history recorded
before epochs gets exactly the markers it got from the code before (a difference in
them is a non-determinism error on replay).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from baton_client.contracts import search_attributes as sa
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from tests.test_replay import HISTORIES, recorded_histories
from workflows import semantics as s
from workflows.semantics import RULES, Rule, Semantics

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
PRE_EPOCH = [rule for rule in RULES if rule.marker not in s.EPOCHS]
#: the marker a new run records, and the ones an epoch-2 run is asked for first
CURRENT = s.EPOCHS[-1]
NEWER_THAN_2 = list(reversed(s.EPOCHS[2:]))


class FakeRun:
    """``workflow.patched`` as the SDK answers it: a new run (``recorded is None``) gets
    True and records the marker; a replay gets True only for markers in its history;
    an answer is memoized per marker. ``calls`` is every consultation, ``markers`` what
    the history holds (or will: a replay must produce exactly what it recorded)."""

    def __init__(self, recorded: set[str] | None) -> None:
        self.replaying = recorded is not None
        self.recorded = recorded or set()
        self.calls: list[str] = []
        self.markers: list[str] = []
        self._memo: dict[str, bool] = {}

    def __call__(self, marker: str) -> bool:
        self.calls.append(marker)
        if marker in self._memo:
            return self._memo[marker]
        answer = not self.replaying or marker in self.recorded
        self._memo[marker] = answer
        if answer:
            self.markers.append(marker)
        return answer


#: What run() and the handlers consult after the baselines, in a typical order.
CONSULTED = [s.WAITING_MESSAGES, s.CANCEL, s.SINK, s.LEAN_PROJECTION]


def before_epochs(run: FakeRun) -> list[bool]:
    """The code before epochs: ``run()``'s first lines, then ``_patched`` per rule."""
    after = run(s.AFTER_COMMIT.marker)
    local = after or run(s.LOCAL_BUILTINS.marker)
    return [after, local, *(local or run(rule.marker) for rule in CONSULTED)]


def with_epochs(run: FakeRun) -> tuple[Semantics, list[bool]]:
    sem = Semantics.at_start(run)
    answers = [sem.holds(s.AFTER_COMMIT), sem.holds(s.LOCAL_BUILTINS)]
    return sem, answers + [sem.holds(rule) for rule in CONSULTED]


def both(recorded: set[str] | None) -> tuple[FakeRun, FakeRun, Semantics, list[bool], list[bool]]:
    old, new = FakeRun(recorded), FakeRun(recorded)
    old_answers = before_epochs(old)
    sem, new_answers = with_epochs(new)
    return old, new, sem, old_answers, new_answers


def test_a_new_run_records_one_marker_its_epochs() -> None:
    old, new, sem, old_answers, new_answers = both(None)
    assert new.calls == [CURRENT]
    assert new.markers == [CURRENT]
    assert old.markers == ["projection-after-commit"]  # one marker before, too
    assert sem.epoch == s.CURRENT_EPOCH == len(s.EPOCHS)
    assert new_answers == old_answers == [True] * 6
    assert all(sem.holds(rule) for rule in RULES)
    assert new.calls == [CURRENT]  # nothing else consulted
    assert sem.search_attribute_updates() == [sa.SEMANTICS_EPOCH.value_set(s.CURRENT_EPOCH)]


def test_an_epoch_2_replay_finds_its_marker_and_nothing_more() -> None:
    old, new, sem, old_answers, new_answers = both({"projection-after-commit"})
    assert new.calls == [*NEWER_THAN_2, "projection-after-commit"]
    assert new.markers == old.markers == ["projection-after-commit"]
    assert sem.epoch == 2
    assert new_answers == old_answers == [True] * 6
    assert not sem.holds(s.EPOCH_SEARCH_ATTRIBUTE)
    assert sem.search_attribute_updates() == []  # its history has no such upsert
    assert len(new.calls) == len(NEWER_THAN_2) + 1


def test_an_epoch_1_replay() -> None:
    old, new, sem, old_answers, new_answers = both({"synchronous-builtins-run-locally"})
    assert new.calls == [
        *NEWER_THAN_2,
        "projection-after-commit",
        "synchronous-builtins-run-locally",
    ]
    assert old.calls == ["projection-after-commit", "synchronous-builtins-run-locally"]
    assert new.markers == old.markers == ["synchronous-builtins-run-locally"]
    assert sem.epoch == 1
    assert new_answers == old_answers == [False] + [True] * 5
    assert all(sem.holds(rule) for rule in PRE_EPOCH)
    assert len(new.calls) == len(NEWER_THAN_2) + 2  # the older rules are not consulted


def test_a_pre_epoch_replay_consults_each_rule_where_it_did() -> None:
    recorded = {"waiting-messages-search-attribute", "cancel-winds-down"}
    old, new, sem, old_answers, new_answers = both(recorded)
    epochs_newest_first = list(reversed(s.EPOCHS))
    assert new.calls == epochs_newest_first + [rule.marker for rule in CONSULTED]
    assert old.calls == [s.AFTER_COMMIT.marker, s.LOCAL_BUILTINS.marker] + [
        rule.marker for rule in CONSULTED
    ]
    assert new.markers == old.markers == ["waiting-messages-search-attribute", "cancel-winds-down"]
    assert sem.epoch == 0
    assert new_answers == old_answers == [False, False, True, True, False, False]
    # the epoch rules are answered from at_start, not consulted a second time
    calls = len(new.calls)
    assert not sem.holds(s.AFTER_COMMIT) and not sem.holds(s.LOCAL_BUILTINS)
    assert not sem.holds(s.EPOCH_SEARCH_ATTRIBUTE)
    assert len(new.calls) == calls


def test_a_pre_epoch_run_that_goes_on_live_records_older_rules_as_before() -> None:
    """Replayed up to now, then running on this code: a rule first consulted after the
    replay answers True and records its marker, as ``_patched`` did; the epoch stays 0."""
    old, new = FakeRun(set()), FakeRun(set())
    local = before_epochs(old)[1]
    sem, _ = with_epochs(new)
    old.replaying = new.replaying = False
    assert (local or old(s.STANDARD_LOOP.marker)) is sem.holds(s.STANDARD_LOOP) is True
    assert new.markers == old.markers == ["standard-loops-run"]
    assert sem.epoch == 0 and not sem.holds(s.AFTER_COMMIT)


def test_before_at_start_a_rule_is_consulted_by_its_marker() -> None:
    """A handler that runs before ``run()`` sees ``Semantics()``, as it saw
    ``_local_builtins = False`` before epochs."""
    run = FakeRun(None)
    assert Semantics(patched=run).holds(s.SINK)
    assert run.calls == [s.SINK.marker]


# ------------------------------------------------------------------ the registry


def test_every_rule_constant_is_registered_once() -> None:
    constants = [value for value in vars(s).values() if isinstance(value, Rule)]
    assert sorted(constants, key=RULES.index) == list(RULES)
    # an epoch's rules share its marker; each rule has its own fixture
    assert len(set(RULES)) == len(RULES)
    pre_epoch = [rule.marker for rule in RULES if rule.marker not in s.EPOCHS]
    assert len(set(pre_epoch)) == len(pre_epoch)


def test_epochs_are_ordered_and_named() -> None:
    assert len(s.EPOCHS) == s.CURRENT_EPOCH
    assert [rule.epoch for rule in RULES] == sorted(rule.epoch for rule in RULES)
    assert all(1 <= rule.epoch <= s.CURRENT_EPOCH for rule in RULES)
    for number in range(s.FIRST_RECORDED_EPOCH, s.CURRENT_EPOCH + 1):
        assert s.epoch_marker(number) == f"baton-semantics-{number}"
    # after the per-rule markers, a rule comes with its epoch's marker
    for rule in RULES:
        if rule.marker in s.EPOCHS or rule.epoch > 1:
            assert rule.marker == s.epoch_marker(rule.epoch), rule
    assert len(PRE_EPOCH) == 18
    assert [r.epoch for r in RULES].count(1) == 19
    with pytest.raises(ValueError):
        s.epoch_marker(s.CURRENT_EPOCH + 1)


def test_retirable() -> None:
    assert s.retirable(0) == ()
    assert s.retirable(1) == (*PRE_EPOCH, s.LOCAL_BUILTINS)
    assert s.retirable(s.CURRENT_EPOCH) == RULES


def test_every_marker_in_the_interpreter_is_a_rule() -> None:
    """A ``*_PATCH`` marker the interpreter still declares must be in the registry, so
    it gets an epoch and a fixture (none new may appear: new rules join an epoch)."""
    markers = {rule.marker for rule in RULES}
    declared = {
        m.group(1)
        for path in WORKFLOWS.rglob("*.py")
        for m in re.finditer(r'^[A-Z_]+_PATCH = "([^"]+)"', path.read_text(), re.M)
    }
    assert declared <= markers, declared - markers


def _epoch_of(markers: list[str]) -> int:
    found = [s.EPOCHS.index(m) + 1 for m in markers if m in s.EPOCHS]
    return max(found, default=0)


def _markers(history: WorkflowHistory) -> list[str]:
    markers = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name == "core_patch":
            markers.append(json.loads(attrs.details["patch-data"].payloads[0].data)["id"])
    return markers


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.marker)
def test_every_rule_has_a_replayed_history_on_its_old_path(rule: Rule) -> None:
    """The fixture exists, ``test_recorded_history_replays`` replays it, it is a
    ``BpmnProcess`` run, and it was recorded before the rule: below the rule's epoch,
    and (for a rule with its own marker) without that marker."""
    assert rule.fixture in {path.name for path in recorded_histories()}, rule.fixture
    path = HISTORIES / rule.fixture
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == "BpmnProcess"
    markers = _markers(history)
    assert _epoch_of(markers) < rule.epoch, (rule.fixture, markers)
    assert rule.marker not in markers
