"""TAM pages (SPEC §6), under ``/tam/``: the portfolio of accounts, riskiest first, and one
account's dashboard with the TAM's proactive notes.

Thin, like ``tickets.views``: the figures come from ``tickets.tam.dashboards`` (a fixed number
of grouped queries), the tenant check from ``accounts.access``, the one write from
``tickets.tam.notes.note_create``; a successful POST redirects (PRG) with a message. What is
left here is presentation: the health line of a portfolio row and the texts of the figures,
pure functions tested on their own.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.access import access_company_dashboard, manages_account, page_user
from accounts.models import Company, Role
from support_portal.kernel import dates
from support_portal.kernel.forms import add_service_errors
from tickets.models import OPEN_STATUSES, Severity, Status
from tickets.presentation import format_duration
from tickets.tam.dashboards import LICENSE_WARNING_DAYS, Dashboard, dashboard_for, portfolio_for
from tickets.tam.notes import access_company_for_notes, note_create

# --- Presentation (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """The one-line summary of a portfolio row and its colour."""

    #: ``danger`` (breaches, answers overdue, license ended), ``warn`` (at risk, open S1/S2,
    #: license ending) or ``ok``.
    tone: str
    parts: list[str]

    @property
    def text(self) -> str:
        return " · ".join(self.parts) if self.parts else _("Nothing at risk")


def license_text(days_left: int) -> str:
    """``license ends in 45 days``, ``license ends today``, ``license ended 3 days ago``."""
    if days_left < 0:
        return ngettext(
            "license ended %(n)d day ago", "license ended %(n)d days ago", -days_left
        ) % {"n": -days_left}
    if days_left == 0:
        return _("license ends today")
    return ngettext("license ends in %(n)d day", "license ends in %(n)d days", days_left) % {
        "n": days_left
    }


def health_of(company: Any) -> Health:
    """The health line of a ``portfolio_for`` row (reads only its annotations; no query)."""
    parts: list[str] = []
    danger = warn = False
    if company.breaches_30d:
        danger = True
        parts.append(
            ngettext("%(n)d breach in 30 days", "%(n)d breaches in 30 days", company.breaches_30d)
            % {"n": company.breaches_30d}
        )
    if company.breached_open:
        danger = True
        parts.append(
            ngettext(
                "%(n)d overdue for a first response",
                "%(n)d overdue for a first response",
                company.breached_open,
            )
            % {"n": company.breached_open}
        )
    if company.at_risk_now:
        warn = True
        parts.append(
            ngettext("%(n)d at risk now", "%(n)d at risk now", company.at_risk_now)
            % {"n": company.at_risk_now}
        )
    if company.open_high:
        warn = True
        parts.append(
            ngettext("%(n)d open S1/S2", "%(n)d open S1/S2", company.open_high)
            % {"n": company.open_high}
        )
    days_left = company.license_days_left
    if days_left <= LICENSE_WARNING_DAYS:
        danger = danger or days_left < 0
        warn = True
        parts.append(license_text(days_left))
    if company.has_signature_in_flight:
        parts.append(_("signature change in progress"))
    return Health("danger" if danger else "warn" if warn else "ok", parts)


def duration_text(seconds: int | None) -> str:
    """A first-response time as ``25 min`` or ``3 h 10 min``; ``—`` when there is none."""
    return "—" if seconds is None else format_duration(seconds)


def last_activity_text(when: datetime | None) -> str:
    """A contact's last sign-in in the viewer's time zone, or ``never``."""
    if when is None:
        return _("never")
    return dates.local(when, "list")


def week_labels(week: str) -> dict[str, str]:
    """The Monday of a trend week as the reader's locale writes a day of a month (the table),
    and short enough for twelve ticks under the chart (``29 Jun``)."""
    monday = date.fromisoformat(week)
    return {
        "label": formats.date_format(monday, "MONTH_DAY_FORMAT"),
        "tick": formats.date_format(monday, "j M"),
    }


# --- The notes form ------------------------------------------------------------------------


class NoteForm(forms.Form):
    """The page's twin of the API's ``NoteInput``; ``note_create`` holds the rules."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_on = forms.DateField(
        label=gettext_lazy("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Optional: the day you mean to come back to it."),
    )
    shared = forms.BooleanField(
        label=gettext_lazy("Share with the customer"),
        required=False,
        help_text=gettext_lazy("The account's contacts see shared notes on their ticket list."),
    )


# --- Pages -----------------------------------------------------------------------------------


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """Queries: session, user, the portfolio (one, whatever the number of accounts)."""
    user = page_user(request)
    if not user.can_see_dashboards:
        raise PermissionDenied(
            _("The accounts portfolio is for TAMs and administrators.")
        )
    rows = [(company, health_of(company)) for company in portfolio_for(user)]
    return render(
        request,
        "tam/portfolio.html",
        {
            "rows": rows,
            "all_accounts": user.role != Role.TAM,
        },
    )


def _render_account(
    request: HttpRequest, company: Company, *, form: NoteForm | None = None, status: int = 200
) -> HttpResponse:
    user = page_user(request)
    d: Dashboard = dashboard_for(company)
    days_left = d.license_days_left
    licensed = company.license_is_valid()
    first_response = [
        {
            "severity": severity,
            "label": severity.label,
            "count": d.first_response[str(severity.value)]["count"],
            "median": duration_text(d.first_response[str(severity.value)]["median_seconds"]),
            "p90": duration_text(d.first_response[str(severity.value)]["p90_seconds"]),
        }
        for severity in Severity
    ]
    weekly = [{**week, **week_labels(week["week"])} for week in d.weekly]
    may_write = manages_account(user, company)
    context = {
        "company": company,
        "d": d,
        "licensed": licensed,
        "license_warning": not licensed or days_left <= LICENSE_WARNING_DAYS,
        "license_text": license_text(days_left),
        "contacts": [(c, last_activity_text(c.user.last_login)) for c in d.contacts],
        "open_by_severity": [(s, d.open_by_severity[str(s.value)]) for s in Severity],
        "open_by_status": [(Status(s), d.open_by_status[str(s)]) for s in OPEN_STATUSES],
        "open_total": sum(d.open_by_severity.values()),
        "first_response": first_response,
        "acknowledge": {"count": d.acknowledge_30d.get("count", 0),
                        "median": duration_text(d.acknowledge_30d.get("median_seconds")),
                        "p90": duration_text(d.acknowledge_30d.get("p90_seconds"))},
        "weekly": weekly,
        "weekly_filed": sum(w["filed"] for w in weekly),
        "can_write": may_write,
        "form": (form or NoteForm()) if may_write else None,
        "add_note_url": reverse("tam:add_note", args=[company.pk]),
        # SPEC §12: updates on time ÷ updates due.
        "update_tiles": [
            (_("Update compliance, 30 days"), d.update_compliance_30d, d.updates_due_30d,
             "update-compliance-30d"),
            (_("Update compliance, 90 days"), d.update_compliance_90d, d.updates_due_90d,
             "update-compliance-90d"),
        ],
    }
    return render(request, "tam/account.html", context, status=status)


@login_required
def account(request: HttpRequest, company_id: int) -> HttpResponse:
    """Queries: session, user, the company (``access_company_dashboard``) and the eight of
    ``dashboard_for``, whatever the number of tickets."""
    return _render_account(request, access_company_dashboard(page_user(request), company_id))


@login_required
@require_POST
def add_note(request: HttpRequest, company_id: int) -> HttpResponse:
    user = page_user(request)
    company = access_company_for_notes(user, company_id)  # another TAM's account: 404
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_account(request, company, form=form, status=400)
    try:
        note = note_create(company=company, author=user, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_account(request, company, form=form, status=400)
    if note.shared:
        messages.success(
            request,
            _("Note “%(title)s” added and shared with %(company)s.")
            % {"title": note.title, "company": company.name},
        )
    else:
        messages.success(request, _("Note “%(title)s” added (internal).") % {"title": note.title})
    return redirect(reverse("tam:account", args=[company.pk]) + "#notes")
