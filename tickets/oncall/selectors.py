"""Reads of the on-call rota and paging (SPEC §11)."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from tickets.models import Override, Page, Rotation, RotationMember, Ticket
from tickets.rota import LEVELS, Segment, load_rota, on_call_at, timeline

on_call = on_call_at


def rotations() -> QuerySet[Rotation]:
    members = Prefetch("memberships",
                       queryset=RotationMember.objects.select_related("user").order_by("position"))
    return Rotation.objects.prefetch_related(members).order_by("level", "-starts_at", "-pk")


def overrides(*, current_only: bool = False) -> QuerySet[Override]:
    qs = Override.objects.select_related("user", "created_by").order_by("-starts_at", "-pk")
    return qs.filter(ends_at__gt=timezone.now()) if current_only else qs


def pages(ticket: Ticket | None = None) -> QuerySet[Page]:
    qs = Page.objects.select_related("user", "acknowledged_by")
    if ticket is not None:
        return qs.filter(ticket=ticket).order_by("created_at", "level", "pk")
    return qs.order_by("-created_at", "-pk")


def schedule(start: datetime | None = None, days: int = 14) -> dict[int, list[Segment]]:
    """Who is on call at each level over the next ``days`` days (three queries)."""
    start = start or timezone.now()
    end = start + timedelta(days=days)
    rota = load_rota(start, end)
    return {level: timeline(level, start, end, *rota) for level in LEVELS}
