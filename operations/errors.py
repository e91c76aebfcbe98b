"""What operations raise: one root, a few kinds, no HTTP.

Operations are called by four API families (each with its own error shape: problem+json,
ONEWEB's envelope, LetsFlow's ``error`` body) and by activities (which have none), so
they say *what* went wrong and let the caller say it in its own words: the API maps each
kind to a status in ``api/problems.py``; an activity maps it to an ``ApplicationError``.

Extensions (``code``, ``outcome``, ``field``, ``privilege`` …) travel with the error
because clients read them: ``code`` is the workflow's reason
(a ``baton_client.contracts.bpmn.Rejection``),
``outcome`` tells whether a command was applied (``refused``: nothing changed;
``unknown``: it may have been; ``not-applied``: Temporal took nothing, send it again).
"""

from __future__ import annotations

from typing import Any


class OperationError(Exception):
    """Root of every error an operation raises on purpose. ``retry_after`` (seconds) is
    set when trying again soon is the remedy."""

    def __init__(self, detail: str, *, retry_after: int | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        self.extensions = extensions


class NotFound(OperationError):
    """What the operation names does not exist (or no longer runs, where that is the same
    thing to the caller)."""


class TaskNotFound(NotFound):
    """No user task with this id in the read model: the families word it differently
    (``no user task …`` / ONEWEB's ``no task …``), so the id travels with it."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"no user task {task_id}")
        self.task_id = task_id


class Conflict(OperationError):
    """The target is in a state that refuses the command (ended, claimed, resolved …)."""


class Forbidden(OperationError):
    """The actor may not do this."""


class Invalid(OperationError):
    """The request is well formed but names something that contradicts itself (an
    Idempotency-Key used for another process)."""


class Refused(OperationError):
    """The target refused the request as such (a LetsFlow process that has ended)."""


class TooLarge(OperationError):
    """Variables or data over their size bound; nothing changed."""


class Unavailable(OperationError):
    """Temporal (or a worker) did not answer in time; ``outcome`` says whether a command
    may have been applied."""


class UpstreamError(OperationError):
    """Temporal refused a call for a reason that is neither the caller's nor transient."""
