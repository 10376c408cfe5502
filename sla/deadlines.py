"""Response-time SLA deadlines in absolute (24x7) or business time.

Everything here is pure: no database, no Django, no I/O and no "now". The callers pass the
instants in and get instants back.

Calendars
---------
A (plan, severity) target names a duration and a *calendar*, which is one of:

* :data:`ALWAYS` (the only member of :class:`TwentyFourSeven`): every instant counts, so a
  deadline is plain absolute arithmetic, ``start + duration`` in UTC. Its value ``"24x7"`` is
  also how it is spelled in stored JSON (see :func:`calendar_from_data`). ``None`` is *not*
  accepted as a stand-in, so a forgotten calendar is an error rather than silently 24x7.
* :class:`BusinessCalendar`: an IANA time zone, weekly opening hours in local wall-clock time
  and a set of local holiday dates.

Opening hours
-------------
``weekly_hours`` maps a weekday (0 = Monday ... 6 = Sunday) to half-open intervals
``(start, end)`` of naive :class:`datetime.time` values: open from ``start`` (inclusive) until
``end`` (exclusive). **"Until midnight" is written** ``end=time(0, 0)`` (the constant
:data:`END_OF_DAY`); as an *end* it always means 24:00 of that day, never 00:00, so
``(time(0, 0), time(0, 0))`` is a whole day. ``time.max`` is rejected to keep one spelling.
An overnight shift 22:00-06:00 is two intervals: ``(22:00, 24:00)`` on one day and
``(00:00, 06:00)`` on the next. Each interval belongs to the local date it is listed on, so a
holiday closes exactly the hours of that local date (for an overnight shift: the part after
midnight on the holiday, and the part from 22:00 onwards on the holiday).

Wall-clock boundaries and DST
-----------------------------
Interval boundaries are local wall-clock times; the time that elapses inside them is real
(absolute) time. A boundary happens **the first time the local clock reaches it**:

* an ordinary wall time is its one instant;
* an ambiguous wall time (repeated when the clock falls back) is its first occurrence, that is
  ``fold=0`` in PEP 495 terms;
* a non-existent wall time (skipped when the clock springs forward) is the instant of the
  transition, when the clock jumps past it. (Neither ``fold`` value gives that instant, since
  zoneinfo maps a gap time with the offset before or after the jump.)

So in Europe/Berlin on 2026-03-29 (02:00 -> 03:00) an interval 01:00-04:00 holds 2 real hours
and 02:30-05:00 holds 2 (it opens at the jump, 03:00 CEST); on 2026-10-25 (03:00 -> 02:00)
01:00-04:00 holds 4 real hours and 02:30-05:00 holds 3.5 (it opens at the first 02:30). The
rule maps wall times to instants monotonically, so intervals never run backwards.

Functions
---------
:func:`deadline` and :func:`open_time_between` are inverse of each other::

    open_time_between(s, deadline(s, d, c), c) == d

and both return/accept aware datetimes; results are in UTC (``tzinfo=datetime.UTC``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, TypeAlias
from zoneinfo import ZoneInfo

from sla.calendars import (
    ALWAYS,
    END_OF_DAY,
    WEEKDAY_NAMES,
    BusinessCalendar,
    Calendar,
    Interval,
    TwentyFourSeven,
    calendar_from_data,
)

__all__ = [
    "ALWAYS",
    "END_OF_DAY",
    "SEARCH_HORIZON_DAYS",
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "Calendar",
    "DeadlineOutOfRangeError",
    "Interval",
    "TwentyFourSeven",
    "calendar_from_data",
    "deadline",
    "open_time_between",
]

#: :func:`deadline` looks at most this many local days past the start (about five years).
SEARCH_HORIZON_DAYS: Final = 5 * 366

_ONE_DAY: Final = timedelta(days=1)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_WallClock: TypeAlias = tuple[int, int, int, int, int, int, int]


class DeadlineOutOfRangeError(ValueError):
    """No deadline within :data:`SEARCH_HORIZON_DAYS` (e.g. holidays cover years ahead)."""


def _to_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _business(calendar: object) -> BusinessCalendar:
    if isinstance(calendar, BusinessCalendar):
        return calendar
    raise TypeError(f"calendar must be ALWAYS (24x7) or a BusinessCalendar, got {calendar!r}")


def _wall(value: datetime) -> _WallClock:
    """Wall-clock reading of an aware datetime, for comparisons that must ignore fold."""
    return (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _first_reach(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock in ``zone`` reads ``day at`` or later.

    Ordinary time: its instant. Ambiguous time: the earlier instant (``fold=0``).
    Non-existent time: the instant of the transition that skips it.
    """
    local = datetime.combine(day, at, tzinfo=zone)
    target = _wall(local)
    candidates = [local.replace(fold=fold).astimezone(UTC) for fold in (0, 1)]
    existing = [c for c in candidates if _wall(c.astimezone(zone)) == target]
    if existing:
        return min(existing)
    # In a gap: the clock reads before `target` at `low` and after it at `high`. Bisect to the
    # microsecond for the jump (about 32 steps for a one-hour gap; only on transition days).
    low, high = min(candidates), max(candidates)
    while high - low > _ONE_MICROSECOND:
        middle = low + (high - low) // 2
        if _wall(middle.astimezone(zone)) >= target:
            high = middle
        else:
            low = middle
    return high


def _open_intervals(
    calendar: BusinessCalendar, first_day: date, last_day: date
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals of the local days ``first_day`` to ``last_day``, in order.

    Each is a non-empty half-open ``(opens, closes)`` pair of UTC instants.

    Closed days and holidays cost one dictionary look-up; zone arithmetic is done only for
    the intervals of open days.
    """
    zone = calendar.zone
    day = first_day
    while day <= last_day:
        intervals = calendar.weekly_hours.get(day.weekday(), ())
        if intervals and day not in calendar.holidays:
            for start, end in intervals:
                opens = _first_reach(day, start, zone)
                if end == END_OF_DAY:
                    closes = _first_reach(day + _ONE_DAY, END_OF_DAY, zone)
                else:
                    closes = _first_reach(day, end, zone)
                if opens < closes:
                    yield opens, closes
        day += _ONE_DAY


def deadline(start: datetime, duration: timedelta, calendar: Calendar) -> datetime:
    """The instant at which ``duration`` of open time has elapsed since ``start``.

    ``start`` must be timezone-aware (``ValueError`` otherwise; any zone, it is converted);
    ``duration`` must not be negative (``ValueError``). The result is aware, in UTC.

    * :data:`ALWAYS`: exactly ``start + duration`` in absolute time (so one hour after
      01:30 CET on a spring-forward night is 03:30 CEST).
    * :class:`BusinessCalendar`: only open time counts, measured in real time between the
      wall-clock boundaries (see the module docstring for DST). The result is the earliest
      instant with ``duration`` of open time since ``start``, so a deadline that falls exactly
      at closing time is that closing instant, not the next opening. A zero duration gives
      ``start`` itself if it is inside open hours (``opening <= start < closing``), otherwise
      the next opening.

    Raises :class:`DeadlineOutOfRangeError` (a ``ValueError``) if the deadline lies more than
    :data:`SEARCH_HORIZON_DAYS` local days after ``start``; ``TypeError`` for a calendar that
    is neither. Inverse: ``open_time_between(start, deadline(start, d, c), c) == d``.
    """
    start_utc = _to_utc(start, "start")
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {duration!r}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration!r}")
    if calendar is ALWAYS:
        return start_utc + duration
    business = _business(calendar)

    # Start one local day early: cheap, and safe even if a transition blurs the local date.
    first_day = start_utc.astimezone(business.zone).date() - _ONE_DAY
    last_day = first_day + timedelta(days=SEARCH_HORIZON_DAYS + 1)
    remaining = duration
    for opens, closes in _open_intervals(business, first_day, last_day):
        if closes <= start_utc:
            continue
        opens = max(opens, start_utc)
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise DeadlineOutOfRangeError(
        f"no deadline for {duration} of open time within {SEARCH_HORIZON_DAYS} days of "
        f"{start.isoformat()} in calendar {business.tz} (holidays cover the whole range?)"
    )


def open_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """The amount of open time in ``[start, end)``.

    Both instants must be timezone-aware (``ValueError`` otherwise) and ``end`` must not be
    before ``start`` (``ValueError``). For :data:`ALWAYS` this is ``end - start`` in absolute
    time; for a :class:`BusinessCalendar` it is the real time spent inside open intervals.
    Consistent with :func:`deadline`: for any ``d >= 0``,
    ``open_time_between(s, deadline(s, d, c), c) == d``.
    """
    start_utc = _to_utc(start, "start")
    end_utc = _to_utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    if calendar is ALWAYS:
        return end_utc - start_utc
    business = _business(calendar)

    zone = business.zone
    first_day = start_utc.astimezone(zone).date() - _ONE_DAY
    last_day = end_utc.astimezone(zone).date() + _ONE_DAY
    total = timedelta(0)
    for opens, closes in _open_intervals(business, first_day, last_day):
        if opens >= end_utc:
            break
        overlap = min(closes, end_utc) - max(opens, start_utc)
        if overlap > timedelta(0):
            total += overlap
    return total
