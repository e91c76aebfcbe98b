"""Everything with side effects: service-task implementations, definition loading,
read-model projection. ``build_activities`` lists what a worker registers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.builtin import BUILTIN_ACTIVITIES
from activities.infrastructure import InfrastructureActivities
from store import Store


def build_activities(store: Store) -> list[Callable[..., Any]]:
    """All activities a Baton worker serves, bound to ``store``."""
    infra = InfrastructureActivities(store)
    return [infra.load_definition, infra.resolve_definition, infra.project, *BUILTIN_ACTIVITIES]


__all__ = ["BUILTIN_ACTIVITIES", "InfrastructureActivities", "build_activities"]
