"""Correlation without a server: the order candidates are offered a message in, and what
counts as taking it (``operations.messages.correlate``)."""

from __future__ import annotations

from typing import Any

import pytest
from baton_client.contracts import bpmn as c
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from operations import errors, messages

MESSAGE = c.DeliverMessage(name="paid", correlation_key="K-1")
NOT_WAITING = WorkflowUpdateFailedError(
    ApplicationError("nothing waits", type=c.Rejection.MESSAGE_NOT_CORRELATED.value)
)
ENDED = RPCError("gone", RPCStatusCode.NOT_FOUND, b"")


class _Handle:
    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    async def execute_update(self, name: str, *args: Any, **kwargs: Any) -> Any:
        assert name == c.CORRELATE_MESSAGE and args == (MESSAGE,)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return c.MessageCorrelated(element_id=self.outcome)


class _Client:
    """Instances by id, each answering ``correlate_message`` with an element id or an
    error; records whom it asked."""

    def __init__(self, **outcomes: Any) -> None:
        self.outcomes, self.asked = outcomes, []

    def get_workflow_handle(self, instance_id: str) -> _Handle:
        self.asked.append(instance_id)
        return _Handle(self.outcomes[instance_id])


async def _correlate(client: _Client, *, every: bool) -> list[messages.Taken]:
    fake: Any = client
    settings = Settings(temporal_rpc_timeout_seconds=1)
    return await messages.correlate(fake, settings, MESSAGE, list(client.outcomes), every=every)


async def test_the_first_taker_ends_the_search() -> None:
    client = _Client(a=NOT_WAITING, b=ENDED, c="Catch_paid", d="Catch_other")
    assert await _correlate(client, every=False) == [messages.Taken("c", "Catch_paid")]
    assert client.asked == ["a", "b", "c"]


async def test_every_taker_gets_it_when_asked_to() -> None:
    client = _Client(a="Catch_paid", b=NOT_WAITING, c="Catch_other")
    taken = await _correlate(client, every=True)
    assert [t.instance_id for t in taken] == ["a", "c"]


async def test_an_instance_that_took_the_message_id_before_counts_as_a_taker() -> None:
    client = _Client(a="", b="Catch_paid")  # "" is the acknowledgement of a repeat
    assert await _correlate(client, every=False) == [messages.Taken("a", "")]


async def test_an_instance_that_does_not_answer_is_unavailable_not_skipped() -> None:
    client = _Client(a=WorkflowUpdateRPCTimeoutOrCancelledError(), b="Catch_paid")
    with pytest.raises(errors.Unavailable):
        await _correlate(client, every=False)
