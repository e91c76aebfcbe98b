"""The Temporal-call machinery of ``operations/calls.py`` without a server: command ids,
how a refusal, a timeout or an outage of an update becomes an operation error, and how
the API answers each kind (``api.problems.problem_of``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from baton_client.contracts import letsflow as lc
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import problems
from core.settings import Settings
from operations import calls, commands, errors

COMPLETE = c.CompleteUserTask(task_id="t-1", variables={"ok": True}, user_id="john")
CLAIM = c.TaskCommand(task_id="t-1", user_id="john")


def test_a_one_shot_command_sent_again_is_the_same_update() -> None:
    first = calls.command_id(commands.COMPLETE, "i-1", COMPLETE, None)
    assert first is not None and first.startswith("complete_user_task:")
    assert calls.command_id(commands.COMPLETE, "i-1", COMPLETE, None) == first
    assert calls.command_id(commands.COMPLETE, "i-2", COMPLETE, None) != first


def test_a_repeatable_command_is_deduplicated_only_by_the_clients_key() -> None:
    assert calls.command_id(commands.CLAIM, "i-1", CLAIM, None) is None
    keyed = calls.command_id(commands.CLAIM, "i-1", CLAIM, "k-1")
    assert keyed is not None and keyed.endswith(":key:k-1")
    # the key reused for another task of the instance is another update
    other = c.TaskCommand(task_id="t-2", user_id="john")
    assert calls.command_id(commands.CLAIM, "i-1", other, "k-1") != keyed


def test_the_requests_key_reaches_every_command_it_sends() -> None:
    token = calls.IDEMPOTENCY_KEY.set("from-header")
    try:
        found = calls.command_id(commands.CLAIM, "i-1", CLAIM, None)
    finally:
        calls.IDEMPOTENCY_KEY.reset(token)
    assert found is not None and found.endswith(":key:from-header")


def test_every_refusal_of_the_workflow_has_its_kind() -> None:
    commands_refused = set(c.Rejection) - {c.Rejection.NO_START_EVENT}
    assert commands_refused <= set(calls.REJECTIONS)
    assert lc.Rejection.PROCESS_ENDED in calls.REJECTIONS


class _Handle:
    def __init__(self, raises: BaseException | None = None, answer: Any = None) -> None:
        self.raises, self.answer, self.sent = raises, answer, []

    async def execute_update(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.sent.append((name, args, kwargs))
        if self.raises is not None:
            raise self.raises
        return self.answer


class _Client:
    def __init__(self, handle: _Handle) -> None:
        self.handle = handle

    def get_workflow_handle(self, instance_id: str) -> _Handle:
        return self.handle


async def _update(raises: BaseException | None = None, answer: Any = None) -> Any:
    client: Any = _Client(_Handle(raises, answer))
    settings = Settings(temporal_rpc_timeout_seconds=3)
    return await calls.update(client, settings, "i-1", commands.COMPLETE, COMPLETE)


async def test_an_update_answers_its_typed_result_within_the_rpc_timeout() -> None:
    done = c.UserTaskCompleted(task_id="t-1", variables={"ok": True})
    handle = _Handle(answer=done)
    client: Any = _Client(handle)
    answer = await calls.update(
        client, Settings(temporal_rpc_timeout_seconds=3), "i-1", commands.COMPLETE, COMPLETE
    )
    assert answer == done
    name, args, kwargs = handle.sent[0]
    assert (name, args) == (c.COMPLETE_USER_TASK, (COMPLETE,))
    assert kwargs["result_type"] is c.UserTaskCompleted
    assert kwargs["rpc_timeout"] == timedelta(seconds=3)


@pytest.mark.parametrize(
    ("rejection", "kind", "status"),
    [
        (c.Rejection.TASK_NOT_FOUND, errors.NotFound, 404),
        (c.Rejection.TASK_NOT_PERMITTED, errors.Forbidden, 403),
        (c.Rejection.TASK_ALREADY_CLAIMED, errors.Conflict, 409),
        (c.Rejection.VARIABLES_TOO_LARGE, errors.TooLarge, 413),
        (lc.Rejection.PROCESS_ENDED, errors.Refused, 400),
        ("SomethingNewer", errors.Conflict, 409),
    ],
)
async def test_a_refusal_is_its_kind_with_the_workflows_code(
    rejection: str, kind: type[errors.OperationError], status: int
) -> None:
    refused = WorkflowUpdateFailedError(ApplicationError("no", type=str(rejection)))
    with pytest.raises(kind) as caught:
        await _update(refused)
    assert caught.value.extensions == {"code": str(rejection), "outcome": "refused"}
    problem = problems.problem_of(caught.value)
    assert problem.status == status and problem.title == problems.title_for(status)


async def test_an_update_nobody_answered_has_an_unknown_outcome() -> None:
    with pytest.raises(errors.Unavailable) as caught:
        await _update(WorkflowUpdateRPCTimeoutOrCancelledError())
    assert caught.value.extensions == {"outcome": "unknown"}
    problem = problems.problem_of(caught.value)
    assert problem.status == 503 and problem.headers == {"Retry-After": "1"}


async def test_an_update_to_an_ended_instance_is_refused_as_ended() -> None:
    with pytest.raises(errors.Conflict) as caught:
        await _update(RPCError("gone", RPCStatusCode.NOT_FOUND, b""))
    assert caught.value.extensions["code"] == c.Rejection.INSTANCE_ENDED


async def test_an_instance_that_cannot_take_commands_now_took_nothing() -> None:
    with pytest.raises(errors.Unavailable) as caught:
        await _update(RPCError("stuck", RPCStatusCode.FAILED_PRECONDITION, b""))
    assert caught.value.extensions == {"outcome": "not-applied"}


async def test_a_call_temporal_refused_is_a_bad_gateway() -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        await _update(RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b""))
    assert caught.value.extensions == {"outcome": "refused"}
    assert problems.problem_of(caught.value).title == "Bad gateway"


def test_the_rejections_are_the_strings_the_workflow_raises() -> None:
    """Every ``ApplicationError(type="...")`` literal of the BPMN interpreter (in whatever
    module of ``workflows/`` it lives) is a ``Rejection``; a literal the enum lacked would
    reach clients as a bare Conflict. (Once the workflow raises the enum's members, no
    literal is left and this holds trivially.)"""
    modules = [
        p for p in Path(c.__file__).parent.rglob("*.py") if not p.name.startswith("letsflow")
    ]
    raised = {t for p in modules for t in re.findall(r'type="([A-Za-z]+)"', p.read_text())}
    assert raised <= {r.value for r in c.Rejection}, raised - {r.value for r in c.Rejection}


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (errors.TaskNotFound("t-1"), 404, "Not found"),
        (errors.Conflict("x"), 409, "Conflict"),
        (errors.Forbidden("x"), 403, "Forbidden"),
        (errors.Invalid("x"), 422, "Invalid request"),
        (errors.Refused("x"), 400, "Bad request"),
        (errors.TooLarge("x"), 413, "Content too large"),
        (errors.Unavailable("x"), 503, "Service unavailable"),
        (errors.UpstreamError("x"), 502, "Bad gateway"),
        (errors.OperationError("x"), 400, "Bad request"),
    ],
)
def test_each_kind_of_error_has_its_status(
    error: errors.OperationError, status: int, title: str
) -> None:
    problem = problems.problem_of(error)
    assert (problem.status, problem.title, problem.detail) == (status, title, error.detail)
    assert problem.headers == {}
