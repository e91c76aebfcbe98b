"""Bounds on evaluation work, so user expressions cannot hang a workflow task.

The Temporal Python SDK fails a workflow activation that does not yield within 2 s; the
defaults keep a worst-case evaluation well below that on a slow machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from expressions.errors import LimitExceeded


@dataclass(frozen=True)
class Limits:
    max_steps: int = 200_000
    max_depth: int = 200
    max_collection: int = 100_000
    max_string: int = 1_000_000
    max_exponent: int = 10_000


DEFAULT_LIMITS = Limits()


class Budget:
    """Mutable step counter for one evaluation."""

    __slots__ = ("limits", "steps")

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.steps = 0

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.limits.max_steps:
            raise LimitExceeded(f"evaluation took more than {self.limits.max_steps} steps")

    def collection(self, size: int) -> None:
        if size > self.limits.max_collection:
            raise LimitExceeded(
                f"a list or range of {size} items exceeds the limit of {self.limits.max_collection}"
            )
        self.step(size // 16 + 1)

    def string(self, size: int) -> None:
        if size > self.limits.max_string:
            raise LimitExceeded(
                f"a string of {size} characters exceeds the limit of {self.limits.max_string}"
            )
