"""Reads of the monthly service review (SPEC §15): which month a request names, which months an
account has, and the month's figures and lists.

Every figure is computed in PostgreSQL by ``tickets.metrics``, the functions the TAM dashboard
calls, over the calendar month as the company's clocks show it (``Company.timezone``): the
month starts at 00:00 on the 1st there and ends at 00:00 on the 1st of the next month.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Company, ProactiveNote
from tickets import metrics
from tickets.metrics import Period, SlaCounts
from tickets.models import SignatureRequest, SignatureStatus, Ticket

_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: Reports go back to this month at most (older dates are typing mistakes).
FIRST_MONTH = date(2000, 1, 1)
#: The reports page lists at most this many months, newest first.
MONTHS_LISTED = 36
#: The PDF lists at most this many breaches; the CSV has every ticket.
BREACHES_LISTED = 100


def company_tz(company: Company) -> ZoneInfo:
    return ZoneInfo(company.timezone)


def current_month(company: Company, now: datetime | None = None) -> date:
    """The first day of the month the company is in now, on its own clocks."""
    return timezone.localtime(now or timezone.now(), company_tz(company)).date().replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def month_period(company: Company, month: date) -> Period:
    return Period.month(month.year, month.month, company_tz(company))


def parse_month(value: str | None, company: Company, now: datetime | None = None) -> date:
    """``YYYY-MM`` → the first day of that month, for a month that has started in the
    company's time zone; anything else is a ``ValidationError`` naming ``month``."""
    match = _MONTH.fullmatch((value or "").strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValidationError({"month": [_("Give the month as YYYY-MM, for example 2026-06.")]})
    month = date(int(match[1]), int(match[2]), 1)
    if month < FIRST_MONTH:
        raise ValidationError({"month": [_("Reports start in January 2000.")]})
    if month > current_month(company, now):
        raise ValidationError({"month": [
            _("%(month)s has not started yet in the company's time zone (%(zone)s).")
            % {"month": month_label(month), "zone": company.timezone}
        ]})
    return month


def month_label(month: date) -> str:
    """``June 2026`` / ``Junho de 2026``, in the active language."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def available_months(company: Company, now: datetime | None = None) -> list[date]:
    """The account's months, newest first: from its first ticket or its creation, whichever is
    earlier, to the current month (at most ``MONTHS_LISTED``). One query."""
    tz = company_tz(company)
    last = current_month(company, now)
    first_ticket = (Ticket.objects.filter(company_id=company.pk).order_by("created_at")
                    .values_list("created_at", flat=True).first())
    start = min(filter(None, (first_ticket, company.created_at)), default=timezone.now())
    # Never after the current month (an account created "later" by a clock set back): at
    # least the month in progress is listed.
    first = min(max(timezone.localtime(start, tz).date().replace(day=1), FIRST_MONTH), last)
    months: list[date] = []
    month = last
    while month >= first and len(months) < MONTHS_LISTED:
        months.append(month)
        month = previous_month(month)
    return months


@dataclass
class MonthReport:
    """One account's month: figures (``tickets.metrics``) and the lists the review shows."""

    company: Company
    month: date
    period: Period
    #: False for the current month: the figures are the month so far.
    complete: bool
    filed: dict[str, int]
    sla: SlaCounts
    #: Updates on time ÷ updates due (SPEC §12); ``None`` when no update was due.
    update_compliance: float | None
    first_response: dict[str, dict[str, int | None]]
    signatures: dict[str, int | None]
    weekly: list[dict[str, Any]]
    breaches: list[Ticket]
    signature_requests: list[SignatureRequest]
    notes: list[ProactiveNote]
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def filed_total(self) -> int:
        return sum(self.filed.values())

    @property
    def tz(self) -> ZoneInfo:
        return company_tz(self.company)

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def last_day(self) -> date:
        return (self.period.end - timedelta(microseconds=1)).astimezone(self.tz).date()


def month_tickets(company: Company, period: Period) -> QuerySet[Ticket]:
    """The tickets filed in the period (the CSV's rows)."""
    return Ticket.objects.filter(period.q("created_at"), company_id=company.pk)


def month_report(company: Company, month: date, now: datetime | None = None) -> MonthReport:
    """The month's figures and lists. Queries: filed by severity, SLA counts, first-response
    percentiles, weekly filed, weekly responded, signature figures, breaches, signature
    requests, shared notes, update compliance — ten, whatever the number of tickets (the
    company and its TAM
    are loaded by the caller)."""
    now = now or timezone.now()
    tz = company_tz(company)
    period = month_period(company, month)
    tickets = Ticket.objects.filter(company_id=company.pk)
    in_month_or_decided = (
        period.q("created_at") | period.q("decided_at") | period.q("release__released_at")
    )
    return MonthReport(
        company=company, month=month, period=period, complete=now >= period.end,
        filed=metrics.filed_by_severity(tickets, period),
        sla=metrics.sla_counts(tickets, {"month": period})["month"],
        update_compliance=metrics.update_compliance(tickets, period),
        first_response=metrics.first_response_stats(tickets, period),
        signatures=metrics.signature_figures(company.pk, period),
        weekly=metrics.weekly_trend(tickets, period.weeks(tz), period, tz),
        breaches=list(tickets.filter(period.q("response_breached_at"))
                      .order_by("response_breached_at", "pk")[:BREACHES_LISTED]),
        signature_requests=list(
            SignatureRequest.objects.filter(in_month_or_decided, ticket__company_id=company.pk)
            .select_related("ticket", "release").order_by("created_at", "pk")
        ),
        notes=list(ProactiveNote.objects.filter(period.q("created_at"), company_id=company.pk,
                                                shared=True)
                   .select_related("author").order_by("created_at", "pk")),
        generated_at=now,
    )


def signature_outcome(request: SignatureRequest) -> str:
    """How a listed signature request ended in words, or where it stands."""
    if request.status == SignatureStatus.RELEASED and request.release is not None:
        return _("Released in %(version)s") % {"version": request.release.version}
    return str(request.get_status_display())

