"""Who may write an instance's variables and business data (issue 18).

``bpms:process:write`` only lets a caller *attempt* a write, as ``bpms:task:complete``
only lets one attempt a task command. The instance decides the rest: the caller must be
allowed to work on it, which is one of

* a privileged role: ``bpms:task:assign`` (acts on any task, so it may set any data a
  task could) or ``bpms:process:modify`` (may cancel the instance outright); ``admin``
  and operators hold both;
* its starter (``PROCESS_STARTED``'s user in the instance's case history);
* a participant of one of its open user tasks: the assignee, the owner of a delegated
  task, a candidate user, a member of a candidate group -- or anyone, for an unassigned
  task with no candidates, which anyone may complete with variables anyway (the same
  rules as the task commands, docs/security.md).

Where the answer comes from: the instance's own ``state`` answer, which the write path
reads anyway (for the instance's size bound), never a read-model row: a row may lag
behind the history, and a stale row (a task reassigned a moment ago) would grant a write
the instance no longer allows. Nothing is written before the check passes.
"""

from __future__ import annotations

from collections.abc import Iterable

from baton_client.contracts import bpmn as c

from api.auth import Principal
from api.problems import Forbidden

#: Privileges that may write any instance's data.
PRIVILEGED = ("bpms:task:assign", "bpms:process:modify")


def privileged(principal: Principal) -> bool:
    return any(principal.can(p) for p in PRIVILEGED)


def takes_part(
    principal: Principal,
    assignee: str | None,
    owner: str | None,
    candidate_users: Iterable[str],
    candidate_groups: Iterable[str],
) -> bool:
    """Whether the caller may work on one open task with these people."""
    users, groups = list(candidate_users), list(candidate_groups)
    if principal.subject in (assignee, owner) or principal.subject in users:
        return True
    if principal.roles.intersection(groups):
        return True
    return assignee is None and not users and not groups


def in_state(principal: Principal, view: c.ProcessStateView) -> bool:
    """The authoritative path: the instance's own answer (starter, open tasks)."""
    started = next((e for e in view.history if e.type == "PROCESS_STARTED"), None)
    if started is not None and started.user_id == principal.subject:
        return True
    return any(
        takes_part(principal, t.assignee, t.owner, t.candidate_users, t.candidate_groups)
        for t in view.tasks
        if t.ended is None
    )


def require_writer(principal: Principal, instance_id: str, view: c.ProcessStateView) -> None:
    """403, naming why, unless the caller may change this instance's data."""
    if privileged(principal) or in_state(principal, view):
        return
    raise Forbidden(
        f"{principal.subject} may not change the data of process instance {instance_id}: "
        "only its starter, the assignee or a candidate of one of its open tasks, or a "
        f"holder of {' or '.join(repr(p) for p in PRIVILEGED)} may",
        code="NotAParticipant",
        privilege=PRIVILEGED[0],
    )
