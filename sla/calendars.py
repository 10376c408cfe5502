"""SLA calendars: when response time runs (SPEC §4). Pure: no database, no Django, no I/O.

:data:`ALWAYS` is the 24x7 calendar; :class:`BusinessCalendar` is weekly opening hours in an
IANA time zone minus local holidays, parsed from and written to the JSON form stored on
``sla.models.SlaCalendar`` (:func:`calendar_from_data`). The arithmetic over them — deadlines
and open time between two instants, across DST changes — is in :mod:`sla.deadlines`, whose
docstring states the rules for opening hours and wall-clock boundaries.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS",
    "END_OF_DAY",
    "WEEKDAY_NAMES",
    "BusinessCalendar",
    "Calendar",
    "Interval",
    "TwentyFourSeven",
    "calendar_from_data",
]

#: As the *end* of an interval, ``time(0, 0)`` means 24:00 ("until midnight").
END_OF_DAY: Final = time(0, 0)

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
_TIME_RE: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{6}))?)?")

Interval: TypeAlias = tuple[time, time]


class TwentyFourSeven(enum.Enum):
    """The 24x7 calendar: every instant is open time. Use its only member, :data:`ALWAYS`."""

    ALWAYS = "24x7"

    def __repr__(self) -> str:
        return "ALWAYS"


#: The 24x7 calendar.
ALWAYS: Final = TwentyFourSeven.ALWAYS


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
