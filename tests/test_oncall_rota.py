"""Rota arithmetic (SPEC §11): member i on call in shift i modulo the list, overrides win for
their interval, boundaries exact to the second. Pure functions: no database."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tickets.rota import RotaOverride, RotaRotation, Segment, timeline, who_at

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Person:
    name: str
    is_active: bool = True


ANA, BEN, CAI, DIA = Person("Ana"), Person("Ben"), Person("Cai"), Person("Dia")
WEEKLY = RotaRotation(level=1, starts_at=START, shift_hours=24 * 7, members=(ANA, BEN, CAI))


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


@pytest.mark.parametrize(("when", "expected"), [
    (START, ANA),
    (at(24 * 7) - SECOND, ANA),
    (at(24 * 7), BEN),
    (at(24 * 14) - SECOND, BEN),
    (at(24 * 14), CAI),
    (at(24 * 21), ANA),  # modulo the list
    (at(24 * 7 * 301 + 1), BEN),  # long after the start
])
def test_it_puts_member_i_on_call_in_shift_i_modulo_the_list(when, expected):
    assert who_at(1, when, [WEEKLY], []) == (expected, False)


def test_it_has_nobody_before_the_rotation_starts_or_at_another_level():
    assert who_at(1, START - SECOND, [WEEKLY], []) == (None, False)
    assert who_at(2, START, [WEEKLY], []) == (None, False)


def test_it_lets_an_override_win_for_its_half_open_interval():
    override = RotaOverride(level=1, starts_at=at(10), ends_at=at(20), user=DIA)
    assert who_at(1, at(10) - SECOND, [WEEKLY], [override]) == (ANA, False)
    assert who_at(1, at(10), [WEEKLY], [override]) == (DIA, True)
    assert who_at(1, at(20) - SECOND, [WEEKLY], [override]) == (DIA, True)
    assert who_at(1, at(20), [WEEKLY], [override]) == (ANA, False)
    # Only at its own level.
    assert who_at(2, at(15), [WEEKLY], [override]) == (None, False)


def test_it_lets_the_latest_override_win_where_two_overlap():
    first = RotaOverride(level=1, starts_at=at(0), ends_at=at(30), user=BEN, order=1)
    later = RotaOverride(level=1, starts_at=at(10), ends_at=at(20), user=CAI, order=2)
    assert who_at(1, at(5), [WEEKLY], [first, later])[0] == BEN
    assert who_at(1, at(15), [WEEKLY], [later, first])[0] == CAI
    assert who_at(1, at(25), [WEEKLY], [first, later])[0] == BEN


def test_it_uses_the_rotation_that_started_last():
    newer = RotaRotation(level=1, starts_at=at(48), shift_hours=12, members=(DIA, BEN))
    assert who_at(1, at(48) - SECOND, [WEEKLY, newer], [])[0] == ANA
    assert who_at(1, at(48), [WEEKLY, newer], [])[0] == DIA
    assert who_at(1, at(60), [newer, WEEKLY], [])[0] == BEN


def test_it_leaves_the_shift_empty_for_an_inactive_member():
    gone = Person("Gone", is_active=False)
    rotation = RotaRotation(level=2, starts_at=START, shift_hours=8, members=(gone, ANA))
    assert who_at(2, at(1), [rotation], []) == (None, False)
    assert who_at(2, at(8), [rotation], [])[0] == ANA


def test_it_lays_out_the_timeline_with_overrides_and_merges_neighbours():
    daily = RotaRotation(level=1, starts_at=START, shift_hours=24, members=(ANA, BEN))
    override = RotaOverride(level=1, starts_at=at(30), ends_at=at(36), user=CAI)
    segments = timeline(1, at(12), at(72), [daily], [override])
    assert segments == [
        Segment(at(12), at(24), ANA),
        Segment(at(24), at(30), BEN),
        Segment(at(30), at(36), CAI, override=True),
        Segment(at(36), at(48), BEN),
        Segment(at(48), at(72), ANA),
    ]
    # One person in a one-member rotation: a single merged segment.
    solo = RotaRotation(level=2, starts_at=START, shift_hours=6, members=(DIA,))
    assert timeline(2, START, at(48), [solo], []) == [Segment(START, at(48), DIA)]


def test_it_shows_nobody_before_the_start_in_the_timeline():
    segments = timeline(1, START - timedelta(hours=5), at(1), [WEEKLY], [])
    assert segments == [Segment(START - timedelta(hours=5), START, None),
                        Segment(START, at(1), ANA)]
