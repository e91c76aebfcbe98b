"""FEEL built-ins that build or inspect dates, times and durations (DMN 1.4 §10.3.4.1, .7).

Parameter names are the spec's, since callers may pass them by name. Anything that does
not fit a signature evaluates to null (the registry turns TypeError/ValueError into null).
The clock is never read: ``now()``/``today()`` answer from the injected ``env.now``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from expressions.feel import temporal
from expressions.feel.functions import CallEnv, builtin
from expressions.feel.temporal import DayTimeDuration, YearMonthDuration
from expressions.feel.values import equals, type_name

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _whole(value: Any) -> int:
    """A FEEL number that must be an integer (date and time fields)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError("expected a number")
    if value != value.to_integral_value():
        raise ValueError("expected a whole number")
    return int(value)


def _a_date(value: Any) -> dt.date:
    """The date/date-time argument of the calendar functions (others are an error)."""
    if not isinstance(value, dt.date):
        raise TypeError("expected a date or date and time")
    return value


# ------------------------------------------------------------------ conversion


@builtin("date", "from")
def date_from(from_: Any) -> dt.date | None:
    """``date("2019-03-31")``, or the date part of a date-time."""
    if isinstance(from_, str):
        return temporal.parse_date(from_)
    if isinstance(from_, dt.date):
        return temporal.date_of(from_)
    return None


@builtin("date", "year", "month", "day")
def date_from_parts(year: Any, month: Any, day: Any) -> dt.date | None:
    return temporal.make_date(_whole(year), _whole(month), _whole(day))


@builtin("time", "from")
def time_from(from_: Any) -> dt.time | None:
    """``time("10:30:00@Europe/Paris")``, the time of a date-time (with its zone), or
    the midnight UTC of a date (as the TCK expects: ``time(date("2017-08-10"))`` is
    ``00:00:00Z``)."""
    if isinstance(from_, str):
        return temporal.parse_time(from_)
    if isinstance(from_, dt.datetime):
        return temporal.time_of(from_)
    if isinstance(from_, dt.date):
        return dt.time(0, 0, 0, tzinfo=dt.UTC)
    if isinstance(from_, dt.time):
        return from_
    return None


@builtin("time", "hour", "minute", "second", "offset?")
def time_from_parts(hour: Any, minute: Any, second: Any, offset: Any = None) -> dt.time | None:
    """``time(11, 59, 45, duration("PT2H"))``; a null offset gives a time without zone."""
    if not isinstance(second, Decimal):
        return None
    offset_seconds: int | None = None
    if offset is not None:
        if not isinstance(offset, DayTimeDuration):
            return None
        offset_seconds = _whole(offset.seconds)
    return temporal.make_time(_whole(hour), _whole(minute), second, offset_seconds)


@builtin("date and time", "from")
def date_and_time_from(from_: Any) -> dt.datetime | None:
    """``date and time("2012-12-24T23:59:00")`` (a bare date string means its midnight)."""
    if isinstance(from_, str):
        return temporal.parse_date_and_time(from_)
    if isinstance(from_, dt.datetime):
        return from_
    if isinstance(from_, dt.date):
        return temporal.combine(from_, dt.time(0, 0))
    return None


@builtin("date and time", "date", "time")
def date_and_time_from_parts(date: Any, time: Any) -> dt.datetime | None:
    """The day of ``date`` (a date or date-time) at the clock and zone of ``time``."""
    if not isinstance(date, dt.date) or not isinstance(time, dt.time):
        return None
    return temporal.combine(date, time)


@builtin("duration", "from")
def duration_from(from_: Any) -> DayTimeDuration | YearMonthDuration | None:
    if not isinstance(from_, str):
        return None
    return temporal.parse_duration(from_)


@builtin("years and months duration", "from", "to")
def years_and_months_duration(from_: Any, to: Any) -> YearMonthDuration | None:
    """Whole months between two dates/date-times, by calendar date."""
    return YearMonthDuration(temporal.months_between(_a_date(from_), _a_date(to)))


# ----------------------------------------------------------------------- clock


@builtin("now")
def now(*, env: CallEnv) -> dt.datetime | None:
    """The injected evaluation instant (deterministic replay: never the real clock)."""
    if env.now is None:
        return None
    moment = env.now
    if moment.tzinfo is None or isinstance(moment.tzinfo, dt.timezone | ZoneInfo):
        return moment
    # some other tzinfo implementation: keep the instant, as a plain offset
    offset = moment.utcoffset()
    return moment.replace(tzinfo=dt.timezone(offset) if offset is not None else None)


@builtin("today")
def today(*, env: CallEnv) -> dt.date | None:
    """The calendar date of the injected instant, in the instant's own zone."""
    if env.now is None:
        return None
    return dt.date(env.now.year, env.now.month, env.now.day)


# ------------------------------------------------------------ calendar queries


@builtin("day of year", "date")
def day_of_year(date: Any) -> Decimal:
    return Decimal(temporal.day_of_year(_a_date(date)))


@builtin("day of week", "date")
def day_of_week(date: Any) -> str:
    return _DAY_NAMES[temporal.weekday(_a_date(date)) - 1]


@builtin("month of year", "date")
def month_of_year(date: Any) -> str:
    return _MONTH_NAMES[_a_date(date).month - 1]


@builtin("week of year", "date")
def week_of_year(date: Any) -> Decimal:
    """ISO 8601 week number (weeks start on Monday; week 1 holds the first Thursday)."""
    return Decimal(temporal.iso_week(_a_date(date)))


# ------------------------------------------------------------------ identity


@builtin("is", "value1?", "value2?")
def is_(value1: Any = None, value2: Any = None) -> bool:
    """Same type and same value; for times and date-times also the same zone identity
    (``@Europe/Paris`` is not ``+01:00``, ``Z`` is ``+00:00``). A missing argument is
    null, so ``is(value1: x)`` is false rather than an error, as the TCK expects."""
    if temporal.is_temporal(value1) or temporal.is_temporal(value2):
        return temporal.is_same(value1, value2)
    if type_name(value1) != type_name(value2):
        return False
    return equals(value1, value2) is True
