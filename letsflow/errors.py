"""The package's one error root.

Exception tree::

    ScenarioError    a scenario (or its YAML text) is invalid; ``.path`` says where
        ProcessError     a process dict the engine cannot run, or start instructions that
                         do not fit the scenario; ``.errors`` lists the reasons

Every invalid input ends in a :class:`ScenarioError`, so callers (the HTTP layer, the
workflow) catch one type and can point the author at the offending spot: ``path`` is the
location inside the scenario document (keys and list indexes), ``line``/``column`` the
place in the YAML text when the problem was found while reading it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PathPart = str | int
"""One step into the document: a mapping key or a list index."""

Path = tuple[PathPart, ...]
"""Where in the document: the keys and indexes from the root."""


def json_pointer(path: Sequence[PathPart]) -> str:
    """Render ``path`` as an RFC 6901 pointer, the form LetsFlow's validator reports."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "".join("/" + p for p in parts)


class ScenarioError(ValueError):
    """An invalid scenario, with where it is invalid.

    Subclasses :class:`ValueError` so generic "bad input" handlers still catch it.
    """

    def __init__(
        self,
        message: str,
        path: Sequence[PathPart] = (),
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.path: tuple[PathPart, ...] = tuple(path)
        self.line = line
        self.column = column
        super().__init__(str(self))

    @property
    def pointer(self) -> str:
        """The path as a JSON pointer (``""`` for the document itself)."""
        return json_pointer(self.path)

    def __str__(self) -> str:
        where = self.pointer or "/"
        if self.line is not None:
            where += f" (line {self.line}, column {self.column})"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for error bodies."""
        out: dict[str, Any] = {"message": self.message, "path": self.pointer}
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out


class ProcessError(ScenarioError):
    """The process engine was handed something it cannot work with.

    Either the process dict was not made by :func:`letsflow.instantiate` (no current
    state, an unknown state, a broken event chain), or the start instructions do not fit
    the scenario (an actor it does not define, an invalid variable). Invalid *steps* are
    not errors: they are recorded as skipped events, as in LetsFlow. ``errors`` holds the
    individual reasons in LetsFlow's wording, for an HTTP 400 body.
    """

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.errors: list[str] = list(errors)
        super().__init__(message)

    def __str__(self) -> str:
        return self.message if not self.errors else f"{self.message}: {'; '.join(self.errors)}"

    def to_dict(self) -> dict[str, Any]:
        """``{"message", "reason"?}``: LetsFlow's process error body."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors:
            out["reason"] = list(self.errors)
        return out
