"""TAM dashboards and the portfolio (SPEC §6): every figure comes from a few grouped queries
in the database; no ticket is loaded into Python. The query count does not grow with the
number of tickets."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from accounts.models import Company, Contact, ProactiveNote, Role, User
from accounts.selectors import companies_with_counts
from tickets.cadence import update_counts
from tickets.models import OPEN_STATUSES, SIGNATURE_IN_FLIGHT, SignatureRequest, Ticket

SEVERITIES = (1, 2, 3, 4)
TREND_WEEKS = 12
LICENSE_WARNING_DAYS = 60


class Percentile(Aggregate):
    """PostgreSQL's ordered-set ``percentile_cont``. Over an interval it returns an interval."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _percent(part: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


@dataclass
class Dashboard:
    company: Company
    contacts: list[Contact]
    contacts_active: int
    contacts_limit: int
    open_by_severity: dict[str, int]
    open_by_status: dict[str, int]
    compliance_30d: float | None
    compliance_90d: float | None
    responded_30d: int
    responded_90d: int
    breaches_30d: int
    breaches_90d: int
    first_response: dict[str, dict[str, int | None]]
    weekly: list[dict[str, Any]]
    signature_requests: list[SignatureRequest]
    notes: list[ProactiveNote]
    license_days_left: int
    generated_at: datetime = field(default_factory=timezone.now)
    # Update compliance (SPEC §12): updates on time ÷ updates due over 30 and 90 days.
    update_compliance_30d: float | None = None
    update_compliance_90d: float | None = None
    updates_due_30d: int = 0
    updates_due_90d: int = 0


def _sla_counts(tickets: QuerySet[Ticket], now: datetime) -> dict[str, int]:
    """Responded, responded in time and breaches over 30 and 90 days: one query."""
    since30, since90 = now - timedelta(days=30), now - timedelta(days=90)
    in_time = Q(first_response_at__lte=F("response_due_at"))
    r30 = Q(first_response_at__gt=since30, first_response_at__lte=now)
    r90 = Q(first_response_at__gt=since90, first_response_at__lte=now)
    return tickets.aggregate(
        responded_30d=Count("pk", filter=r30), met_30d=Count("pk", filter=r30 & in_time),
        responded_90d=Count("pk", filter=r90), met_90d=Count("pk", filter=r90 & in_time),
        breaches_30d=Count("pk", filter=Q(response_breached_at__gt=since30,
                                          response_breached_at__lte=now)),
        breaches_90d=Count("pk", filter=Q(response_breached_at__gt=since90,
                                          response_breached_at__lte=now)),
    )


def _first_response_stats(tickets: QuerySet[Ticket], now: datetime
                          ) -> dict[str, dict[str, int | None]]:
    """Median and 90th percentile of time to first response per severity, last 90 days."""
    stats: dict[str, dict[str, int | None]] = {
        str(s): {"count": 0, "median_seconds": None, "p90_seconds": None} for s in SEVERITIES
    }
    responded = tickets.filter(first_response_at__gt=now - timedelta(days=90),
                               first_response_at__lte=now)
    wait = F("first_response_at") - F("created_at")
    if connection.vendor == "postgresql":
        rows = responded.values("severity").order_by("severity").annotate(
            count=Count("pk"), median=Percentile(wait, 0.5), p90=Percentile(wait, 0.9),
        )
        for row in rows:
            stats[str(row["severity"])] = {"count": row["count"],
                                           "median_seconds": _seconds(row["median"]),
                                           "p90_seconds": _seconds(row["p90"])}
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
                                "median_seconds": round(_cont(values, 0.5)),
                                "p90_seconds": round(_cont(values, 0.9))}
    return stats


def _cont(sorted_values: list[float], fraction: float) -> float:
    """percentile_cont over sorted values (linear interpolation between closest ranks)."""
    position = fraction * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _weeks(now: datetime) -> list[date]:
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]


def _weekly_trend(tickets: QuerySet[Ticket], now: datetime) -> list[dict[str, Any]]:
    """Tickets filed and compliance per week (Monday-based, UTC), last 12 weeks: two queries."""
    weeks = _weeks(now)
    start = datetime.combine(weeks[0], datetime.min.time(), tzinfo=timezone.get_current_timezone())
    filed = {
        row["week"].date(): row["n"]
        for row in tickets.filter(created_at__gte=start, created_at__lte=now)
        .annotate(week=TruncWeek("created_at")).values("week").order_by("week")
        .annotate(n=Count("pk"))
    }
    answered = {
        row["week"].date(): row
        for row in tickets.filter(first_response_at__gte=start, first_response_at__lte=now)
        .annotate(week=TruncWeek("first_response_at")).values("week").order_by("week")
        .annotate(responded=Count("pk"),
                  met=Count("pk", filter=Q(first_response_at__lte=F("response_due_at"))))
    }
    trend = []
    for week in weeks:
        row = answered.get(week, {"responded": 0, "met": 0})
        trend.append({"week": week.isoformat(), "filed": filed.get(week, 0),
                      "responded": row["responded"], "met": row["met"],
                      "compliance": _percent(row["met"], row["responded"])})
    return trend


def dashboard_for(company: Company, now: datetime | None = None) -> Dashboard:
    """All figures of one account. Queries: company (by the caller), contacts, open counts,
    SLA counts, first-response percentiles, weekly filed, weekly responded, signature
    requests in flight, notes, update compliance — ten, however many tickets the account
    has."""
    now = now or timezone.now()
    tickets = Ticket.objects.filter(company_id=company.pk)
    contacts = list(Contact.objects.filter(company_id=company.pk).select_related("user")
                    .order_by("-is_active", "user__full_name"))
    open_by_severity = {str(s): 0 for s in SEVERITIES}
    open_by_status = {str(s): 0 for s in OPEN_STATUSES}
    for row in tickets.filter(status__in=OPEN_STATUSES).values("severity", "status") \
            .order_by().annotate(n=Count("pk")):
        open_by_severity[str(row["severity"])] += row["n"]
        open_by_status[row["status"]] += row["n"]
    counts = _sla_counts(tickets, now)
    in_flight = list(
        SignatureRequest.objects.filter(
            ticket__company_id=company.pk,
            status__in=SIGNATURE_IN_FLIGHT,
        ).select_related("ticket").order_by("created_at")
    )
    notes = list(ProactiveNote.objects.filter(company_id=company.pk).select_related("author"))
    updates = update_counts(tickets, {"30d": (now - timedelta(days=30), now),
                                      "90d": (now - timedelta(days=90), now)})
    return Dashboard(
        company=company, contacts=contacts,
        contacts_active=sum(1 for c in contacts if c.is_active),
        contacts_limit=company.plan.contact_limit,
        open_by_severity=open_by_severity, open_by_status=open_by_status,
        compliance_30d=_percent(counts["met_30d"], counts["responded_30d"]),
        compliance_90d=_percent(counts["met_90d"], counts["responded_90d"]),
        responded_30d=counts["responded_30d"], responded_90d=counts["responded_90d"],
        breaches_30d=counts["breaches_30d"], breaches_90d=counts["breaches_90d"],
        first_response=_first_response_stats(tickets, now),
        weekly=_weekly_trend(tickets, now), signature_requests=in_flight, notes=notes,
        license_days_left=(company.license_valid_until - timezone.localdate(now)).days,
        generated_at=now,
        update_compliance_30d=_percent(*updates["30d"]),
        update_compliance_90d=_percent(*updates["90d"]),
        updates_due_30d=updates["30d"][1], updates_due_90d=updates["90d"][1],
    )


def portfolio_for(user: User, now: datetime | None = None) -> list[Company]:
    """The user's accounts, riskiest first, each annotated with its risk figures — one query.

    A TAM gets the accounts assigned to them; admins and engineers get every account.
    Risk = 3 × breaches in 30 days + 2 × at-risk tickets now + 2 × open severity-1/2 tickets
    + 5 if the license ends within 60 days (10 if it has ended).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    companies = companies_with_counts()
    if not user.can_see_dashboards:
        return []
    if user.role == Role.TAM:
        companies = companies.filter(tam=user)

    def count(condition: Q) -> Coalesce:
        return Coalesce(Subquery(
            Ticket.objects.filter(condition, company_id=OuterRef("pk")).order_by()
            .values("company_id").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ), Value(0))

    unanswered_open = Q(first_response_at__isnull=True, status__in=OPEN_STATUSES)
    rows = companies.annotate(
        breaches_30d=count(Q(response_breached_at__gt=now - timedelta(days=30))),
        at_risk_now=count(unanswered_open & Q(response_warn_at__lte=now,
                                              response_due_at__gt=now)),
        breached_open=count(unanswered_open & Q(response_due_at__lte=now)),
        open_high=count(Q(status__in=OPEN_STATUSES, severity__in=(1, 2))),
        open_total=count(Q(status__in=OPEN_STATUSES)),
        has_signature_in_flight=Exists(SignatureRequest.objects.filter(
            ticket__company_id=OuterRef("pk"),
            status__in=SIGNATURE_IN_FLIGHT)),
    )
    result: list[Company] = list(rows)
    for company in result:
        days_left = (company.license_valid_until - today).days
        company.license_days_left = days_left  # type: ignore[attr-defined]
        license_risk = 10 if days_left < 0 else 5 if days_left <= LICENSE_WARNING_DAYS else 0
        company.risk_score = (  # type: ignore[attr-defined]
            3 * company.breaches_30d + 2 * company.at_risk_now  # type: ignore[attr-defined]
            + 2 * company.open_high + license_risk  # type: ignore[attr-defined]
        )
    result.sort(key=lambda c: (-c.risk_score, c.name))  # type: ignore[attr-defined]
    return result
