"""Objects a Camunda expression can reach besides process variables.

Camunda resolves ``execution`` and ``task`` to live engine objects with hundreds of
methods. Here they are small dataclasses holding plain data; the evaluator exposes only
the properties and methods listed for them in :mod:`.methods`, never arbitrary Python
attributes.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExecutionContext:
    """What ``${execution...}`` sees: ``execution.getVariable('x')``,
    ``execution.processBusinessKey``, ``execution.getProcessBusinessKey()``...

    ``variables`` is None when the execution should see the variables the expression is
    evaluated with (the usual case); give a mapping to make it see other ones.
    """

    business_key: str | None = None
    process_instance_id: str | None = None
    current_activity_id: str | None = None
    current_activity_name: str | None = None
    execution_id: str | None = None
    process_definition_id: str | None = None
    variables: Mapping[str, Any] | None = field(default=None, compare=False)

    def juel_string(self) -> str:
        return f"Execution[{self.execution_id or self.process_instance_id or ''}]"


@dataclass(frozen=True)
class TaskContext:
    """What ``${task...}`` sees in task listeners and user-task attributes."""

    id: str | None = None
    name: str | None = None
    assignee: str | None = None
    owner: str | None = None
    description: str | None = None
    task_definition_key: str | None = None
    priority: int = 50
    process_instance_id: str | None = None
    variables: Mapping[str, Any] | None = field(default=None, compare=False)

    def juel_string(self) -> str:
        return f"Task[{self.id or ''}]"


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    """Joda's ``plusMonths``: the day of month is clamped to the target month's length."""
    total = value.year * 12 + (value.month - 1) + months
    year, month0 = divmod(total, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("year out of range")
    day = min(value.day, calendar.monthrange(year, month0 + 1)[1])
    return value.replace(year=year, month=month0 + 1, day=day)


@dataclass(frozen=True)
class JuelDateTime:
    """The Joda ``DateTime`` Camunda's ``dateTime()`` returns, as used in due dates:
    ``${dateTime().plusWeeks(1).toDate()}``. Immutable like Joda's."""

    value: dt.datetime

    def plus(self, unit: str, amount: int) -> JuelDateTime:
        if unit == "years":
            return JuelDateTime(_add_months(self.value, amount * 12))
        if unit == "months":
            return JuelDateTime(_add_months(self.value, amount))
        deltas = {
            "weeks": dt.timedelta(weeks=1),
            "days": dt.timedelta(days=1),
            "hours": dt.timedelta(hours=1),
            "minutes": dt.timedelta(minutes=1),
            "seconds": dt.timedelta(seconds=1),
            "millis": dt.timedelta(milliseconds=1),
        }
        return JuelDateTime(self.value + deltas[unit] * amount)

    def juel_string(self) -> str:
        """Joda's ISO form, with milliseconds: ``2024-05-01T10:00:00.000+02:00``."""
        return self.value.isoformat(timespec="milliseconds")
