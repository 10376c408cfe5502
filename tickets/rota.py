"""Who is on call (SPEC §11): rota arithmetic over rotations and overrides.

The arithmetic is pure (``who_at``, ``timeline`` take the rota as plain values and run no
query), so it is tested at its boundaries without a database; ``load_rota`` reads the rota in
two queries and ``on_call_at`` answers "who is on call at this instant" for paging and the API.

Rules: an override active at the instant (``starts_at <= at < ends_at``) wins for its level —
the most recently created one when several overlap. Otherwise the rotation of that level that
started most recently (``starts_at <= at``) decides: member *i* (0-based, in order) is on call
in shift *i* modulo the number of members, shifts of ``shift_hours`` counted from its start. A
member whose account is inactive leaves the shift empty (the level is then skipped).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import User
from tickets.models import Override, Rotation, RotationMember

LEVELS = (1, 2)


@dataclass(frozen=True)
class RotaRotation:
    level: int
    starts_at: datetime
    shift_hours: int
    members: tuple[Any, ...]  # users, in order


@dataclass(frozen=True)
class RotaOverride:
    level: int
    starts_at: datetime
    ends_at: datetime
    user: Any
    order: int = 0  # later created wins among overlapping overrides


@dataclass(frozen=True)
class Segment:
    """``user`` (or nobody) on call from ``starts_at`` until ``ends_at``."""

    starts_at: datetime
    ends_at: datetime
    user: Any
    override: bool = False


def shift_index(rotation: RotaRotation, at: datetime) -> int:
    """How many whole shifts of ``rotation`` have passed at ``at`` (``at >= starts_at``)."""
    return int((at - rotation.starts_at) // timedelta(hours=rotation.shift_hours))


def _active(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_active", True) else None


def who_at(level: int, at: datetime, rotations: Sequence[RotaRotation],
           overrides: Sequence[RotaOverride]) -> tuple[Any, bool]:
    """(user or ``None``, whether an override decided) at ``level`` at the instant ``at``."""
    winning = [o for o in overrides if o.level == level and o.starts_at <= at < o.ends_at]
    if winning:
        return _active(max(winning, key=lambda o: o.order).user), True
    started = [r for r in rotations if r.level == level and r.starts_at <= at and r.members]
    if not started:
        return None, False
    rotation = max(started, key=lambda r: r.starts_at)
    return _active(rotation.members[shift_index(rotation, at) % len(rotation.members)]), False


def _boundaries(level: int, start: datetime, end: datetime, rotations: Sequence[RotaRotation],
                overrides: Sequence[RotaOverride]) -> list[datetime]:
    """Every instant in [start, end) where who is on call at ``level`` may change."""
    points = {start}
    for rotation in rotations:
        if rotation.level != level or rotation.starts_at >= end:
            continue
        shift = timedelta(hours=rotation.shift_hours)
        first = rotation.starts_at if rotation.starts_at >= start else \
            rotation.starts_at + shift * (shift_index(rotation, start) + 1)
        point = first
        while point < end:
            points.add(point)
            point += shift
    for override in overrides:
        if override.level == level:
            points.update(p for p in (override.starts_at, override.ends_at) if start < p < end)
    return sorted(points)


def timeline(level: int, start: datetime, end: datetime, rotations: Sequence[RotaRotation],
             overrides: Sequence[RotaOverride]) -> list[Segment]:
    """Who is on call at ``level`` over [start, end), as consecutive segments (neighbours with
    the same person and origin merged)."""
    points = _boundaries(level, start, end, rotations, overrides)
    segments: list[Segment] = []
    for begin, finish in zip(points, [*points[1:], end], strict=True):
        user, by_override = who_at(level, begin, rotations, overrides)
        last = segments[-1] if segments else None
        if last is not None and last.user == user and last.override == by_override:
            segments[-1] = Segment(last.starts_at, finish, user, by_override)
        else:
            segments.append(Segment(begin, finish, user, by_override))
    return segments


def load_rota(start: datetime, end: datetime | None = None) -> tuple[list[RotaRotation],
                                                                   list[RotaOverride]]:
    """The rota relevant to [start, end] (an instant when ``end`` is None): two queries
    (rotations with their ordered members, overrides with their users)."""
    end = end or start
    members = Prefetch("memberships",
                       queryset=RotationMember.objects.select_related("user").order_by("position"))
    rotations = [
        RotaRotation(r.level, r.starts_at, r.shift_hours,
                     tuple(m.user for m in r.memberships.all()))
        for r in Rotation.objects.filter(starts_at__lte=end).prefetch_related(members)
    ]
    overrides = [
        RotaOverride(o.level, o.starts_at, o.ends_at, o.user, order=o.pk)
        for o in Override.objects.filter(starts_at__lte=end, ends_at__gt=start)
        .select_related("user")
    ]
    return rotations, overrides


def on_call_at(at: datetime | None = None) -> dict[int, User | None]:
    """Who is on call at each level at ``at`` (now by default): ``{1: user|None, 2: …}``."""
    at = at or timezone.now()
    rotations, overrides = load_rota(at)
    return {level: who_at(level, at, rotations, overrides)[0] for level in LEVELS}
