"""FEEL dates, times, date-times and durations: parsing, arithmetic, comparison, properties.

Representation (see values.py): ``datetime.date``, ``datetime.time`` (tzinfo None, a
``datetime.timezone`` offset or a ``zoneinfo.ZoneInfo``), ``datetime.datetime`` (naive or
aware), :class:`DayTimeDuration` and :class:`YearMonthDuration`.

Every function returns ``None`` when the operation does not apply (FEEL null).

Two things FEEL needs that Python's types cannot hold are carried by private subclasses
(still ``isinstance`` of the stdlib types, so the rest of the engine needs no special case):

* **years outside 1..9999.** FEEL (like ``java.time``) allows -999,999,999..999,999,999.
  The Gregorian calendar repeats exactly every 400 years (146,097 days = 20,871 weeks), so
  such a date is stored as a Python date shifted by whole 400-year cycles; month, day,
  weekday, day of year and ISO week of the stored date are those of the real one and only
  ``year`` is corrected. Negative years are shifted into years 2..401, where every zone
  uses its first (local mean time) offset, as ``java.time`` does for the distant past.
* **nanoseconds.** The lexical forms carry up to nine fractional digits; digits beyond the
  ninth are truncated (documented loss). The sub-microsecond part rides on the subclass.

Python's own operators on those subclasses would see the shifted/truncated value, so use
this module (and ``values.equals``/``values.compare``) for anything temporal; the
subclasses override ``==``, ``<``... to delegate here.

Time zones: a zone id (``@Europe/Paris``) is a ``ZoneInfo``, an offset (``+02:00``, ``Z``)
is a ``datetime.timezone``; the string form and ``is()`` keep them apart, equality compares
instants. A time with a zone id has no date to pick an offset from; when one is needed
(``time offset``, comparing with another zone) the XSD reference date 1972-12-31 is used.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from expressions.feel.values import DECIMAL


@dataclass(frozen=True)
class DayTimeDuration:
    """``P1DT2H3M4.5S``: a signed, exact number of seconds."""

    seconds: Decimal


@dataclass(frozen=True)
class YearMonthDuration:
    """``P1Y2M``: a signed number of months."""

    months: int


# ------------------------------------------------------------------ constants

_NS = 10**9
_DAY_S = 86_400
_DAY_NS = _DAY_S * _NS
_CYCLE_DAYS = 146_097  # days in 400 Gregorian years
_CYCLE_YEARS = 400
_MAX_ORD = dt.date.max.toordinal()
_MAX_YEAR = 999_999_999  # java.time's range, which the TCK follows
_MAX_OFFSET_S = 18 * 3600
_REF_DATE = dt.date(1972, 12, 31)  # XSD's reference date for times
_UTC = dt.UTC
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# ---------------------------------------------------- extended-value subclasses


class _FeelOrdered:
    """Python comparison operators that follow FEEL semantics (see module docstring)."""

    def __eq__(self, other: object) -> bool:
        if not is_temporal(other):
            return NotImplemented
        return equals(self, other) is True

    def __ne__(self, other: object) -> bool:
        if not is_temporal(other):
            return NotImplemented
        return equals(self, other) is not True

    def _order(self, other: object) -> int:
        result = compare(self, other) if is_temporal(other) else None
        if result is None:
            raise TypeError("these temporal values are not ordered")
        return result

    def __lt__(self, other: object) -> bool:
        return self._order(other) < 0

    def __le__(self, other: object) -> bool:
        return self._order(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._order(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._order(other) >= 0


class _ExtDate(_FeelOrdered, dt.date):
    """A date whose year is outside 1..9999, stored shifted by ``cycles`` * 400 years."""

    cycles: int

    def __new__(cls, base: dt.date, cycles: int) -> _ExtDate:
        self = dt.date.__new__(cls, base.year, base.month, base.day)
        self.cycles = cycles
        return self

    @property
    def year(self) -> int:
        return super().year + _CYCLE_YEARS * self.cycles

    def __hash__(self) -> int:
        return hash((dt.date.toordinal(self), self.cycles))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ExtDate, (dt.date.fromordinal(dt.date.toordinal(self)), self.cycles))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()

    def __repr__(self) -> str:
        return f"feel.date({to_string(self)!r})"

    def __str__(self) -> str:
        return to_string(self) or ""


class _ExtDateTime(_FeelOrdered, dt.datetime):
    """A date-time with a year outside 1..9999 and/or a sub-microsecond part."""

    cycles: int
    nanos: int

    def __new__(cls, base: dt.datetime, cycles: int, nanos: int) -> _ExtDateTime:
        self = dt.datetime.__new__(
            cls,
            base.year,
            base.month,
            base.day,
            base.hour,
            base.minute,
            base.second,
            base.microsecond,
            base.tzinfo,
            fold=base.fold,
        )
        self.cycles = cycles
        self.nanos = nanos
        return self

    @property
    def year(self) -> int:
        return super().year + _CYCLE_YEARS * self.cycles

    def _base(self) -> dt.datetime:
        return dt.datetime.combine(
            dt.date.fromordinal(dt.date.toordinal(self)), dt.datetime.timetz(self)
        )

    def __hash__(self) -> int:
        return hash((hash(self._base()), self.cycles, self.nanos))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ExtDateTime, (self._base(), self.cycles, self.nanos))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()

    def __repr__(self) -> str:
        return f"feel.date_and_time({to_string(self)!r})"

    def __str__(self) -> str:
        return to_string(self) or ""


class _NanoTime(_FeelOrdered, dt.time):
    """A time with a sub-microsecond part (``nanos``, 0..999)."""

    nanos: int

    def __new__(cls, base: dt.time, nanos: int) -> _NanoTime:
        self = dt.time.__new__(
            cls, base.hour, base.minute, base.second, base.microsecond, base.tzinfo
        )
        self.nanos = nanos
        return self

    def __hash__(self) -> int:
        plain = dt.time(self.hour, self.minute, self.second, self.microsecond, self.tzinfo)
        return hash((hash(plain), self.nanos))

    def __reduce__(self) -> tuple[Any, ...]:
        plain = dt.time(self.hour, self.minute, self.second, self.microsecond, self.tzinfo)
        return (_NanoTime, (plain, self.nanos))

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return self.__reduce__()

    def __repr__(self) -> str:
        return f"feel.time({to_string(self)!r})"

    def __str__(self) -> str:
        return to_string(self) or ""


# ---------------------------------------------------------- low-level helpers


def _cycles(value: dt.date) -> int:
    return value.cycles if isinstance(value, _ExtDate | _ExtDateTime) else 0


def _nanos(value: dt.time | dt.datetime) -> int:
    return value.nanos if isinstance(value, _NanoTime | _ExtDateTime) else 0


def _days(value: dt.date) -> int:
    """Day number of the (local) date: Python's proleptic ordinal, extended to any year."""
    return dt.date.toordinal(value) + _CYCLE_DAYS * _cycles(value)


def _tod_ns(value: dt.time | dt.datetime) -> int:
    """Nanoseconds since local midnight."""
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return seconds * _NS + value.microsecond * 1000 + _nanos(value)


def _split_days(days: int) -> tuple[int, int]:
    """(ordinal inside Python's range, number of 400-year cycles it is shifted by)."""
    if 1 <= days <= _MAX_ORD:
        return days, 0
    if days < 1:
        cycles = (days - 1) // _CYCLE_DAYS
        base = days - cycles * _CYCLE_DAYS
        if base < 400:  # keep clear of year 1 so zone conversions cannot underflow
            base += _CYCLE_DAYS
            cycles -= 1
    else:
        cycles = -((_MAX_ORD - days) // _CYCLE_DAYS)
        base = days - cycles * _CYCLE_DAYS
        if base > _MAX_ORD - 400:
            base -= _CYCLE_DAYS
            cycles += 1
    return base, cycles


def _check_year(year: int) -> None:
    if not -_MAX_YEAR <= year <= _MAX_YEAR:
        raise OverflowError(f"year {year} is out of the FEEL range")


def _date_from_days(days: int) -> dt.date:
    base_ord, cycles = _split_days(days)
    base = dt.date.fromordinal(base_ord)
    if cycles == 0:
        return base
    _check_year(base.year + _CYCLE_YEARS * cycles)
    return _ExtDate(base, cycles)


def _split_tod(ns: int) -> tuple[int, int, int, int, int]:
    """(hour, minute, second, microsecond, nanos) of a time of day in nanoseconds."""
    seconds, sub = divmod(ns, _NS)
    micro, nanos = divmod(sub, 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs, micro, nanos


def _make_time(ns: int, tz: dt.tzinfo | None) -> dt.time:
    hour, minute, second, micro, nanos = _split_tod(ns % _DAY_NS)
    base = dt.time(hour, minute, second, micro, tzinfo=tz)
    return _NanoTime(base, nanos) if nanos else base


def _make_datetime(days: int, ns: int, tz: dt.tzinfo | None) -> dt.datetime:
    """The local date-time ``days`` + ``ns`` (ns may exceed a day) in zone ``tz``."""
    carry, ns = divmod(ns, _DAY_NS)
    base_ord, cycles = _split_days(days + carry)
    day = dt.date.fromordinal(base_ord)
    hour, minute, second, micro, nanos = _split_tod(ns)
    base = dt.datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=tz)
    if cycles == 0 and nanos == 0:
        return base
    _check_year(day.year + _CYCLE_YEARS * cycles)
    return _ExtDateTime(base, cycles, nanos)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    return 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]


def _days_from_ymd(year: int, month: int, day: int) -> int | None:
    """Day number of a calendar date in any FEEL year, or None when it does not exist."""
    if not -_MAX_YEAR <= year <= _MAX_YEAR or not 1 <= month <= 12:
        return None
    if not 1 <= day <= _days_in_month(year, month):
        return None
    cycles = (year - 2000) // _CYCLE_YEARS
    return dt.date(year - cycles * _CYCLE_YEARS, month, day).toordinal() + cycles * _CYCLE_DAYS


def _offset_tz(seconds: int) -> dt.timezone:
    return _UTC if seconds == 0 else dt.timezone(dt.timedelta(seconds=seconds))


def _offset_s(value: dt.time | dt.datetime) -> int | None:
    """The UTC offset in seconds (None when the value has no zone)."""
    tz = value.tzinfo
    if tz is None:
        return None
    if isinstance(value, dt.datetime):
        delta = dt.datetime.utcoffset(value)
    elif isinstance(tz, zoneinfo.ZoneInfo):
        ref = dt.datetime.combine(_REF_DATE, dt.time(value.hour, value.minute, value.second))
        delta = tz.utcoffset(ref)
    else:
        delta = tz.utcoffset(None)
    return None if delta is None else int(delta.total_seconds())


def _zone_key(value: dt.time | dt.datetime) -> str | None:
    tz = value.tzinfo
    return tz.key if isinstance(tz, zoneinfo.ZoneInfo) else None


def _dt_key(value: dt.datetime) -> tuple[bool, int]:
    """(aware, nanoseconds): UTC instant for aware values, local time for naive ones."""
    total = _days(value) * _DAY_NS + _tod_ns(value)
    offset = _offset_s(value)
    if offset is None:
        return False, total
    return True, total - offset * _NS


def _from_utc(total_ns: int, zone: dt.tzinfo) -> dt.datetime:
    """The instant ``total_ns`` (UTC nanoseconds since day 0) seen in ``zone``."""
    days, ns = divmod(total_ns, _DAY_NS)
    base_ord, cycles = _split_days(days)
    day = dt.date.fromordinal(base_ord)
    hour, minute, second, micro, nanos = _split_tod(ns)
    utc = dt.datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=_UTC)
    local = utc.astimezone(zone)
    local_days = local.toordinal() + cycles * _CYCLE_DAYS
    return _make_datetime(local_days, _tod_ns(local) + nanos, zone)


def _midnight_utc(value: dt.date) -> dt.datetime:
    """How FEEL mixes a date into date-time arithmetic/comparison: 00:00:00 UTC."""
    return _make_datetime(_days(value), 0, _UTC)


def _as_datetime(value: dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else _midnight_utc(value)


def _ns_of(duration: DayTimeDuration) -> int:
    """The duration in whole nanoseconds (rounded half-even below a nanosecond)."""
    scaled = DECIMAL.multiply(duration.seconds, Decimal(_NS))
    return int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN))


def _clean(value: Decimal) -> Decimal:
    """Drop trailing zeros (and the sign of zero) so results print and hash plainly."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize(DECIMAL)


def _dtd_from_ns(ns: int) -> DayTimeDuration:
    if ns % _NS == 0:
        return DayTimeDuration(Decimal(ns // _NS))
    return DayTimeDuration(_clean(Decimal(ns).scaleb(-9, DECIMAL)))


def kind_name(value: Any) -> str | None:
    """The FEEL type name of a temporal value, or None for anything else."""
    return _kind(value)


def _kind(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, DayTimeDuration):
        return "days and time duration"
    if isinstance(value, YearMonthDuration):
        return "years and months duration"
    return None


def _cmp(a: int | Decimal, b: int | Decimal) -> int:
    return (a > b) - (a < b)


# -------------------------------------------------------- public value helpers


def is_temporal(value: Any) -> bool:
    return isinstance(value, dt.date | dt.time | DayTimeDuration | YearMonthDuration)


def date_of(value: dt.date) -> dt.date:
    """The (local) calendar date of a date or date-time, keeping extended years."""
    if not isinstance(value, dt.datetime):
        return value
    return _date_from_days(_days(value))


def time_of(value: dt.datetime) -> dt.time:
    """The local time of day of a date-time, with its zone or offset."""
    return _make_time(_tod_ns(value), value.tzinfo)


def combine(day: dt.date, time: dt.time) -> dt.datetime:
    """``date and time(date, time)``: the date's day, the time's clock and zone."""
    return _make_datetime(_days(day), _tod_ns(time), time.tzinfo)


def make_date(year: int, month: int, day: int) -> dt.date | None:
    """A date in any FEEL year (-999,999,999..999,999,999), or None if it does not exist."""
    days = _days_from_ymd(year, month, day)
    return None if days is None else _date_from_days(days)


def make_time(
    hour: int, minute: int, second: Decimal, offset_seconds: int | None
) -> dt.time | None:
    """``time(hour, minute, second, offset)``; None when a field is out of range."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second < 60):
        return None
    if offset_seconds is not None and abs(offset_seconds) > _MAX_OFFSET_S:
        return None
    ns = int(DECIMAL.multiply(second, Decimal(_NS)).to_integral_value(rounding=ROUND_DOWN))
    tz = None if offset_seconds is None else _offset_tz(offset_seconds)
    return _make_time((hour * 60 + minute) * 60 * _NS + ns, tz)


def weekday(value: dt.date) -> int:
    """ISO day of week, 1 = Monday .. 7 = Sunday (valid for every FEEL year)."""
    return (_days(value) - 1) % 7 + 1


def day_of_year(value: dt.date) -> int:
    # the 400-year shift keeps the day of year, so the stored date answers correctly
    return dt.date.timetuple(value).tm_yday


def iso_week(value: dt.date) -> int:
    return dt.date.isocalendar(value)[1]


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` by calendar date (time of day ignored),
    truncated toward zero, as ``years and months duration`` is defined."""
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    day_delta = end.day - start.day
    if months > 0 and day_delta < 0:
        months -= 1
    elif months < 0 and day_delta > 0:
        months += 1
    return months


# ----------------------------------------------------- equality and ordering


def equals(a: Any, b: Any) -> bool | None:
    """FEEL ``=`` on two temporal values; None when they are not comparable.

    Date-times compare as instants when both have a zone, as local times when neither
    has; one of each is not comparable (null), as with subtraction in the TCK. A date
    mixed with a date-time stands for 00:00:00 UTC of that day. Durations are equal
    only to durations of the same kind.
    """
    ka, kb = _kind(a), _kind(b)
    if ka is None or kb is None:
        return None
    if ka == kb == "days and time duration":
        return bool(a.seconds == b.seconds)
    if ka == kb == "years and months duration":
        return bool(a.months == b.months)
    order = compare(a, b)
    return None if order is None else order == 0


def compare(a: Any, b: Any) -> int | None:
    """-1/0/1 for two temporal values of comparable kinds, else None."""
    ka, kb = _kind(a), _kind(b)
    if ka is None or kb is None:
        return None
    if ka == kb == "date":
        return _cmp(_days(a), _days(b))
    if ka in ("date", "date and time") and kb in ("date", "date and time"):
        aware_a, key_a = _dt_key(_as_datetime(a))
        aware_b, key_b = _dt_key(_as_datetime(b))
        return _cmp(key_a, key_b) if aware_a == aware_b else None
    if ka == kb == "time":
        delta = _time_delta(a, b)
        return None if delta is None else _cmp(delta, 0)
    if ka == kb == "days and time duration":
        return _cmp(a.seconds, b.seconds)
    if ka == kb == "years and months duration":
        return _cmp(a.months, b.months)
    return None


def is_same(a: Any, b: Any) -> bool:
    """FEEL ``is()``: same kind, same fields and the same zone identity (offset vs id)."""
    ka, kb = _kind(a), _kind(b)
    if ka is None or ka != kb:
        return False
    if ka in ("days and time duration", "years and months duration"):
        return equals(a, b) is True
    if ka == "date":
        return _days(a) == _days(b)
    if ka == "date and time" and _days(a) != _days(b):
        return False
    if _tod_ns(a) != _tod_ns(b):
        return False
    zone_a, zone_b = _zone_key(a), _zone_key(b)
    if zone_a is not None or zone_b is not None:
        return zone_a == zone_b
    return _offset_s(a) == _offset_s(b)


def _time_delta(a: dt.time, b: dt.time) -> int | None:
    """a - b in nanoseconds; None when only one of them has a zone."""
    if (a.tzinfo is None) != (b.tzinfo is None):
        return None
    delta = _tod_ns(a) - _tod_ns(b)
    zone_a, zone_b = _zone_key(a), _zone_key(b)
    if a.tzinfo is None or (zone_a is not None and zone_a == zone_b):
        return delta
    off_a, off_b = _offset_s(a), _offset_s(b)
    if off_a is None or off_b is None:
        return None
    return delta - (off_a - off_b) * _NS


# ------------------------------------------------------------------ arithmetic


def add(a: Any, b: Any) -> Any:
    """``a + b`` for temporal operands (either order for value + duration)."""
    try:
        if isinstance(a, DayTimeDuration) and isinstance(b, DayTimeDuration):
            return DayTimeDuration(_clean(DECIMAL.add(a.seconds, b.seconds)))
        if isinstance(a, YearMonthDuration) and isinstance(b, YearMonthDuration):
            return YearMonthDuration(a.months + b.months)
        if isinstance(a, DayTimeDuration | YearMonthDuration):
            a, b = b, a
        if isinstance(b, DayTimeDuration | YearMonthDuration):
            return _shift(a, b, 1)
    except (OverflowError, ValueError):
        return None
    return None


def subtract(a: Any, b: Any) -> Any:
    """``a - b``: durations, value - duration, and the distance between two values."""
    try:
        if isinstance(a, DayTimeDuration) and isinstance(b, DayTimeDuration):
            return DayTimeDuration(_clean(DECIMAL.subtract(a.seconds, b.seconds)))
        if isinstance(a, YearMonthDuration) and isinstance(b, YearMonthDuration):
            return YearMonthDuration(a.months - b.months)
        if isinstance(b, DayTimeDuration | YearMonthDuration):
            return _shift(a, b, -1)
        ka, kb = _kind(a), _kind(b)
        if ka == kb == "date":
            return DayTimeDuration(Decimal((_days(a) - _days(b)) * _DAY_S))
        if ka in ("date", "date and time") and kb in ("date", "date and time"):
            aware_a, key_a = _dt_key(_as_datetime(a))
            aware_b, key_b = _dt_key(_as_datetime(b))
            return _dtd_from_ns(key_a - key_b) if aware_a == aware_b else None
        if ka == kb == "time":
            delta = _time_delta(a, b)
            return None if delta is None else _dtd_from_ns(delta)
    except (OverflowError, ValueError):
        return None
    return None


def _shift(value: Any, duration: DayTimeDuration | YearMonthDuration, sign: int) -> Any:
    """``value`` moved by ``sign`` * ``duration`` (dates, times and date-times)."""
    if isinstance(duration, YearMonthDuration):
        if not isinstance(value, dt.date):
            return None  # a time has no calendar to move in
        months = value.year * 12 + value.month - 1 + sign * duration.months
        year, month = divmod(months, 12)
        month += 1
        day = min(value.day, _days_in_month(year, month))
        days = _days_from_ymd(year, month, day)
        if days is None:
            raise OverflowError("year out of range")
        if isinstance(value, dt.datetime):
            return _make_datetime(days, _tod_ns(value), value.tzinfo)
        return _date_from_days(days)
    ns = sign * _ns_of(duration)
    if isinstance(value, dt.datetime):
        if isinstance(value.tzinfo, zoneinfo.ZoneInfo):
            # a zone id: move the instant, then read the wall clock of the new instant
            return _from_utc(_dt_key(value)[1] + ns, value.tzinfo)
        return _make_datetime(_days(value), _tod_ns(value) + ns, value.tzinfo)
    if isinstance(value, dt.date):
        # the date stands for its midnight; the result is the day the moved instant is in
        return _date_from_days(_days(value) + ns // _DAY_NS)
    if isinstance(value, dt.time):
        return _make_time(_tod_ns(value) + ns, value.tzinfo)
    return None


def multiply(a: Any, b: Any) -> Any:
    """duration * number or number * duration (years and months truncate toward 0)."""
    if isinstance(a, Decimal) and not isinstance(b, Decimal):
        a, b = b, a
    if not isinstance(b, Decimal) or isinstance(b, bool):
        return None
    if isinstance(a, DayTimeDuration):
        return DayTimeDuration(_clean(DECIMAL.multiply(a.seconds, b)))
    if isinstance(a, YearMonthDuration):
        product = DECIMAL.multiply(Decimal(a.months), b)
        return YearMonthDuration(int(product.to_integral_value(rounding=ROUND_DOWN)))
    return None


def divide(a: Any, b: Any) -> Any:
    """duration / number (a duration) and duration / duration of one kind (a number)."""
    if isinstance(a, DayTimeDuration):
        if isinstance(b, Decimal):
            return None if b == 0 else DayTimeDuration(_clean(DECIMAL.divide(a.seconds, b)))
        if isinstance(b, DayTimeDuration):
            return None if b.seconds == 0 else DECIMAL.divide(a.seconds, b.seconds)
        return None
    if isinstance(a, YearMonthDuration):
        if isinstance(b, Decimal):
            if b == 0:
                return None
            quotient = DECIMAL.divide(Decimal(a.months), b)
            return YearMonthDuration(int(quotient.to_integral_value(rounding=ROUND_DOWN)))
        if isinstance(b, YearMonthDuration):
            if b.months == 0:
                return None
            return DECIMAL.divide(Decimal(a.months), Decimal(b.months))
    return None


def negate(a: Any) -> Any:
    """Unary minus: durations only."""
    if isinstance(a, DayTimeDuration):
        return DayTimeDuration(-a.seconds if a.seconds else Decimal(0))
    if isinstance(a, YearMonthDuration):
        return YearMonthDuration(-a.months)
    return None


# ------------------------------------------------------------------ properties


def property_of(value: Any, name: str) -> Any:
    """``value.name`` for the spec's temporal properties; None for anything else.

    ``second``/``seconds`` are whole numbers (the fraction is dropped, as java.time's
    getters do); duration parts carry the duration's sign.
    """
    if isinstance(value, dt.date):
        if name == "year":
            return Decimal(value.year)
        if name == "month":
            return Decimal(value.month)
        if name == "day":
            return Decimal(value.day)
        if name == "weekday":
            return Decimal(weekday(value))
        if not isinstance(value, dt.datetime):
            return None
    if isinstance(value, dt.time | dt.datetime):
        if name == "hour":
            return Decimal(value.hour)
        if name == "minute":
            return Decimal(value.minute)
        if name == "second":
            return Decimal(value.second)
        if name == "time offset":
            offset = _offset_s(value)
            return None if offset is None else DayTimeDuration(Decimal(offset))
        if name == "timezone":
            return _zone_key(value)
        return None
    if isinstance(value, DayTimeDuration):
        sign = -1 if value.seconds < 0 else 1
        whole = int(abs(value.seconds))
        parts = {
            "days": whole // _DAY_S,
            "hours": whole // 3600 % 24,
            "minutes": whole // 60 % 60,
            "seconds": whole % 60,
        }
        return Decimal(sign * parts[name]) if name in parts else None
    if isinstance(value, YearMonthDuration):
        sign = -1 if value.months < 0 else 1
        if name == "years":
            return Decimal(sign * (abs(value.months) // 12))
        if name == "months":
            return Decimal(sign * (abs(value.months) % 12))
    return None


# --------------------------------------------------------------------- parsing

_DATE = r"(-?)(\d{4,9})-(\d\d)-(\d\d)"
_TIME = r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
_ZONE = r"(Z|[+-]\d\d:\d\d(?::\d\d)?|@[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)?"
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME + _ZONE)
_DATETIME_RE = re.compile(_DATE + "T" + _TIME + _ZONE)
_DURATION_RE = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d*))?S)?)?"
)


def _zone(text: str | None) -> dt.tzinfo | None:
    """tzinfo for ``Z``/offset/``@id``; None when absent; ValueError when invalid."""
    if text is None:
        return None
    if text == "Z":
        return _UTC
    if text.startswith("@"):
        try:
            return zoneinfo.ZoneInfo(text[1:])
        except (zoneinfo.ZoneInfoNotFoundError, OSError) as exc:
            raise ValueError(f"unknown time zone {text[1:]!r}") from exc
    hours, minutes = int(text[1:3]), int(text[4:6])
    seconds = int(text[7:9]) if len(text) > 6 else 0
    total = (hours * 60 + minutes) * 60 + seconds
    if minutes > 59 or seconds > 59 or total > _MAX_OFFSET_S:
        raise ValueError(f"invalid offset {text!r}")
    return _offset_tz(-total if text[0] == "-" else total)


def _date_days(sign: str, year_text: str, month: str, day: str) -> int | None:
    if len(year_text) > 4 and year_text[0] == "0":
        return None  # XSD: a year of more than four digits has no leading zero
    year = -int(year_text) if sign else int(year_text)
    return _days_from_ymd(year, int(month), int(day))


def _time_ns(hour: str, minute: str, second: str, fraction: str | None) -> int | None:
    """Nanoseconds since midnight (86,400 s for ``24:00:00``); None when invalid.

    Fractions beyond nanoseconds are truncated."""
    h, m, s = int(hour), int(minute), int(second)
    ns = int((fraction or "").ljust(9, "0")[:9])
    if h == 24 and m == 0 and s == 0 and ns == 0:
        return _DAY_NS
    if h > 23 or m > 59 or s > 59:
        return None
    return ((h * 60 + m) * 60 + s) * _NS + ns


def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` (years -999999999..999999999, XSD lexical rules)."""
    match = _DATE_RE.fullmatch(text)
    if match is None:
        return None
    days = _date_days(*match.groups())
    return None if days is None else _date_from_days(days)


def parse_time(text: str) -> dt.time | None:
    """``hh:mm:ss[.f][Z|±hh:mm|@zone]``; ``24:00:00`` is midnight."""
    match = _TIME_RE.fullmatch(text)
    if match is None:
        return None
    ns = _time_ns(*match.groups()[:4])
    try:
        tz = _zone(match.group(5))
    except ValueError:
        return None
    return None if ns is None else _make_time(ns, tz)


def parse_date_and_time(text: str) -> dt.datetime | None:
    """``YYYY-MM-DDThh:mm:ss[.f][zone]``, or a bare date meaning its midnight (no zone),
    which is what ``date and time("2012-12-24")`` gives in the TCK."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        day = parse_date(text)
        return None if day is None else _make_datetime(_days(day), 0, None)
    groups = match.groups()
    days = _date_days(*groups[:4])
    ns = _time_ns(*groups[4:8])
    if days is None or ns is None:
        return None
    try:
        return _make_datetime(days, ns, _zone(groups[8]))
    except (ValueError, OverflowError):
        return None


def parse_duration(text: str) -> DayTimeDuration | YearMonthDuration | None:
    """An xsd:duration that is either years-and-months or days-and-time (not both)."""
    match = _DURATION_RE.fullmatch(text)
    if match is None or text.endswith("T"):
        return None
    sign, years, months, days, hours, minutes, seconds, fraction = match.groups()
    has_ym = years is not None or months is not None
    has_dt = any(part is not None for part in (days, hours, minutes, seconds))
    try:
        if has_ym and not has_dt:
            total = int(years or 0) * 12 + int(months or 0)
            return YearMonthDuration(-total if sign else total)
        if has_dt and not has_ym:
            whole = ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60
            value = DECIMAL.add(Decimal(whole + int(seconds or 0)), Decimal(f"0.{fraction or 0}"))
            return DayTimeDuration(_clean(DECIMAL.minus(value) if sign else value))
    except ValueError:  # more digits than int() converts
        return None
    return None


def parse_at_literal(text: str) -> Any:
    """The value of ``@"..."``: a duration, date-time, date or time; None if none fits."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if _DATETIME_RE.fullmatch(text):
        return parse_date_and_time(text)
    if _DATE_RE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)


# ------------------------------------------------------------------ to_string


def _fmt_decimal(value: Decimal) -> str:
    value = _clean(value)
    return format(value, "f")


def _fmt_date(value: dt.date) -> str:
    year = value.year
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04d}-{value.month:02d}-{value.day:02d}"


def _fmt_zone(value: dt.time | dt.datetime) -> str:
    key = _zone_key(value)
    if key is not None:
        return "@" + key
    offset = _offset_s(value)
    if offset is None:
        return ""
    if offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    hours, rest = divmod(abs(offset), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return text + f":{seconds:02d}" if seconds else text


def _fmt_time(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    fraction = value.microsecond * 1000 + _nanos(value)
    if fraction:
        text += "." + f"{fraction:09d}".rstrip("0")
    return text + _fmt_zone(value)


def _fmt_day_time(duration: DayTimeDuration) -> str:
    seconds = duration.seconds
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    whole = int(seconds)
    fraction = seconds - whole
    days, rest = divmod(whole, _DAY_S)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{days}D" if days else ""
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if secs or fraction:
        clock += _fmt_decimal(DECIMAL.add(Decimal(secs), fraction)) + "S"
    if clock:
        text += "T" + clock
    return f"{sign}P{text}" if text else "PT0S"


def _fmt_year_month(duration: YearMonthDuration) -> str:
    sign = "-" if duration.months < 0 else ""
    years, months = divmod(abs(duration.months), 12)
    text = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
    return f"{sign}P{text}" if text else "P0M"


def to_string(value: Any) -> str | None:
    """The FEEL ``string()`` form: ``2019-03-31``, ``10:30:00@Europe/Paris``,
    ``2018-12-08T10:30:11+11:00``, ``P1DT2H``, ``-P1Y``; None for non-temporal values."""
    if isinstance(value, dt.datetime):
        return _fmt_date(value) + "T" + _fmt_time(value)
    if isinstance(value, dt.date):
        return _fmt_date(value)
    if isinstance(value, dt.time):
        return _fmt_time(value)
    if isinstance(value, DayTimeDuration):
        return _fmt_day_time(value)
    if isinstance(value, YearMonthDuration):
        return _fmt_year_month(value)
    return None
