"""TAM dashboards and the portfolio (SPEC §6): every figure comes from a few grouped queries
in the database; no ticket is loaded into Python. The query count does not grow with the
number of tickets.

The SLA figures are ``tickets.metrics``'s, over the 30 and 90 days up to now; the monthly
service review (``tickets.reports``) computes its month with the same functions.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Company, Contact, ProactiveNote, Role, User
from accounts.selectors import companies_with_counts
from tickets import metrics
from tickets.metrics import SEVERITIES, Period
from tickets.models import OPEN_STATUSES, SIGNATURE_IN_FLIGHT, SignatureRequest, Ticket

TREND_WEEKS = 12
LICENSE_WARNING_DAYS = 60


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
    # Time to acknowledge an on-call page (SPEC §11) over 30 days: count, median, p90.
    acknowledge_30d: dict[str, int | None] = field(default_factory=dict)


def _weeks(now: datetime) -> list[date]:
    """The Mondays of the last TREND_WEEKS weeks (the current time zone's), this one last."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]


def windows(now: datetime) -> dict[str, Period]:
    """The dashboard's rolling windows: the 30 and 90 days up to ``now``."""
    return {"30d": Period.days_before(now, 30), "90d": Period.days_before(now, 90)}


def weekly_trend(tickets: Any, now: datetime) -> list[dict[str, Any]]:
    """Filed and compliance per week, the last TREND_WEEKS weeks up to now: two queries."""
    weeks = _weeks(now)
    tz = timezone.get_current_timezone()
    start = datetime.combine(weeks[0], datetime.min.time(), tzinfo=tz)
    return metrics.weekly_trend(tickets, weeks, Period(start, now), tz)


def dashboard_for(company: Company, now: datetime | None = None) -> Dashboard:
    """All figures of one account. Queries: company (by the caller), contacts, open counts,
    SLA counts, first-response percentiles, weekly filed, weekly responded, signature
    requests in flight, notes, update compliance, time to acknowledge pages — eleven,
    however many tickets the account has."""
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
    periods = windows(now)
    counts = metrics.sla_counts(tickets, periods)
    c30, c90 = counts["30d"], counts["90d"]
    in_flight = list(
        SignatureRequest.objects.filter(
            ticket__company_id=company.pk,
            status__in=SIGNATURE_IN_FLIGHT,
        ).select_related("ticket").order_by("created_at")
    )
    notes = list(ProactiveNote.objects.filter(company_id=company.pk).select_related("author"))
    updates = metrics.update_counts(tickets, periods)
    return Dashboard(
        company=company, contacts=contacts,
        contacts_active=sum(1 for c in contacts if c.is_active),
        contacts_limit=company.plan.contact_limit,
        open_by_severity=open_by_severity, open_by_status=open_by_status,
        compliance_30d=c30.compliance, compliance_90d=c90.compliance,
        responded_30d=c30.responded, responded_90d=c90.responded,
        breaches_30d=c30.breaches, breaches_90d=c90.breaches,
        first_response=metrics.first_response_stats(tickets, periods["90d"]),
        weekly=weekly_trend(tickets, now), signature_requests=in_flight, notes=notes,
        license_days_left=(company.license_valid_until - timezone.localdate(now)).days,
        generated_at=now,
        update_compliance_30d=updates["30d"].compliance,
        update_compliance_90d=updates["90d"].compliance,
        updates_due_30d=updates["30d"].due, updates_due_90d=updates["90d"].due,
        acknowledge_30d=metrics.acknowledge_stats(tickets, periods["30d"]),
    )


def portfolio_for(user: User, now: datetime | None = None) -> list[Company]:
    """The user's accounts, riskiest first, each annotated with its risk figures — one query.

    A TAM gets the accounts assigned to them; administrators get every account (engineers none).
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
        breaches_30d=count(windows(now)["30d"].q("response_breached_at")),
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
