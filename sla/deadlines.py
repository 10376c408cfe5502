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

import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

#: As the *end* of an interval, ``time(0, 0)`` means 24:00 ("until midnight").
END_OF_DAY: Final = time(0, 0)

#: :func:`deadline` looks at most this many local days past the start (about five years).
SEARCH_HORIZON_DAYS: Final = 5 * 366

WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAY_NAMES: Final = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_ONE_DAY: Final = timedelta(days=1)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_TIME_RE: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{6}))?)?")

Interval: TypeAlias = tuple[time, time]
_WallClock: TypeAlias = tuple[int, int, int, int, int, int, int]


class TwentyFourSeven(enum.Enum):
    """The 24x7 calendar: every instant is open time. Use its only member, :data:`ALWAYS`."""

    ALWAYS = "24x7"

    def __repr__(self) -> str:
        return "ALWAYS"


#: The 24x7 calendar.
ALWAYS: Final = TwentyFourSeven.ALWAYS


class DeadlineOutOfRangeError(ValueError):
    """No deadline within :data:`SEARCH_HORIZON_DAYS` (e.g. holidays cover years ahead)."""


def _seconds_of_day(value: time, *, is_end: bool) -> timedelta:
    """Offset of a wall time from local midnight; an end of ``00:00`` is 24 hours."""
    if is_end and value == END_OF_DAY:
        return _ONE_DAY
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


def _format_time(value: time, *, is_end: bool = False) -> str:
    if is_end and value == END_OF_DAY:
        return "24:00"
    if value.second or value.microsecond:
        return value.isoformat()  # HH:MM:SS or HH:MM:SS.ffffff
    return value.isoformat(timespec="minutes")


def _format_interval(interval: Interval) -> str:
    return f"{_format_time(interval[0])}-{_format_time(interval[1], is_end=True)}"


@dataclass(frozen=True)
class BusinessCalendar:
    """Business hours in one time zone, with local holidays.

    ``tz``
        IANA zone name, e.g. ``"America/Sao_Paulo"``.
    ``weekly_hours``
        Weekday (0 = Monday ... 6 = Sunday) to half-open wall-clock intervals
        ``(start, end)``; ``end == time(0, 0)`` means until midnight (24:00). Missing days are
        closed. Intervals may touch (09:00-12:00, 12:00-18:00) but not overlap; they are
        stored sorted, so the input order does not matter.
    ``holidays``
        Local dates on which no hours count.

    Invalid input raises ``ValueError`` (``TypeError`` for values of the wrong type) from
    ``__post_init__``: an unknown zone, a weekday outside 0-6, an empty or reversed
    interval, overlapping intervals, ``time.max`` as an end, a time with a ``tzinfo``, or a
    calendar without any open interval (use :data:`ALWAYS` for 24x7). Instances are
    immutable, hashable, comparable and picklable. To build one from JSON-friendly data use
    :meth:`from_simple`; :meth:`to_simple` is its inverse.
    """

    tz: str
    weekly_hours: Mapping[int, tuple[Interval, ...]] = field(hash=False)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str):
            raise TypeError(f"tz must be an IANA time zone name (str), got {self.tz!r}")
        if self.tz == "localtime":
            raise ValueError("tz 'localtime' depends on the server; name an IANA zone instead")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc

        if not isinstance(self.weekly_hours, Mapping):
            raise TypeError("weekly_hours must be a mapping of weekday (0-6) to intervals")
        normalized: dict[int, tuple[Interval, ...]] = {}
        for day, intervals in self.weekly_hours.items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(
                    f"weekday must be an int from 0 (Monday) to 6 (Sunday), got {day!r}"
                )
            checked = sorted(self._check_interval(day, interval) for interval in intervals)
            for before, after in pairwise(checked):
                before_ends = _seconds_of_day(before[1], is_end=True)
                if _seconds_of_day(after[0], is_end=False) < before_ends:
                    raise ValueError(
                        f"{WEEKDAY_NAMES[day]}: intervals {_format_interval(before)} and "
                        f"{_format_interval(after)} overlap"
                    )
            if checked:
                normalized[day] = tuple(checked)
        if not normalized:
            raise ValueError(
                "a business calendar needs at least one open interval (use ALWAYS for 24x7)"
            )
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(sorted(normalized.items()))))

        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if isinstance(holiday, datetime) or not isinstance(holiday, date):
                raise TypeError(f"holidays must be dates, got {holiday!r}")
        object.__setattr__(self, "holidays", holidays)

    @staticmethod
    def _check_interval(day: int, interval: Sequence[time]) -> Interval:
        if len(interval) != 2:
            raise ValueError(f"{WEEKDAY_NAMES[day]}: an interval is a (start, end) pair")
        start, end = interval
        for value in (start, end):
            if not isinstance(value, time):
                raise TypeError(
                    f"{WEEKDAY_NAMES[day]}: interval bounds must be times, got {value!r}"
                )
            if value.tzinfo is not None:
                raise ValueError(
                    f"{WEEKDAY_NAMES[day]}: interval bounds are local wall-clock times "
                    f"without tzinfo, got {value!r}"
                )
        if end == time.max:
            raise ValueError(
                f"{WEEKDAY_NAMES[day]}: write 'until midnight' as time(0, 0) (24:00), not time.max"
            )
        start, end = start.replace(fold=0), end.replace(fold=0)
        if _seconds_of_day(end, is_end=True) <= _seconds_of_day(start, is_end=False):
            raise ValueError(
                f"{WEEKDAY_NAMES[day]}: interval {_format_interval((start, end))} is empty or "
                "reversed (split an overnight shift into ...-24:00 and 00:00-... on the next day)"
            )
        return start, end

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled; rebuild from plain data instead.
        return (type(self), (self.tz, dict(self.weekly_hours), self.holidays))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.tz)

    @classmethod
    def from_simple(
        cls,
        tz: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[str | date] = (),
    ) -> BusinessCalendar:
        """Build a calendar from JSON-friendly data.

        ``hours`` maps day names (``"mon"`` ... ``"sun"`` or ``"monday"`` ... ``"sunday"``,
        any case) to ``[start, end]`` pairs of ``"HH:MM"``, ``"HH:MM:SS"`` (or
        ``"HH:MM:SS.ffffff"``) strings; an end
        of ``"24:00"`` (or ``"00:00"``) means until midnight. ``holidays`` are ISO dates
        (``"2026-12-25"``) or :class:`date` objects. Example::

            BusinessCalendar.from_simple(
                "America/Sao_Paulo",
                {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [["22:00", "24:00"]]},
                holidays=["2026-12-25"],
            )

        Any malformed value raises ``ValueError``.
        """
        if not isinstance(hours, Mapping):
            raise ValueError("hours must map day names to lists of [start, end] pairs")
        weekly: dict[int, list[Interval]] = {}
        for name, intervals in hours.items():
            day = _parse_weekday(name)
            if day in weekly:
                raise ValueError(f"day {name!r} is given twice")
            if isinstance(intervals, str) or not isinstance(intervals, Sequence):
                raise ValueError(f"{name}: expected a list of [start, end] pairs")
            parsed: list[Interval] = []
            for pair in intervals:
                if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                    raise ValueError(f"{name}: expected a [start, end] pair, got {pair!r}")
                parsed.append(
                    (_parse_time(pair[0], is_end=False), _parse_time(pair[1], is_end=True))
                )
            weekly[day] = parsed
        parsed_holidays: set[date] = set()
        for holiday in holidays:
            if isinstance(holiday, datetime):
                raise ValueError(f"holidays must be dates, got {holiday!r}")
            if isinstance(holiday, date):
                parsed_holidays.add(holiday)
                continue
            try:
                parsed_holidays.add(date.fromisoformat(holiday))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"holiday {holiday!r} is not an ISO date (YYYY-MM-DD)") from exc
        try:
            return cls(
                tz=tz,
                weekly_hours={day: tuple(intervals) for day, intervals in weekly.items()},
                holidays=frozenset(parsed_holidays),
            )
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_simple(self) -> dict[str, Any]:
        """JSON-friendly form; ``BusinessCalendar.from_simple(**cal.to_simple()) == cal``."""
        return {
            "tz": self.tz,
            "hours": {
                WEEKDAY_NAMES[day]: [
                    [_format_time(start), _format_time(end, is_end=True)]
                    for start, end in intervals
                ]
                for day, intervals in self.weekly_hours.items()
            },
            "holidays": sorted(holiday.isoformat() for holiday in self.holidays),
        }


#: A calendar argument: :data:`ALWAYS` or a :class:`BusinessCalendar`.
Calendar: TypeAlias = TwentyFourSeven | BusinessCalendar


def calendar_from_data(data: str | Mapping[str, Any]) -> Calendar:
    """Calendar from its stored JSON form.

    ``"24x7"`` gives :data:`ALWAYS`; a mapping with keys ``tz``, ``hours`` and optionally
    ``holidays`` gives :meth:`BusinessCalendar.from_simple`. Anything else is a ``ValueError``.
    """
    if isinstance(data, str):
        if data == TwentyFourSeven.ALWAYS.value:
            return ALWAYS
        raise ValueError(f"unknown calendar {data!r} (expected '24x7' or business hours)")
    if not isinstance(data, Mapping):
        raise ValueError(f"unknown calendar {data!r} (expected '24x7' or business hours)")
    unknown = set(data) - {"tz", "hours", "holidays"}
    if unknown or "tz" not in data or "hours" not in data:
        raise ValueError("business hours need 'tz' and 'hours' (and optionally 'holidays') only")
    return BusinessCalendar.from_simple(data["tz"], data["hours"], data.get("holidays", ()))


def _parse_weekday(name: object) -> int:
    if isinstance(name, str):
        key = name.strip().lower()
        if key in WEEKDAY_NAMES:
            return WEEKDAY_NAMES.index(key)
        if key in _FULL_WEEKDAY_NAMES:
            return _FULL_WEEKDAY_NAMES.index(key)
    raise ValueError(f"unknown day {name!r} (expected one of {', '.join(WEEKDAY_NAMES)})")


def _parse_time(text: object, *, is_end: bool) -> time:
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a time as 'HH:MM' or 'HH:MM:SS', got {text!r}")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    microsecond = int(match[4] or 0)
    if hour == 24 and minute == second == microsecond == 0:
        if not is_end:
            raise ValueError("24:00 can only end an interval")
        return END_OF_DAY
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a valid time of day")
    return time(hour, minute, second, microsecond)


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
