"""User tasks: who acts, completing, and every other task command, once for all families.

The read model only says which instance holds a task (a row may lag behind the history,
never lead it); whether the actor may complete, claim or assign it is the instance's
decision, taken by the workflow's update validators: a refusal changes nothing and comes
back as the workflow's ``Rejection`` (``operations/calls.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from baton_client.contracts import bpmn as c
from temporalio.client import Client

from core.settings import Settings
from operations import calls, commands
from operations.errors import Forbidden, TaskNotFound
from store import Store, business_data, queries
from store.models import TaskRecord

#: Acts on any task (the workflow's ``admin``), and assigns tasks to others.
ASSIGN_PRIVILEGE = "bpms:task:assign"
#: Acts for another user (ONEWEB's ``user=``).
IMPERSONATE_PRIVILEGE = "oneweb:impersonate"


class Caller(Protocol):
    """The authenticated caller as operations need it (the API's ``Principal``)."""

    @property
    def subject(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...

    def can(self, privilege: str) -> bool: ...


def actor_of(caller: Caller, on_behalf_of: str | None = None) -> c.Actor:
    """The workflow-side actor for a caller, or for the user it acts for. Naming someone
    else is never a way to work on their tasks: it needs ``oneweb:impersonate``, and the
    impersonated user acts without groups (the caller cannot know them), with the
    caller's admin override when it holds that too (a trusted integration)."""
    admin = caller.can(ASSIGN_PRIVILEGE)
    if on_behalf_of is None or on_behalf_of == caller.subject:
        return c.Actor(user_id=caller.subject, groups=sorted(caller.roles), admin=admin)
    if not caller.can(IMPERSONATE_PRIVILEGE):
        raise Forbidden(
            f"user={on_behalf_of}: you may only act for yourself ({caller.subject}) without "
            f"the privilege '{IMPERSONATE_PRIVILEGE}'",
            privilege=IMPERSONATE_PRIVILEGE,
        )
    return c.Actor(user_id=on_behalf_of, groups=[], admin=admin)


async def locate(store: Store, task_id: str) -> TaskRecord:
    """The task's read-model row: which instance holds it."""
    row = await queries.get_task(store, task_id)
    if row is None:
        raise TaskNotFound(task_id)
    return row


@dataclass(frozen=True)
class Completed:
    row: TaskRecord
    #: the instance's variables after the completion
    variables: dict[str, Any]


async def complete(
    client: Client,
    store: Store,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    variables: dict[str, Any],
    *,
    business: dict[str, Any] | None = None,
) -> Completed:
    """Complete a user task with process variables; ``business`` is merged into the
    instance's business data once the instance has accepted the completion (a refusal
    changes nothing)."""
    row = await locate(store, task_id)
    done = await calls.update(
        client,
        settings,
        row.process_instance_id,
        commands.COMPLETE,
        c.CompleteUserTask(task_id=task_id, variables=variables, **actor.model_dump()),
    )
    if business:
        await business_data.merge(
            store, row.process_instance_id, business, by=actor.user_id or "system"
        )
    return Completed(row, done.variables)


class Action(StrEnum):
    """Every task command other than completion."""

    CLAIM = "claim"
    UNCLAIM = "unclaim"
    ASSIGN = "assign"
    DELEGATE = "delegate"
    RESOLVE = "resolve"
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    ADD_CANDIDATES = "add-candidates"


#: The update each action sends (all answer the task as it is after the command).
_UPDATES: dict[Action, commands.Update[Any, c.UserTaskView]] = {
    Action.CLAIM: commands.CLAIM,
    Action.UNCLAIM: commands.UNCLAIM,
    Action.ASSIGN: commands.ASSIGN,
    Action.DELEGATE: commands.DELEGATE,
    Action.RESOLVE: commands.RESOLVE,
    Action.SUSPEND: commands.SUSPEND,
    Action.RESUME: commands.RESUME,
    Action.CANCEL: commands.CANCEL_TASK,
    Action.ADD_CANDIDATES: commands.ADD_CANDIDATES,
}


@dataclass(frozen=True)
class Changed:
    row: TaskRecord
    view: c.UserTaskView


def argument(
    action: Action,
    actor: c.Actor,
    task_id: str,
    *,
    assignee: str | None = None,
    variables: dict[str, Any] | None = None,
    reason: str | None = None,
    users: list[str] | None = None,
) -> c.TaskCommand | c.TaskCandidates:
    """The update's argument: the candidates for ``add-candidates``; for the others the
    fields given (``assignee`` for assign and delegate, ``variables`` for resolve, a
    ``reason`` for suspend, resume and cancel)."""
    if action is Action.ADD_CANDIDATES:
        return c.TaskCandidates(task_id=task_id, users=list(users or []), **actor.model_dump())
    fields: dict[str, Any] = {}
    if assignee is not None:
        fields["assignee"] = assignee
    if variables is not None:
        fields["variables"] = variables
    if reason is not None:
        fields["reason"] = reason
    return c.TaskCommand(task_id=task_id, **fields, **actor.model_dump())


async def command(
    client: Client,
    store: Store,
    settings: Settings,
    actor: c.Actor,
    task_id: str,
    action: Action,
    *,
    assignee: str | None = None,
    variables: dict[str, Any] | None = None,
    reason: str | None = None,
    users: list[str] | None = None,
) -> Changed:
    """One task command on behalf of ``actor``; the task as it is afterwards."""
    row = await locate(store, task_id)
    arg = argument(
        action,
        actor,
        task_id,
        assignee=assignee,
        variables=variables,
        reason=reason,
        users=users,
    )
    view = await calls.update(client, settings, row.process_instance_id, _UPDATES[action], arg)
    return Changed(row, view)
