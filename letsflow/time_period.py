"""Time periods (``after``): ``"5 days"``, ``"1m"`` or a number of seconds.

Normalization stores seconds so the engine can start a timer without parsing text again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from letsflow.errors import PathPart, ScenarioError

_PERIOD = re.compile(r"\s*(\d+)\s*(\w*)\s*", re.ASCII)
_UNIT_SECONDS = {
    **dict.fromkeys(("", "s", "second", "seconds"), 1),
    **dict.fromkeys(("m", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 604800),
}


def to_seconds(period: Any, path: Sequence[PathPart] = ()) -> int:
    """Seconds in ``period``; a non-negative whole number is taken as seconds already.

    Units are case-insensitive and may be singular, plural or abbreviated (s/m/h/d/w);
    anything else (fractions, negative numbers, months) is a :class:`ScenarioError`.
    """
    if isinstance(period, bool):
        raise ScenarioError("a time period is a number of seconds or text like '5 days'", path)
    if isinstance(period, float) and period.is_integer():
        period = int(period)
    if isinstance(period, int):
        if period < 0:
            raise ScenarioError(f"a time period cannot be negative: {period}", path)
        return period
    if not isinstance(period, str):
        raise ScenarioError("a time period is a number of seconds or text like '5 days'", path)
    match = _PERIOD.fullmatch(period)
    if not match:
        raise ScenarioError(f"invalid time period {period!r}", path)
    unit = match.group(2).lower()
    if unit not in _UNIT_SECONDS:
        raise ScenarioError(f"invalid time period unit {match.group(2)!r} in {period!r}", path)
    return int(match.group(1)) * _UNIT_SECONDS[unit]
