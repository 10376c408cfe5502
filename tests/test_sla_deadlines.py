"""Pure tests of sla.deadlines: SLA deadlines in 24x7 and business time (no database).

Every expected instant is worked out by hand in the comment next to it. Offsets used:
Sao Paulo BRT -03 (BRST -02 in DST, which ended for good in 2019), Berlin CET +01 / CEST +02,
Sydney AEST +10 / AEDT +11. DST changes exercised:

* Europe/Berlin 2026-03-29 (Sun) 02:00 CET -> 03:00 CEST, at 01:00 UTC;
  2026-10-25 (Sun) 03:00 CEST -> 02:00 CET, at 01:00 UTC.
* America/Sao_Paulo 2018-11-04 (Sun) 00:00 BRT -> 01:00 BRST, at 03:00 UTC;
  2019-02-17 (Sun) 00:00 BRST -> 2019-02-16 23:00 BRT, at 02:00 UTC.
* Australia/Sydney 2026-04-05 (Sun) 03:00 AEDT -> 02:00 AEST, at 2026-04-04 16:00 UTC;
  2026-10-04 (Sun) 02:00 AEST -> 03:00 AEDT, at 2026-10-03 16:00 UTC.

Weekdays: 2026-03-02 is a Monday (so 03-06 Fri, 03-07 Sat, 03-08 Sun, 03-09 Mon).
"""

import copy
import dataclasses
import pickle
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sla import deadlines
from sla.deadlines import (
    ALWAYS,
    END_OF_DAY,
    BusinessCalendar,
    Calendar,
    DeadlineOutOfRangeError,
    TwentyFourSeven,
    calendar_from_data,
    deadline,
    open_time_between,
)

BRT = timezone(timedelta(hours=-3), "BRT")
BRST = timezone(timedelta(hours=-2), "BRST")
CET = timezone(timedelta(hours=1), "CET")
CEST = timezone(timedelta(hours=2), "CEST")
AEST = timezone(timedelta(hours=10), "AEST")
AEDT = timezone(timedelta(hours=11), "AEDT")
BERLIN = ZoneInfo("Europe/Berlin")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
US = timedelta(microseconds=1)
ZERO = timedelta(0)

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def brt(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    """A wall time in Sao Paulo after 2019, which is always BRT (-03)."""
    return datetime(year, month, day, hour, minute, second, us, tzinfo=BRT)


def every(days: tuple[str, ...], *intervals: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {day: [list(interval) for interval in intervals] for day in days}


# Sao Paulo, Mon-Fri 09:00-18:00 (9 h a day; no DST in 2026).
OFFICE = BusinessCalendar.from_simple("America/Sao_Paulo", every(WORKDAYS, ("09:00", "18:00")))
# Same, with a lunch break: 09:00-12:00 and 13:00-18:00 (8 h a day).
LUNCH = BusinessCalendar.from_simple(
    "America/Sao_Paulo", every(WORKDAYS, ("09:00", "12:00"), ("13:00", "18:00"))
)
# Night shift 22:00-06:00 from Monday night to Saturday morning, in Sao Paulo.
NIGHTS = BusinessCalendar(
    tz="America/Sao_Paulo",
    weekly_hours={
        0: ((time(22), END_OF_DAY),),
        **{day: ((time(0), time(6)), (time(22), END_OF_DAY)) for day in (1, 2, 3, 4)},
        5: ((time(0), time(6)),),
    },
)
# 00:00-06:00 every day in Berlin: contains both of Berlin's changed hours.
BERLIN_EARLY = BusinessCalendar.from_simple("Europe/Berlin", every(ALL_DAYS, ("00:00", "06:00")))
# Around the clock every day in Berlin (a business calendar, so holidays still apply).
BERLIN_ALL_DAY = BusinessCalendar.from_simple("Europe/Berlin", every(ALL_DAYS, ("00:00", "24:00")))
# Mon-Fri 09:00-18:00 in Berlin: never open during a change (changes happen on Sunday night).
BERLIN_OFFICE = BusinessCalendar.from_simple("Europe/Berlin", every(WORKDAYS, ("09:00", "18:00")))
# 22:00-06:00 every night in Sao Paulo (as 00:00-06:00 plus 22:00-24:00 each day).
SAO_PAULO_NIGHTS = BusinessCalendar.from_simple(
    "America/Sao_Paulo", every(ALL_DAYS, ("00:00", "06:00"), ("22:00", "24:00"))
)
SAO_PAULO_OFFICE = BusinessCalendar.from_simple(
    "America/Sao_Paulo", every(WORKDAYS, ("09:00", "18:00"))
)
SYDNEY_EARLY = BusinessCalendar.from_simple("Australia/Sydney", every(ALL_DAYS, ("00:00", "06:00")))


def sunday_only(tz: str, start: str, end: str) -> BusinessCalendar:
    return BusinessCalendar.from_simple(tz, {"sun": [[start, end]]})


def with_holidays(calendar: BusinessCalendar, *days: date) -> BusinessCalendar:
    return dataclasses.replace(calendar, holidays=frozenset(days))


def check(start: datetime, duration: timedelta, calendar: Calendar, expected: datetime) -> None:
    """Assert the deadline, that it is in UTC, and that open_time_between agrees with it."""
    result = deadline(start, duration, calendar)
    assert result == expected, f"{result} != {expected}"
    assert result.tzinfo is UTC
    assert open_time_between(start, result, calendar) == duration


# --- 24x7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (30 * MIN, utc(2026, 3, 2, 10, 30)),  # 10:00 + 0:30
        (4 * H, utc(2026, 3, 2, 14, 0)),  # 10:00 + 4:00
        (6 * H, utc(2026, 3, 2, 16, 0)),  # 10:00 + 6:00
        (8 * H, utc(2026, 3, 2, 18, 0)),  # 10:00 + 8:00
    ],
)
def test_it_adds_the_enhanced_targets_exactly_in_24x7(duration, expected):
    check(utc(2026, 3, 2, 10, 0), duration, ALWAYS, expected)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        # 01:30 CET = 00:30 UTC; +0:30 = 01:00 UTC = 03:00 CEST (the clock shows 1:30 more).
        (30 * MIN, utc(2026, 3, 29, 1, 0)),
        (4 * H, utc(2026, 3, 29, 4, 30)),  # 00:30 UTC + 4 h = 06:30 CEST
        (6 * H, utc(2026, 3, 29, 6, 30)),  # 00:30 UTC + 6 h = 08:30 CEST
        (8 * H, utc(2026, 3, 29, 8, 30)),  # 00:30 UTC + 8 h = 10:30 CEST
    ],
)
def test_it_adds_the_enhanced_targets_in_absolute_time_across_spring_forward(duration, expected):
    # Started in the Berlin zone itself, where naive `start + duration` would add wall time.
    check(datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN), duration, ALWAYS, expected)


def test_it_adds_one_real_hour_30_minutes_before_the_berlin_jump():
    # 01:30 CET (00:30 UTC) + 1 h = 01:30 UTC, which Berlin clocks show as 03:30 CEST.
    result = deadline(datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN), H, ALWAYS)
    assert result == utc(2026, 3, 29, 1, 30)
    assert result.astimezone(BERLIN).hour == 3


def test_it_adds_absolute_time_across_fall_back_in_24x7():
    # First 02:30 (fold=0, CEST) = 00:30 UTC; + 1 h = 01:30 UTC = the second 02:30 (CET).
    check(datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN), H, ALWAYS, utc(2026, 10, 25, 1, 30))
    # Second 02:30 (fold=1, CET) = 01:30 UTC; + 0:30 = 02:00 UTC = 03:00 CET.
    check(
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
        30 * MIN,
        ALWAYS,
        utc(2026, 10, 25, 2, 0),
    )


def test_it_measures_24x7_open_time_in_absolute_time():
    # Both ends in the same ZoneInfo (where plain subtraction would give 24 h of wall time):
    # 03-29 00:00 CET = 03-28 23:00 UTC; 03-30 00:00 CEST = 03-29 22:00 UTC -> 23 h.
    spring_day = (datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
    assert open_time_between(*spring_day, ALWAYS) == 23 * H
    # 10-25 00:00 CEST = 10-24 22:00 UTC; 10-26 00:00 CET = 10-25 23:00 UTC -> 25 h.
    autumn_day = (datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN))
    assert open_time_between(*autumn_day, ALWAYS) == 25 * H
    assert open_time_between(utc(2026, 3, 2), utc(2026, 3, 2), ALWAYS) == ZERO


def test_it_returns_utc_and_the_start_itself_for_a_zero_24x7_duration():
    # 10:00 BRT = 13:00 UTC.
    check(brt(2026, 3, 2, 10, 0), ZERO, ALWAYS, utc(2026, 3, 2, 13, 0))


# --- Business hours: Mon-Fri 09:00-18:00 (Sao Paulo, BRT all year) -----------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # One second before opening: waits until 09:00, then 09:00 + 4 h = 13:00.
        (brt(2026, 3, 2, 8, 59, 59), 4 * H, brt(2026, 3, 2, 13, 0)),
        # Exactly at opening: 09:00 + 4 h.
        (brt(2026, 3, 2, 9, 0), 4 * H, brt(2026, 3, 2, 13, 0)),
        # One second before closing: 1 s on Monday, 3:59:59 from Tuesday 09:00.
        (brt(2026, 3, 2, 17, 59, 59), 4 * H, brt(2026, 3, 3, 12, 59, 59)),
        # Exactly at closing: nothing left on Monday (intervals are half-open).
        (brt(2026, 3, 2, 18, 0), 4 * H, brt(2026, 3, 3, 13, 0)),
        # After closing: Tuesday 09:00 + 4 h.
        (brt(2026, 3, 2, 20, 0), 4 * H, brt(2026, 3, 3, 13, 0)),
        # Ends exactly at closing time: 14:00 + 4 h = 18:00 the same day, not Tuesday 09:00.
        (brt(2026, 3, 2, 14, 0), 4 * H, brt(2026, 3, 2, 18, 0)),
        # 17:45 + 30 min: 15 min on Monday, 15 min from Tuesday 09:00.
        (brt(2026, 3, 2, 17, 45), 30 * MIN, brt(2026, 3, 3, 9, 15)),
        # Overnight: 16:00 + 6 h = 2 h on Monday + 4 h on Tuesday -> 13:00.
        (brt(2026, 3, 2, 16, 0), 6 * H, brt(2026, 3, 3, 13, 0)),
        # Overnight: 15:00 + 8 h = 3 h on Monday + 5 h on Tuesday -> 14:00.
        (brt(2026, 3, 2, 15, 0), 8 * H, brt(2026, 3, 3, 14, 0)),
        # Friday afternoon: 16:30 + 4 h = 1:30 on Friday, 2:30 from Monday 09:00 -> 11:30.
        (brt(2026, 3, 6, 16, 30), 4 * H, brt(2026, 3, 9, 11, 30)),
        # Saturday: nothing until Monday 09:00; + 4 h = 13:00.
        (brt(2026, 3, 7, 10, 0), 4 * H, brt(2026, 3, 9, 13, 0)),
        # Last second of Sunday: Monday 09:00 + 4 h.
        (brt(2026, 3, 1, 23, 59, 59), 4 * H, brt(2026, 3, 2, 13, 0)),
        # A full week is 5 x 9 h = 45 h: Monday 09:00 + 45 h = Friday 18:00.
        (brt(2026, 3, 2, 9, 0), 45 * H, brt(2026, 3, 6, 18, 0)),
        # 46 h: the 46th hour is Monday 03-09 09:00-10:00.
        (brt(2026, 3, 2, 9, 0), 46 * H, brt(2026, 3, 9, 10, 0)),
        # Start given in UTC: 11:59:59 UTC = 08:59:59 BRT -> 09:00 + 4 h = 13:00 BRT.
        (utc(2026, 3, 2, 11, 59, 59), 4 * H, brt(2026, 3, 2, 13, 0)),
        # One microsecond before closing + 1 us = the closing instant.
        (brt(2026, 3, 2, 17, 59, 59, 999999), US, brt(2026, 3, 2, 18, 0)),
        # 1000 h = 111 days x 9 h + 1 h. 110 days = 22 weeks (03-02 .. 07-31); day 111 is
        # Monday 08-03 (03-02 + 154 days); the last hour is Tuesday 08-04 09:00-10:00.
        (brt(2026, 3, 2, 9, 0), 1000 * H, brt(2026, 8, 4, 10, 0)),
    ],
)
def test_it_counts_only_business_hours(start, duration, expected):
    check(start, duration, OFFICE, expected)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (brt(2026, 3, 2, 10, 0), brt(2026, 3, 2, 10, 0)),  # inside: the start itself
        (brt(2026, 3, 2, 9, 0), brt(2026, 3, 2, 9, 0)),  # opening instant is inside
        (brt(2026, 3, 2, 8, 59, 59), brt(2026, 3, 2, 9, 0)),  # before opening: 09:00
        (brt(2026, 3, 2, 17, 59, 59), brt(2026, 3, 2, 17, 59, 59)),  # still open
        (brt(2026, 3, 2, 18, 0), brt(2026, 3, 3, 9, 0)),  # closing instant: next opening
        (brt(2026, 3, 6, 19, 0), brt(2026, 3, 9, 9, 0)),  # Friday evening: Monday 09:00
        (brt(2026, 3, 8, 12, 0), brt(2026, 3, 9, 9, 0)),  # Sunday: Monday 09:00
    ],
)
def test_it_gives_start_or_next_opening_for_a_zero_duration(start, expected):
    check(start, ZERO, OFFICE, expected)


def test_it_pushes_to_tuesday_when_monday_is_a_holiday():
    # Friday 16:30 + 4 h: 1:30 on Friday; Monday 03-09 closed; 2:30 from Tuesday 09:00.
    check(
        brt(2026, 3, 6, 16, 30),
        4 * H,
        with_holidays(OFFICE, date(2026, 3, 9)),
        brt(2026, 3, 10, 11, 30),
    )


def test_it_skips_a_run_of_holidays():
    # Monday to Wednesday closed: 1:30 on Friday, 2:30 from Thursday 03-12 09:00.
    calendar = with_holidays(OFFICE, date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11))
    check(brt(2026, 3, 6, 16, 30), 4 * H, calendar, brt(2026, 3, 12, 11, 30))


def test_it_skips_a_friday_holiday():
    # Thursday 17:00 + 4 h: 1 h on Thursday; Friday 03-06 closed; 3 h from Monday 09:00.
    calendar = with_holidays(OFFICE, date(2026, 3, 6))
    check(brt(2026, 3, 5, 17, 0), 4 * H, calendar, brt(2026, 3, 9, 12, 0))


def test_it_starts_on_a_holiday():
    # Monday 03-09 is a holiday: nothing counts until Tuesday 09:00; + 4 h = 13:00.
    calendar = with_holidays(OFFICE, date(2026, 3, 9))
    check(brt(2026, 3, 9, 10, 0), 4 * H, calendar, brt(2026, 3, 10, 13, 0))
    check(brt(2026, 3, 9, 10, 0), ZERO, calendar, brt(2026, 3, 10, 9, 0))
    assert open_time_between(brt(2026, 3, 9, 0, 0), brt(2026, 3, 10, 0, 0), calendar) == ZERO


def test_it_ignores_a_holiday_on_a_closed_day():
    # Saturday 03-07 is closed anyway: Friday 16:30 + 4 h -> Monday 11:30 as without it.
    calendar = with_holidays(OFFICE, date(2026, 3, 7))
    check(brt(2026, 3, 6, 16, 30), 4 * H, calendar, brt(2026, 3, 9, 11, 30))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (brt(2026, 3, 2, 0, 0), brt(2026, 3, 3, 0, 0), 9 * H),  # one whole working day
        (brt(2026, 3, 2, 0, 0), brt(2026, 3, 9, 0, 0), 45 * H),  # a week: 5 x 9 h
        (brt(2026, 3, 2, 10, 0), brt(2026, 3, 2, 10, 0), ZERO),  # empty range
        (brt(2026, 3, 2, 17, 0), brt(2026, 3, 3, 10, 0), 2 * H),  # 17-18 + 09-10
        (brt(2026, 3, 6, 17, 30), brt(2026, 3, 9, 9, 30), H),  # 30 min Fri + 30 min Mon
        (brt(2026, 3, 7, 0, 0), brt(2026, 3, 9, 0, 0), ZERO),  # the weekend
        (brt(2026, 3, 2, 12, 0), brt(2026, 3, 2, 12, 0, 0, 1), US),  # one microsecond
        # Ends given in UTC: 12:00-21:00 UTC = 09:00-18:00 BRT.
        (utc(2026, 3, 2, 12, 0), utc(2026, 3, 2, 21, 0), 9 * H),
    ],
)
def test_it_measures_open_time_between_two_instants(start, end, expected):
    assert open_time_between(start, end, OFFICE) == expected


def test_it_measures_75_percent_of_a_target():
    # 4 h target from Friday 16:30 is due Monday 11:30; 75 % = 3 h is reached at Monday
    # 10:30 (1:30 on Friday + 1:30 on Monday).
    start = brt(2026, 3, 6, 16, 30)
    check(start, 3 * H, OFFICE, brt(2026, 3, 9, 10, 30))
    assert open_time_between(start, brt(2026, 3, 9, 10, 30), OFFICE) == 3 * H


# --- Several intervals a day --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 11:00 + 2 h: 1 h until 12:00, lunch, 1 h from 13:00 -> 14:00.
        (brt(2026, 3, 2, 11, 0), 2 * H, brt(2026, 3, 2, 14, 0)),
        # Zero during lunch: the afternoon opening.
        (brt(2026, 3, 2, 12, 30), ZERO, brt(2026, 3, 2, 13, 0)),
        # Ending exactly at the lunch break: 11:00 + 1 h = 12:00 (not 13:00).
        (brt(2026, 3, 2, 11, 0), H, brt(2026, 3, 2, 12, 0)),
        # 11:30 + 6 h: 0:30 + 5 h today = 5:30; the last 0:30 is Tuesday 09:00-09:30.
        (brt(2026, 3, 2, 11, 30), 6 * H, brt(2026, 3, 3, 9, 30)),
    ],
)
def test_it_skips_the_lunch_break(start, duration, expected):
    check(start, duration, LUNCH, expected)


def test_it_accepts_touching_intervals():
    calendar = BusinessCalendar.from_simple(
        "America/Sao_Paulo", {"mon": [["12:00", "18:00"], ["09:00", "12:00"]]}
    )
    check(brt(2026, 3, 2, 9, 0), 9 * H, calendar, brt(2026, 3, 2, 18, 0))  # 09-12 + 12-18
    check(brt(2026, 3, 2, 11, 0), 2 * H, calendar, brt(2026, 3, 2, 13, 0))  # straight on


# --- Overnight shift 22:00-06:00, Monday night to Saturday morning ------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Monday 21:00 + 4 h: 22:00-24:00 (2 h) + Tuesday 00:00-02:00.
        (brt(2026, 3, 2, 21, 0), 4 * H, brt(2026, 3, 3, 2, 0)),
        # Monday 23:30 + 30 min: ends at midnight, the end of Monday's 22:00-24:00.
        (brt(2026, 3, 2, 23, 30), 30 * MIN, brt(2026, 3, 3, 0, 0)),
        # Monday 23:30 + 1 h: runs straight through midnight into Tuesday -> 00:30.
        (brt(2026, 3, 2, 23, 30), H, brt(2026, 3, 3, 0, 30)),
        # Tuesday 05:00 + 3 h: 05:00-06:00, then 22:00-24:00 -> Wednesday 00:00.
        (brt(2026, 3, 3, 5, 0), 3 * H, brt(2026, 3, 4, 0, 0)),
        # Tuesday noon, zero: the shift opens at 22:00.
        (brt(2026, 3, 3, 12, 0), ZERO, brt(2026, 3, 3, 22, 0)),
        # Friday 23:00 + 8 h: 1 h Friday, Saturday 00:00-06:00 (7 h), 1 h from Monday 22:00.
        (brt(2026, 3, 6, 23, 0), 8 * H, brt(2026, 3, 9, 23, 0)),
        # Sunday noon, zero: the first shift is Monday 22:00.
        (brt(2026, 3, 8, 12, 0), ZERO, brt(2026, 3, 9, 22, 0)),
    ],
)
def test_it_counts_an_overnight_shift(start, duration, expected):
    check(start, duration, NIGHTS, expected)


def test_it_closes_the_after_midnight_part_of_a_shift_on_a_holiday():
    # Saturday 03-07 is a holiday, so its 00:00-06:00 does not count: Friday 23:00 + 8 h =
    # 1 h Friday + Monday 22:00-24:00 (2 h) + Tuesday 00:00-05:00 (5 h).
    calendar = with_holidays(NIGHTS, date(2026, 3, 7))
    check(brt(2026, 3, 6, 23, 0), 8 * H, calendar, brt(2026, 3, 10, 5, 0))


def test_it_measures_a_whole_night_shift():
    # Monday 22:00 to Tuesday 06:00 = 2 h + 6 h.
    assert open_time_between(brt(2026, 3, 2, 12), brt(2026, 3, 3, 12), NIGHTS) == 8 * H


# --- DST, northern hemisphere: Europe/Berlin ----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 03-29 00:00 CET = 03-28 23:00 UTC. 00:00-02:00 CET is 2 h, then 03:00 CEST on:
        # + 3 h = 02:00 UTC = 04:00 CEST.
        (datetime(2026, 3, 29, 0, 0, tzinfo=CET), 3 * H, utc(2026, 3, 29, 2, 0)),
        # The short night 00:00 CET - 06:00 CEST is 23:00-04:00 UTC = 5 h.
        (datetime(2026, 3, 29, 0, 0, tzinfo=CET), 5 * H, utc(2026, 3, 29, 4, 0)),
        # 6 h: 5 h on Sunday, 1 h from Monday 00:00 CEST (03-29 22:00 UTC) -> 23:00 UTC.
        (datetime(2026, 3, 29, 0, 0, tzinfo=CET), 6 * H, utc(2026, 3, 29, 23, 0)),
        # 01:59:59 CET + 2 s: 1 s to the jump (01:00 UTC), 1 s after it = 03:00:01 CEST.
        (datetime(2026, 3, 29, 1, 59, 59, tzinfo=CET), 2 * SEC, utc(2026, 3, 29, 1, 0, 1)),
        # 10-25 00:00 CEST = 10-24 22:00 UTC; the long night to 06:00 CET (05:00 UTC) is 7 h.
        (datetime(2026, 10, 25, 0, 0, tzinfo=CEST), 7 * H, utc(2026, 10, 25, 5, 0)),
        # 10-24 22:00 UTC + 3 h = 01:00 UTC, shown as the second 02:00 (CET).
        (datetime(2026, 10, 25, 0, 0, tzinfo=CEST), 3 * H, utc(2026, 10, 25, 1, 0)),
        # 8 h: 7 h on Sunday, 1 h from Monday 00:00 CET (10-25 23:00 UTC) -> 10-26 00:00 UTC.
        (datetime(2026, 10, 25, 0, 0, tzinfo=CEST), 8 * H, utc(2026, 10, 26, 0, 0)),
        # From the second 02:30 (fold=1, CET = 01:30 UTC) + 1 h = 02:30 UTC (03:30 CET).
        (datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN), H, utc(2026, 10, 25, 2, 30)),
    ],
)
def test_it_counts_real_time_in_hours_that_contain_a_berlin_change(start, duration, expected):
    check(start, duration, BERLIN_EARLY, expected)


def test_it_measures_the_short_and_the_long_berlin_night():
    # Spring: Sunday 5 h (see above) + Monday 00:00-06:00 CEST 6 h, all inside the range.
    assert open_time_between(utc(2026, 3, 28, 12), utc(2026, 3, 30, 12), BERLIN_EARLY) == 11 * H
    # Autumn: Sunday 7 h + Monday 00:00-06:00 CET 6 h.
    assert open_time_between(utc(2026, 10, 24, 12), utc(2026, 10, 26, 12), BERLIN_EARLY) == 13 * H


def test_it_gives_two_real_hours_to_01_04_on_spring_forward_and_four_on_fall_back():
    calendar = sunday_only("Europe/Berlin", "01:00", "04:00")
    # Spring: 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC).
    assert open_time_between(utc(2026, 3, 28), utc(2026, 3, 30), calendar) == 2 * H
    check(utc(2026, 3, 28, 12), 2 * H, calendar, utc(2026, 3, 29, 2, 0))
    # Autumn: 01:00 CEST (10-24 23:00 UTC) to 04:00 CET (03:00 UTC).
    assert open_time_between(utc(2026, 10, 24), utc(2026, 10, 26), calendar) == 4 * H
    check(utc(2026, 10, 24, 12), 4 * H, calendar, utc(2026, 10, 25, 3, 0))


def test_it_opens_at_the_jump_when_the_opening_time_does_not_exist():
    calendar = sunday_only("Europe/Berlin", "02:30", "05:00")
    # 02:30 is skipped on 03-29: the interval opens when the clock jumps, 03:00 CEST
    # (01:00 UTC), and closes at 05:00 CEST (03:00 UTC): 2 h.
    check(utc(2026, 3, 28, 12), ZERO, calendar, utc(2026, 3, 29, 1, 0))
    check(utc(2026, 3, 28, 12), 2 * H, calendar, utc(2026, 3, 29, 3, 0))
    assert open_time_between(utc(2026, 3, 28), utc(2026, 3, 30), calendar) == 2 * H


def test_it_closes_at_the_jump_when_the_closing_time_does_not_exist():
    calendar = sunday_only("Europe/Berlin", "01:00", "02:30")
    # 01:00 CET (00:00 UTC) until the clock jumps past 02:30, at 01:00 UTC: 1 h.
    assert open_time_between(utc(2026, 3, 28), utc(2026, 3, 30), calendar) == H
    check(utc(2026, 3, 28, 12), H, calendar, utc(2026, 3, 29, 1, 0))


def test_it_takes_the_first_occurrence_of_an_ambiguous_boundary():
    opening_in_fold = sunday_only("Europe/Berlin", "02:30", "05:00")
    # Opens at the first 02:30 (CEST, 00:30 UTC), closes 05:00 CET (04:00 UTC): 3:30.
    check(utc(2026, 10, 24, 12), ZERO, opening_in_fold, utc(2026, 10, 25, 0, 30))
    check(utc(2026, 10, 24, 12), 3 * H + 30 * MIN, opening_in_fold, utc(2026, 10, 25, 4, 0))
    assert open_time_between(utc(2026, 10, 24), utc(2026, 10, 26), opening_in_fold) == 3.5 * H

    closing_in_fold = sunday_only("Europe/Berlin", "01:00", "02:30")
    # 01:00 CEST (10-24 23:00 UTC) until the first 02:30 (00:30 UTC): 1:30.
    assert open_time_between(utc(2026, 10, 24), utc(2026, 10, 26), closing_in_fold) == 1.5 * H
    check(utc(2026, 10, 24, 12), 1.5 * H, closing_in_fold, utc(2026, 10, 25, 0, 30))
    # The repeated 02:00-02:30 (CET) is after the close: from the second 02:15 (01:15 UTC)
    # nothing is open until next Sunday 11-01 01:00 CET = 00:00 UTC.
    second_0215 = datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=BERLIN)
    check(second_0215, ZERO, closing_in_fold, utc(2026, 11, 1, 0, 0))


def test_it_counts_real_time_in_a_round_the_clock_berlin_calendar():
    # Saturday 12:00 CET (11:00 UTC) + 24 h = 03-29 11:00 UTC (13:00 CEST), as in 24x7.
    check(datetime(2026, 3, 28, 12, tzinfo=CET), 24 * H, BERLIN_ALL_DAY, utc(2026, 3, 29, 11))
    # Whole days: 23 real hours on 03-29, 25 on 10-25.
    day_0329 = (datetime(2026, 3, 29, tzinfo=CET), datetime(2026, 3, 30, tzinfo=CEST))
    assert open_time_between(*day_0329, BERLIN_ALL_DAY) == 23 * H
    day_1025 = (datetime(2026, 10, 25, tzinfo=CEST), datetime(2026, 10, 26, tzinfo=CET))
    assert open_time_between(*day_1025, BERLIN_ALL_DAY) == 25 * H


def test_it_skips_a_23_hour_and_a_25_hour_holiday():
    # 03-29 off: Saturday 12:00 CET (11:00 UTC) to midnight CET (23:00 UTC) is 12 h; Sunday
    # (23:00 UTC .. 03-29 22:00 UTC) is skipped; + 12 h from 03-29 22:00 UTC = 03-30 10:00 UTC.
    spring = with_holidays(BERLIN_ALL_DAY, date(2026, 3, 29))
    check(datetime(2026, 3, 28, 12, tzinfo=CET), 24 * H, spring, utc(2026, 3, 30, 10))
    # 10-25 off: Saturday 12:00 CEST (10:00 UTC) to midnight (22:00 UTC) is 12 h; Sunday
    # (10-24 22:00 .. 10-25 23:00 UTC) is skipped; + 12 h = 10-26 11:00 UTC (12:00 CET).
    autumn = with_holidays(BERLIN_ALL_DAY, date(2026, 10, 25))
    check(datetime(2026, 10, 24, 12, tzinfo=CEST), 24 * H, autumn, utc(2026, 10, 26, 11))


def test_it_is_unaffected_by_a_berlin_change_outside_its_hours():
    # Friday 03-27 17:00 CET (16:00 UTC) + 4 h: 1 h Friday; Monday 09:00 CEST (07:00 UTC)
    # + 3 h = 10:00 UTC.
    check(datetime(2026, 3, 27, 17, tzinfo=CET), 4 * H, BERLIN_OFFICE, utc(2026, 3, 30, 10))
    # Friday 10-23 17:00 CEST (15:00 UTC) + 4 h: 1 h Friday; Monday 09:00 CET (08:00 UTC)
    # + 3 h = 11:00 UTC.
    check(datetime(2026, 10, 23, 17, tzinfo=CEST), 4 * H, BERLIN_OFFICE, utc(2026, 10, 26, 11))
    # Friday 09:00 CET to Monday 18:00 CEST: two whole days of 9 h.
    friday_to_monday = (
        datetime(2026, 3, 27, 9, tzinfo=CET),
        datetime(2026, 3, 30, 18, tzinfo=CEST),
    )
    assert open_time_between(*friday_to_monday, BERLIN_OFFICE) == 18 * H


# --- DST, southern hemisphere: America/Sao_Paulo (2018/2019) and Australia/Sydney ---------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # A normal night first: Friday 11-02 22:00 BRT (11-03 01:00 UTC) + 8 h = 09:00 UTC.
        (datetime(2018, 11, 2, 22, tzinfo=BRT), 8 * H, utc(2018, 11, 3, 9, 0)),
        # Saturday 11-03 22:00 BRT = 11-04 01:00 UTC. Its 24:00 never shows: the clock jumps
        # to 01:00 BRST at 03:00 UTC, so 22:00-24:00 is 2 h; Sunday 00:00-06:00 runs from the
        # jump (01:00 BRST, 03:00 UTC) to 06:00 BRST (08:00 UTC): 5 h. 7 h in all.
        (datetime(2018, 11, 3, 22, tzinfo=BRT), 7 * H, utc(2018, 11, 4, 8, 0)),
        # 8 h: + 1 h from Sunday 22:00 BRST (11-05 00:00 UTC) -> 11-05 01:00 UTC.
        (datetime(2018, 11, 3, 22, tzinfo=BRT), 8 * H, utc(2018, 11, 5, 1, 0)),
        # 23:30 BRT (02:30 UTC) + 1 h: 30 min to the jump, 30 min after = 01:30 BRST.
        (datetime(2018, 11, 3, 23, 30, tzinfo=BRT), H, utc(2018, 11, 4, 3, 30)),
        # At the jump itself (01:00 BRST = 03:00 UTC), zero: inside, so the start.
        (datetime(2018, 11, 4, 1, 0, tzinfo=BRST), ZERO, utc(2018, 11, 4, 3, 0)),
        # Saturday 02-16 22:00 BRST = 02-17 00:00 UTC. The clock falls back from 24:00 BRST to
        # 23:00 BRT at 02:00 UTC and reaches 24:00 (00:00 BRT) at 03:00 UTC: 3 h; Sunday
        # 00:00-06:00 BRT is 03:00-09:00 UTC: 6 h. 9 h in all.
        (datetime(2019, 2, 16, 22, tzinfo=BRST), 9 * H, utc(2019, 2, 17, 9, 0)),
        # The first 23:30 (BRST, 01:30 UTC) + 2 h = 03:30 UTC = 00:30 BRT.
        (datetime(2019, 2, 16, 23, 30, tzinfo=SAO_PAULO), 2 * H, utc(2019, 2, 17, 3, 30)),
        # The second 23:30 (fold=1, BRT, 02:30 UTC) + 1 h = 03:30 UTC.
        (datetime(2019, 2, 16, 23, 30, fold=1, tzinfo=SAO_PAULO), H, utc(2019, 2, 17, 3, 30)),
    ],
)
def test_it_counts_a_sao_paulo_night_shift_across_dst_changes(start, duration, expected):
    check(start, duration, SAO_PAULO_NIGHTS, expected)


def test_it_measures_the_short_and_the_long_sao_paulo_night():
    # 2 h + 5 h (the spring-forward night) and 3 h + 6 h (the fall-back night).
    assert open_time_between(utc(2018, 11, 3, 12), utc(2018, 11, 4, 12), SAO_PAULO_NIGHTS) == 7 * H
    assert open_time_between(utc(2019, 2, 16, 12), utc(2019, 2, 17, 12), SAO_PAULO_NIGHTS) == 9 * H


def test_it_opens_at_the_jump_when_midnight_does_not_exist():
    # Sao Paulo 2018-11-04 00:00 never happened: a Sunday 00:00-06:00 opens at the jump,
    # 01:00 BRST = 03:00 UTC, and holds 5 h.
    calendar = sunday_only("America/Sao_Paulo", "00:00", "06:00")
    check(utc(2018, 11, 3, 12), ZERO, calendar, utc(2018, 11, 4, 3, 0))
    check(utc(2018, 11, 3, 12), 5 * H, calendar, utc(2018, 11, 4, 8, 0))


def test_it_is_unaffected_by_a_sao_paulo_change_outside_its_hours():
    # Friday 2018-11-02 17:00 BRT (20:00 UTC) + 4 h: 1 h Friday; Monday 09:00 BRST
    # (11:00 UTC) + 3 h = 14:00 UTC.
    start = datetime(2018, 11, 2, 17, tzinfo=BRT)
    check(start, 4 * H, SAO_PAULO_OFFICE, utc(2018, 11, 5, 14))
    # Friday 2019-02-15 17:00 BRST (19:00 UTC) + 4 h: 1 h Friday; Monday 09:00 BRT
    # (12:00 UTC) + 3 h = 15:00 UTC.
    start = datetime(2019, 2, 15, 17, tzinfo=BRST)
    check(start, 4 * H, SAO_PAULO_OFFICE, utc(2019, 2, 18, 15))


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 04-05 00:00 AEDT = 04-04 13:00 UTC; the night to 06:00 AEST (20:00 UTC) is 7 h.
        (datetime(2026, 4, 5, 0, 0, tzinfo=AEDT), 7 * H, utc(2026, 4, 4, 20, 0)),
        # 13:00 UTC + 3 h = 16:00 UTC: the instant the clock falls back to 02:00 AEST.
        (datetime(2026, 4, 5, 0, 0, tzinfo=AEDT), 3 * H, utc(2026, 4, 4, 16, 0)),
        # 10-04 00:00 AEST = 10-03 14:00 UTC; the night to 06:00 AEDT (19:00 UTC) is 5 h.
        (datetime(2026, 10, 4, 0, 0, tzinfo=AEST), 5 * H, utc(2026, 10, 3, 19, 0)),
        # 5 h + 1 h: Monday 10-05 00:00 AEDT = 10-04 13:00 UTC, + 1 h = 14:00 UTC.
        (datetime(2026, 10, 4, 0, 0, tzinfo=AEST), 6 * H, utc(2026, 10, 4, 14, 0)),
    ],
)
def test_it_counts_real_time_across_sydney_changes(start, duration, expected):
    check(start, duration, SYDNEY_EARLY, expected)


def test_it_applies_the_gap_and_fold_rules_in_sydney():
    calendar = sunday_only("Australia/Sydney", "02:30", "05:00")
    # Fall back 04-05: opens at the first 02:30 (AEDT, 04-04 15:30 UTC), closes 05:00 AEST
    # (19:00 UTC): 3:30.
    check(utc(2026, 4, 4), ZERO, calendar, utc(2026, 4, 4, 15, 30))
    check(utc(2026, 4, 4), 3.5 * H, calendar, utc(2026, 4, 4, 19, 0))
    # Spring forward 10-04: 02:30 is skipped, opens at the jump (10-03 16:00 UTC), closes
    # 05:00 AEDT (18:00 UTC): 2 h.
    check(utc(2026, 10, 3), ZERO, calendar, utc(2026, 10, 3, 16, 0))
    check(utc(2026, 10, 3), 2 * H, calendar, utc(2026, 10, 3, 18, 0))


def test_it_skips_easter_holidays_and_the_sydney_change():
    calendar = BusinessCalendar.from_simple(
        "Australia/Sydney",
        every(WORKDAYS, ("09:00", "17:00")),
        holidays=["2026-04-03", "2026-04-06"],  # Good Friday, Easter Monday
    )
    # Thursday 04-02 16:00 AEDT (05:00 UTC) + 2 h: 1 h Thursday; Friday, the weekend (with
    # the change) and Monday closed; Tuesday 09:00 AEST (04-06 23:00 UTC) + 1 h.
    check(datetime(2026, 4, 2, 16, tzinfo=AEDT), 2 * H, calendar, utc(2026, 4, 7, 0, 0))


# --- deadline and open_time_between agree -------------------------------------------------------

SWEEP_DURATIONS = (ZERO, US, SEC, 30 * MIN, 4 * H, 6 * H, 8 * H, 27 * H)


@pytest.mark.parametrize(
    ("calendar", "first_start"),
    [
        (ALWAYS, utc(2026, 3, 27)),
        (OFFICE, utc(2026, 3, 5)),
        (LUNCH, utc(2026, 3, 5)),
        (NIGHTS, utc(2026, 3, 5)),
        (with_holidays(NIGHTS, date(2026, 3, 7), date(2026, 3, 10)), utc(2026, 3, 5)),
        (BERLIN_EARLY, utc(2026, 3, 27)),
        (BERLIN_EARLY, utc(2026, 10, 23)),
        (BERLIN_OFFICE, utc(2026, 3, 26)),
        (with_holidays(BERLIN_ALL_DAY, date(2026, 10, 25)), utc(2026, 10, 23)),
        (sunday_only("Europe/Berlin", "02:30", "05:00"), utc(2026, 3, 27)),
        (sunday_only("Europe/Berlin", "01:00", "02:30"), utc(2026, 10, 23)),
        (SAO_PAULO_NIGHTS, utc(2018, 11, 2)),
        (SAO_PAULO_NIGHTS, utc(2019, 2, 15)),
        (SYDNEY_EARLY, utc(2026, 4, 2)),
        (SYDNEY_EARLY, utc(2026, 10, 1)),
    ],
)
def test_it_agrees_with_open_time_between_on_a_sweep(calendar, first_start):
    """Starts every 53 min for 4 days around a change, several durations each."""
    for step in range(4 * 24 * 60 // 53):
        start = first_start + step * 53 * MIN + step * 7 * SEC
        for duration in SWEEP_DURATIONS:
            result = deadline(start, duration, calendar)
            assert result.tzinfo is UTC
            assert result >= start
            assert open_time_between(start, result, calendar) == duration
            if duration:
                # The earliest such instant: a microsecond earlier is not enough.
                assert open_time_between(start, result - US, calendar) == duration - US
                # Splitting a duration in two gives the same deadline.
                half = duration // 2 or duration
                resumed = deadline(deadline(start, duration - half, calendar), half, calendar)
                assert resumed == result
            else:
                # Zero: the result is open (the next microsecond counts) and nothing before it.
                assert open_time_between(result, result + US, calendar) == US
                assert open_time_between(start, result, calendar) == ZERO
            # Additivity of open_time_between at an arbitrary middle point.
            end = result + 3 * H
            middle = start + (end - start) // 3
            assert open_time_between(start, end, calendar) == open_time_between(
                start, middle, calendar
            ) + open_time_between(middle, end, calendar)


# --- Efficiency ---------------------------------------------------------------------------------


def test_it_jumps_whole_intervals(monkeypatch):
    calls: list[tuple[date, time]] = []
    first_reach = deadlines._first_reach

    def counting(day, at, zone):
        calls.append((day, at))
        return first_reach(day, at, zone)

    monkeypatch.setattr(deadlines, "_first_reach", counting)
    eight_hours = BusinessCalendar.from_simple(
        "America/Sao_Paulo", every(WORKDAYS, ("09:00", "17:00"))
    )
    # Friday 15:00 + 6 h: 2 h on Friday, 4 h on Monday -> Monday 13:00. The walk converts the
    # two boundaries of Thursday (the safety day before), Friday and Monday, and nothing for
    # the weekend: 6 conversions.
    assert deadline(brt(2026, 3, 6, 15, 0), 6 * H, eight_hours) == brt(2026, 3, 9, 13, 0)
    assert len(calls) <= 6


# --- Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("calendar", [ALWAYS, OFFICE])
def test_it_rejects_a_naive_start(calendar):
    naive = datetime(2026, 3, 2, 10, 0)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(naive, H, calendar)
    with pytest.raises(ValueError, match="timezone-aware"):
        open_time_between(naive, utc(2026, 3, 3), calendar)
    with pytest.raises(ValueError, match="timezone-aware"):
        open_time_between(utc(2026, 3, 1), naive, calendar)


@pytest.mark.parametrize("calendar", [ALWAYS, OFFICE])
def test_it_rejects_a_negative_duration_and_a_reversed_range(calendar):
    with pytest.raises(ValueError, match="negative"):
        deadline(utc(2026, 3, 2), -SEC, calendar)
    with pytest.raises(ValueError, match="before start"):
        open_time_between(utc(2026, 3, 2), utc(2026, 3, 1), calendar)


@pytest.mark.parametrize("calendar", [None, "24x7", {"tz": "UTC"}])
def test_it_rejects_anything_but_always_or_a_business_calendar(calendar):
    with pytest.raises(TypeError, match="ALWAYS"):
        deadline(utc(2026, 3, 2), H, calendar)
    with pytest.raises(TypeError, match="ALWAYS"):
        open_time_between(utc(2026, 3, 2), utc(2026, 3, 3), calendar)


@pytest.mark.parametrize("weekly_hours", [{}, {0: ()}, {day: [] for day in range(7)}])
def test_it_rejects_a_calendar_without_open_hours(weekly_hours):
    with pytest.raises(ValueError, match="at least one open interval"):
        BusinessCalendar("UTC", weekly_hours)


def test_it_rejects_empty_simple_data():
    with pytest.raises(ValueError, match="at least one open interval"):
        BusinessCalendar.from_simple("UTC", {"mon": [], "sat": []})


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus_Mons", "", "America", "../etc/passwd", "/etc/localtime", "localtime"]
)
def test_it_rejects_an_unknown_zone(tz):
    with pytest.raises(ValueError, match="zone"):
        BusinessCalendar(tz, {0: ((time(9), time(18)),)})


@pytest.mark.parametrize(
    "intervals",
    [
        ((time(9), time(12)), (time(11), time(18))),  # 11:00-12:00 in both
        ((time(11), time(18)), (time(9), time(12))),  # same, given out of order
        ((time(9), time(18)), (time(9), time(18))),  # the same interval twice
        ((time(9), time(18)), (time(12), time(13))),  # one inside the other
        ((time(22), END_OF_DAY), (time(23), time(23, 30))),  # inside "until midnight"
        ((time(0), END_OF_DAY), (time(0), time(6))),  # the whole day and part of it
    ],
)
def test_it_rejects_overlapping_intervals(intervals):
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", {0: intervals})


@pytest.mark.parametrize(
    "interval",
    [
        (time(18), time(9)),  # reversed
        (time(22), time(6)),  # an overnight shift must be split at midnight
        (time(9), time(9)),  # empty
    ],
)
def test_it_rejects_reversed_or_empty_intervals(interval):
    with pytest.raises(ValueError, match="empty or reversed"):
        BusinessCalendar("UTC", {0: (interval,)})


@pytest.mark.parametrize(
    ("weekly_hours", "error", "message"),
    [
        ({7: ((time(9), time(18)),)}, ValueError, "weekday"),
        ({-1: ((time(9), time(18)),)}, ValueError, "weekday"),
        ({"mon": ((time(9), time(18)),)}, ValueError, "weekday"),
        ({0: ((time(9), time.max),)}, ValueError, "time.max"),
        ({0: ((time(9, tzinfo=UTC), time(18)),)}, ValueError, "without tzinfo"),
        ({0: ((time(9), time(12), time(18)),)}, ValueError, "pair"),
        ({0: (("09:00", "18:00"),)}, TypeError, "times"),
        ([(time(9), time(18))], TypeError, "mapping"),
    ],
)
def test_it_rejects_malformed_weekly_hours(weekly_hours, error, message):
    with pytest.raises(error, match=message):
        BusinessCalendar("UTC", weekly_hours)


def test_it_rejects_a_datetime_as_holiday():
    with pytest.raises(TypeError, match="dates"):
        BusinessCalendar("UTC", {0: ((time(9), time(18)),)}, frozenset({utc(2026, 3, 2)}))


def test_it_gives_up_after_the_search_horizon():
    # Open on Mondays only, and every Monday for six years is a holiday.
    mondays = frozenset(date(2026, 3, 2) + timedelta(weeks=week) for week in range(6 * 53))
    calendar = BusinessCalendar("UTC", {0: ((time(9), time(18)),)}, mondays)
    with pytest.raises(DeadlineOutOfRangeError, match="days"):
        deadline(utc(2026, 3, 2), H, calendar)
    assert issubclass(DeadlineOutOfRangeError, ValueError)
    # open_time_between has no horizon: it just finds nothing.
    assert open_time_between(utc(2026, 3, 2), utc(2027, 3, 2), calendar) == ZERO


# --- Building calendars from stored data ------------------------------------------------------


def test_it_builds_a_calendar_from_simple_data():
    calendar = BusinessCalendar.from_simple(
        "America/Sao_Paulo",
        {
            "Mon": [["13:00", "18:00"], ["9:00", "12:00"]],
            "SATURDAY": [["22:00", "24:00"]],
            "sun": [["00:00", "06:00:30"]],
        },
        holidays=["2026-12-25", date(2026, 1, 1)],
    )
    assert calendar == BusinessCalendar(
        tz="America/Sao_Paulo",
        weekly_hours={
            0: ((time(9), time(12)), (time(13), time(18))),
            5: ((time(22), time(0)),),
            6: ((time(0), time(6, 0, 30)),),
        },
        holidays=frozenset({date(2026, 12, 25), date(2026, 1, 1)}),
    )
    assert calendar.to_simple() == {
        "tz": "America/Sao_Paulo",
        "hours": {
            "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
            "sat": [["22:00", "24:00"]],
            "sun": [["00:00", "06:00:30"]],
        },
        "holidays": ["2026-01-01", "2026-12-25"],
    }
    assert BusinessCalendar.from_simple(**calendar.to_simple()) == calendar


def test_it_accepts_00_00_as_an_end_meaning_midnight():
    calendar = BusinessCalendar.from_simple("UTC", {"mon": [["22:00", "00:00"]]})
    assert calendar.weekly_hours == {0: ((time(22), END_OF_DAY),)}
    # Monday 2026-03-02 22:00 to Tuesday 00:00 UTC.
    assert open_time_between(utc(2026, 3, 2), utc(2026, 3, 4), calendar) == 2 * H


@pytest.mark.parametrize(
    ("hours", "holidays", "message"),
    [
        ({"funday": [["09:00", "18:00"]]}, (), "unknown day"),
        ({"mon": [["09:00", "18:00"]], "MON": [["19:00", "20:00"]]}, (), "twice"),
        ({"mon": [["09:00", "25:00"]]}, (), "not a valid time"),
        ({"mon": [["09:60", "18:00"]]}, (), "not a valid time"),
        ({"mon": [["24:00", "18:00"]]}, (), "24:00 can only end"),
        ({"mon": [["9", "18"]]}, (), "HH:MM"),
        ({"mon": [[9, 18]]}, (), "HH:MM"),
        ({"mon": [["09:00", "12:00", "18:00"]]}, (), "pair"),
        ({"mon": "09:00-18:00"}, (), "list"),
        ({"mon": [["18:00", "09:00"]]}, (), "empty or reversed"),
        ({"mon": [["09:00", "12:00"], ["11:00", "18:00"]]}, (), "overlap"),
        ({"mon": [["09:00", "18:00"]]}, ["2026-13-01"], "ISO date"),
        ({"mon": [["09:00", "18:00"]]}, [20260101], "ISO date"),
    ],
)
def test_it_rejects_malformed_simple_data(hours, holidays, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_simple("UTC", hours, holidays)


def test_it_reads_a_stored_calendar():
    assert calendar_from_data("24x7") is ALWAYS
    assert ALWAYS is TwentyFourSeven.ALWAYS
    assert ALWAYS.value == "24x7"
    stored = {"tz": "America/Sao_Paulo", "hours": every(WORKDAYS, ("09:00", "18:00"))}
    assert calendar_from_data(stored) == OFFICE
    assert calendar_from_data(OFFICE.to_simple()) == OFFICE


@pytest.mark.parametrize(
    "data", ["24/7", "", {"hours": {}}, {"tz": "UTC"}, {"tz": "UTC", "hours": {}, "x": 1}, 7]
)
def test_it_rejects_an_unknown_stored_calendar(data):
    with pytest.raises(ValueError, match=r"calendar|tz|hours|open interval"):
        calendar_from_data(data)


def test_it_keeps_calendars_immutable_hashable_and_picklable():
    unsorted = BusinessCalendar(
        "America/Sao_Paulo",
        {day: ((time(13), time(18)), (time(9), time(12))) for day in range(5)},
    )
    assert unsorted == LUNCH
    assert hash(unsorted) == hash(LUNCH)
    assert len({unsorted, LUNCH}) == 1
    assert pickle.loads(pickle.dumps(LUNCH)) == LUNCH  # noqa: S301 - our own data
    assert copy.deepcopy(LUNCH) == LUNCH
    with pytest.raises(dataclasses.FrozenInstanceError):
        LUNCH.tz = "UTC"  # type: ignore[misc]
    with pytest.raises(TypeError):
        LUNCH.weekly_hours[5] = ((time(9), time(12)),)  # type: ignore[index]
    assert LUNCH.zone == ZoneInfo("America/Sao_Paulo")
    assert with_holidays(OFFICE, date(2026, 3, 9)) != OFFICE
