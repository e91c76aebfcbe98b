"""Who acts on a task (``actor_of``) and what each task command sends (``argument``),
without a server: the rules every API family shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from baton_client.contracts import bpmn as c

from operations import commands, errors
from operations.tasks import _UPDATES, Action, actor_of, argument


@dataclass
class Caller:
    subject: str
    roles: frozenset[str] = frozenset()
    privileges: set[str] = field(default_factory=set)

    def can(self, privilege: str) -> bool:
        return privilege in self.privileges


def test_a_caller_acts_as_itself_with_its_groups() -> None:
    john = Caller("john", frozenset({"accounting", "audit"}))
    assert actor_of(john) == c.Actor(user_id="john", groups=["accounting", "audit"])
    assert actor_of(john, "john") == actor_of(john)


def test_assigning_others_tasks_is_the_workflows_admin_override() -> None:
    lead = Caller("lead", privileges={"bpms:task:assign"})
    assert actor_of(lead).admin


def test_naming_another_user_needs_the_impersonation_privilege() -> None:
    with pytest.raises(errors.Forbidden) as caught:
        actor_of(Caller("john"), "mary")
    assert caught.value.extensions == {"privilege": "oneweb:impersonate"}
    assert "only act for yourself (john)" in caught.value.detail


def test_an_impersonated_user_acts_without_groups_and_with_the_callers_override() -> None:
    bridge = Caller("bridge", frozenset({"ops"}), {"oneweb:impersonate", "bpms:task:assign"})
    assert actor_of(bridge, "mary") == c.Actor(user_id="mary", groups=[], admin=True)


def test_every_action_sends_an_update_answering_the_task() -> None:
    assert set(_UPDATES) == set(Action)
    assert all(u.result is c.UserTaskView for u in _UPDATES.values())
    assert _UPDATES[Action.CANCEL].one_shot and not _UPDATES[Action.CLAIM].one_shot


def test_a_command_carries_only_what_its_action_takes() -> None:
    actor = c.Actor(user_id="john")
    claim = argument(Action.CLAIM, actor, "t-1")
    assert claim == c.TaskCommand(task_id="t-1", user_id="john")
    assign = argument(Action.ASSIGN, actor, "t-1", assignee="mary")
    assert isinstance(assign, c.TaskCommand) and assign.assignee == "mary"
    offer = argument(Action.ADD_CANDIDATES, actor, "t-1", users=["a", "b"])
    assert offer == c.TaskCandidates(task_id="t-1", users=["a", "b"], user_id="john")
    assert commands.ADD_CANDIDATES.argument is c.TaskCandidates
