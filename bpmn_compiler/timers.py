"""ISO-8601 timer values as BPMN engines accept them: dates, durations, repeating cycles,
and (Zeebe) cron expressions. Pure and deterministic: the interpreter uses it too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_CRON_FIELD = re.compile(r"^[\d*/,\-?LW#A-Za-z]+$")


class TimerValueError(ValueError):
    """The text is not a valid timer value of the expected kind."""


@dataclass(frozen=True)
class Duration:
    """A calendar-aware duration: months and years cannot become fixed seconds."""

    years: float = 0
    months: float = 0
    delta: timedelta = timedelta()

    def add_to(self, moment: datetime) -> datetime:
        month_index = moment.month - 1 + int(self.months) + int(self.years) * 12
        year = moment.year + month_index // 12
        month = month_index % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        return moment.replace(year=year, month=month, day=day) + self.delta


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


def parse_duration(text: str) -> Duration:
    match = _DURATION.match(text.strip())
    if not match:
        raise TimerValueError(f"{text!r} is not an ISO-8601 duration such as PT5M or P1DT2H")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v}
    return Duration(
        years=parts.get("years", 0),
        months=parts.get("months", 0),
        delta=timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        ),
    )


def parse_date(text: str) -> datetime:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise TimerValueError(f"{text!r} is not an ISO-8601 date-time") from exc


@dataclass(frozen=True)
class Cycle:
    """``R<n>/[start/]<duration>`` (n None = forever) or a cron expression."""

    repetitions: int | None
    interval: Duration | None
    start: datetime | None = None
    cron: str | None = None


def parse_cycle(text: str) -> Cycle:
    value = text.strip()
    if value.startswith("R"):
        parts = value.split("/")
        count = parts[0][1:]
        if count and not (count.isascii() and count.isdecimal()):
            raise TimerValueError(f"{text!r}: repetitions must be a number (R3/PT10M)")
        repetitions = int(count) if count else None
        if len(parts) == 2:
            return Cycle(repetitions, parse_duration(parts[1]))
        if len(parts) == 3:
            if parts[1].startswith("P"):
                return Cycle(repetitions, parse_duration(parts[1]), start=None)
            return Cycle(repetitions, parse_duration(parts[2]), start=parse_date(parts[1]))
        raise TimerValueError(f"{text!r} is not a repeating interval such as R3/PT10M")
    fields = value.split()
    if 5 <= len(fields) <= 7 and all(_CRON_FIELD.match(f) for f in fields):
        return Cycle(None, None, cron=value)
    raise TimerValueError(f"{text!r} is neither a repeating interval (R3/PT10M) nor cron")


def validate(kind: str, text: str) -> None:
    """Raise :class:`TimerValueError` if ``text`` is not a valid ``kind`` timer value."""
    try:
        _validate(kind, text)
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, TimerValueError):
            raise
        raise TimerValueError(f"{text!r} is out of range: {exc}") from exc


def _validate(kind: str, text: str) -> None:
    if kind == "date":
        parse_date(text)
    elif kind == "duration":
        parse_duration(text)
    else:
        parse_cycle(text)
