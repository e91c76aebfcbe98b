"""The typed table of ``operations/commands.py``: every handler of ``BpmnProcess`` a
client calls is in it exactly once, with the argument and result types of the
workflow's contracts."""

from __future__ import annotations

from baton_client.contracts import bpmn as c

from operations import commands

HANDLERS = {
    c.COMPLETE_USER_TASK,
    c.CLAIM_TASK,
    c.UNCLAIM_TASK,
    c.ASSIGN_TASK,
    c.ADD_TASK_CANDIDATES,
    c.DELEGATE_TASK,
    c.RESOLVE_TASK,
    c.RETRY_INCIDENT,
    c.RESOLVE_INCIDENT,
    c.DELIVER_MESSAGE,
    c.CORRELATE_MESSAGE,
    c.DELIVER_SIGNAL,
    c.SET_VARIABLES,
    c.FIRE_TIMER,
    c.SUSPEND_TASK,
    c.RESUME_TASK,
    c.CANCEL_TASK,
    c.CANCEL_INSTANCE,
    c.AWAIT_WAIT_STATE,
    c.STATE_QUERY,
    c.RESYNC_PROJECTION,
}


Entry = commands.Update[object, object] | commands.Signal[object] | commands.Query[object]


def _entries() -> list[Entry]:
    return [
        v
        for v in vars(commands).values()
        if isinstance(v, commands.Update | commands.Signal | commands.Query)
        and not v.name.startswith(("step", "process"))
    ]


def test_every_handler_is_typed_once() -> None:
    names = [e.name for e in _entries()]
    assert sorted(names) == sorted(HANDLERS)


def test_task_commands_answer_the_task() -> None:
    for entry in (commands.CLAIM, commands.ASSIGN, commands.DELEGATE, commands.RESOLVE):
        assert entry.argument is c.TaskCommand and entry.result is c.UserTaskView
    assert commands.COMPLETE.result is c.UserTaskCompleted
    assert commands.CORRELATE.result is c.MessageCorrelated
