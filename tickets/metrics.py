"""The SLA figures of one account over a period, computed in the database (SPEC §4, §6, §15).

The TAM dashboard (the 30 and 90 days up to now) and the monthly service review (a calendar
month in the company's time zone) call these same functions with their own periods, so the two
can never disagree on what "responded", "in time", "a breach" or "the median first response"
means. Each function is one grouped query, whatever the number of tickets; no ticket is loaded
into Python (except on SQLite, the embedded demo database, which has no percentile aggregate).

A period is half-open, ``[start, end)``: an event at exactly ``end`` belongs to the next one, so
consecutive months never count anything twice.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet
from django.db.models.functions import TruncWeek

from tickets.models import SignatureRequest, SignatureStatus, Ticket, UpdateInterval

SEVERITIES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` between two aware datetimes."""

    start: datetime
    end: datetime

    @classmethod
    def month(cls, year: int, month: int, tz: tzinfo) -> "Period":
        """A calendar month as the clocks of ``tz`` show it (a DST change inside it makes it an
        hour shorter or longer than its days)."""
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        return cls(datetime(year, month, 1, tzinfo=tz), datetime(*following, 1, tzinfo=tz))

    @classmethod
    def days_before(cls, end: datetime, days: int) -> "Period":
        return cls(end - timedelta(days=days), end)

    def q(self, field: str) -> Q:
        """``field`` falls inside the period."""
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def weeks(self, tz: tzinfo) -> list[date]:
        """The Mondays (in ``tz``) of the weeks the period touches, oldest first."""
        first = self.start.astimezone(tz).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(tz).date()
        monday = first - timedelta(days=first.weekday())
        weeks = []
        while monday <= last:
            weeks.append(monday)
            monday += timedelta(weeks=1)
        return weeks


class Percentile(Aggregate):
    """PostgreSQL's ordered-set ``percentile_cont``. Over an interval it returns an interval."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent to one decimal; ``None`` when there is no whole."""
    return None if not whole else round(100.0 * part / whole, 1)


def seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


def percentile_cont(sorted_values: list[float], fraction: float) -> float:
    """``percentile_cont`` over sorted values (linear interpolation between closest ranks), for
    SQLite."""
    position = fraction * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# --- First-response SLA -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaCounts:
    """Tickets first responded in the period, how many of them within their target, and the
    breaches flagged in the period (SPEC §4, §6: compliance = in time ÷ responded)."""

    responded: int
    met: int
    breaches: int

    @property
    def compliance(self) -> float | None:
        return percent(self.met, self.responded)


IN_TIME = Q(first_response_at__lte=F("response_due_at"))


def sla_counts(tickets: QuerySet[Ticket], periods: Mapping[str, Period]) -> dict[str, SlaCounts]:
    """``SlaCounts`` for each named period: one query for all of them."""
    aggregates: dict[str, Any] = {}
    for name, period in periods.items():
        responded = period.q("first_response_at")
        aggregates[f"{name}__responded"] = Count("pk", filter=responded)
        aggregates[f"{name}__met"] = Count("pk", filter=responded & IN_TIME)
        aggregates[f"{name}__breaches"] = Count("pk", filter=period.q("response_breached_at"))
    row = tickets.aggregate(**aggregates)
    return {
        name: SlaCounts(responded=row[f"{name}__responded"], met=row[f"{name}__met"],
                        breaches=row[f"{name}__breaches"])
        for name in periods
    }


def first_response_stats(tickets: QuerySet[Ticket], period: Period
                         ) -> dict[str, dict[str, int | None]]:
    """Per severity: tickets first responded in the period, and the median and 90th percentile
    of their time to first response in seconds (``None`` when none was responded)."""
    stats: dict[str, dict[str, int | None]] = {
        str(s): {"count": 0, "median_seconds": None, "p90_seconds": None} for s in SEVERITIES
    }
    responded = tickets.filter(period.q("first_response_at"))
    wait = F("first_response_at") - F("created_at")
    if connection.vendor == "postgresql":
        rows = responded.values("severity").order_by("severity").annotate(
            count=Count("pk"), median=Percentile(wait, 0.5), p90=Percentile(wait, 0.9),
        )
        for row in rows:
            stats[str(row["severity"])] = {"count": row["count"],
                                           "median_seconds": seconds(row["median"]),
                                           "p90_seconds": seconds(row["p90"])}
        return stats
    # SQLite (the embedded demo) has no percentile aggregate: the same figures from the
    # durations alone, interpolated like percentile_cont.
    by_severity: dict[int, list[float]] = {}
    for severity, created, first in responded.values_list("severity", "created_at",
                                                          "first_response_at"):
        if first is not None:
            by_severity.setdefault(severity, []).append((first - created).total_seconds())
    for severity, values in by_severity.items():
        values.sort()
        stats[str(severity)] = {"count": len(values),
                                "median_seconds": round(percentile_cont(values, 0.5)),
                                "p90_seconds": round(percentile_cont(values, 0.9))}
    return stats


def acknowledge_stats(tickets: QuerySet[Ticket], period: Period) -> dict[str, int | None]:
    """On-call pages (SPEC §11) acknowledged in the period: how many, and the median and
    90th percentile of the time from the first page to the acknowledgement, in seconds
    (``None`` when none was acknowledged). One query."""
    acked = tickets.filter(period.q("paging_acked_at"), paged_at__isnull=False)
    wait = F("paging_acked_at") - F("paged_at")
    if connection.vendor == "postgresql":
        row = acked.aggregate(count=Count("pk"), median=Percentile(wait, 0.5),
                              p90=Percentile(wait, 0.9))
        return {"count": row["count"], "median_seconds": seconds(row["median"]),
                "p90_seconds": seconds(row["p90"])}
    values = sorted((a - p).total_seconds()
                    for p, a in acked.values_list("paged_at", "paging_acked_at")
                    if p is not None and a is not None)
    return {"count": len(values),
            "median_seconds": round(percentile_cont(values, 0.5)) if values else None,
            "p90_seconds": round(percentile_cont(values, 0.9)) if values else None}


def filed_by_severity(tickets: QuerySet[Ticket], period: Period) -> dict[str, int]:
    """Tickets filed in the period per severity: one query."""
    filed = {str(s): 0 for s in SEVERITIES}
    for row in tickets.filter(period.q("created_at")).values("severity").order_by() \
            .annotate(n=Count("pk")):
        filed[str(row["severity"])] = row["n"]
    return filed


def weekly_trend(tickets: QuerySet[Ticket], weeks: list[date], period: Period, tz: tzinfo
                 ) -> list[dict[str, Any]]:
    """Tickets filed, responded and responded in time per week (weeks start on Monday in
    ``tz``), counting only what happened inside ``period``: two queries."""
    filed = {
        row["week"].date(): row["n"]
        for row in tickets.filter(period.q("created_at"))
        .annotate(week=TruncWeek("created_at", tzinfo=tz)).values("week").order_by("week")
        .annotate(n=Count("pk"))
    }
    answered = {
        row["week"].date(): row
        for row in tickets.filter(period.q("first_response_at"))
        .annotate(week=TruncWeek("first_response_at", tzinfo=tz)).values("week")
        .order_by("week").annotate(responded=Count("pk"), met=Count("pk", filter=IN_TIME))
    }
    trend = []
    for week in weeks:
        row = answered.get(week, {"responded": 0, "met": 0})
        trend.append({"week": week.isoformat(), "filed": filed.get(week, 0),
                      "responded": row["responded"], "met": row["met"],
                      "compliance": percent(row["met"], row["responded"])})
    return trend


@dataclass(frozen=True)
class UpdateCounts:
    """Intervals of the update cadence settled in the period (SPEC §12): how many updates were
    due, and how many of them came on time; compliance = on time ÷ due."""

    on_time: int
    due: int

    @property
    def compliance(self) -> float | None:
        return percent(self.on_time, self.due)


def update_counts(tickets: QuerySet[Ticket], periods: Mapping[str, Period]
                  ) -> dict[str, UpdateCounts]:
    """``UpdateCounts`` of ``tickets`` for each named period, by when each interval was settled
    (the update, or the due instant of a missed one): one query for all of them."""
    aggregates: dict[str, Any] = {}
    for name, period in periods.items():
        settled = period.q("settled_at")
        aggregates[f"{name}__due"] = Count("pk", filter=settled)
        aggregates[f"{name}__on_time"] = Count("pk", filter=settled & Q(on_time=True))
    row = UpdateInterval.objects.filter(ticket__in=tickets.values("pk")).aggregate(**aggregates)
    return {name: UpdateCounts(on_time=row[f"{name}__on_time"], due=row[f"{name}__due"])
            for name in periods}


def update_compliance(tickets: QuerySet[Ticket], period: Period) -> float | None:
    """Public staff updates given on time ÷ updates due in the period (SPEC §12); ``None``
    when no update was due, shown as "—" like a compliance with nothing responded."""
    return update_counts(tickets, {"period": period})["period"].compliance


# --- Signature-change requests (SPEC §7) ----------------------------------------------------


def signature_figures(company_id: int, period: Period) -> dict[str, int | None]:
    """Signature requests filed in the period, released (by the release's time) and rejected
    (by the decision's time) in it, and the median time from filing to release of those
    released in it, in seconds: one query."""
    requests = SignatureRequest.objects.filter(ticket__company_id=company_id)
    released = Q(status=SignatureStatus.RELEASED) & period.q("release__released_at")
    rejected = Q(status=SignatureStatus.REJECTED) & period.q("decided_at")
    counts: dict[str, Any] = {
        "filed": Count("pk", filter=period.q("created_at")),
        "released": Count("pk", filter=released),
        "rejected": Count("pk", filter=rejected),
    }
    to_release = F("release__released_at") - F("created_at")
    if connection.vendor == "postgresql":
        row = requests.aggregate(**counts, median=Percentile(to_release, 0.5, filter=released))
        median = seconds(row.pop("median"))
    else:
        row = requests.aggregate(**counts)
        waits = sorted((r - c).total_seconds() for c, r in requests.filter(released)
                       .values_list("created_at", "release__released_at") if r is not None)
        median = round(percentile_cont(waits, 0.5)) if waits else None
    return {**row, "median_seconds_to_release": median}
