"""The engineers' priority queue page, ``/queue/`` (SPEC §5, §8 pages).

Thin: the query string is validated with the API's own ``QueueFiltersInput`` (one set of rules
for the page and ``/api/v1/queue/``), the rows come from ``queue_for`` in its exact order, and
the only logic here is presentation: the "time left" text of each row
(``tickets.queue.presentation``, pure and tested on its own). An htmx poll of the same URL
gets only the results partial.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template import engines
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django_htmx.http import HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from accounts.access import require_staff
from accounts.models import Company, User
from support_portal.kernel.dates import local
from support_portal.kernel.pagination import QUEUE_PAGE_SIZE
from tickets.models import Kind, Severity, Status, Ticket
from tickets.queue.api import QueueFiltersInput
from tickets.queue.presentation import Deadline, UpdateDue, deadline_for, update_due_for
from tickets.queue.selectors import QueueFilters, QueuePaginator, queue_for

#: Seconds between two refreshes of the results by htmx.
POLL_SECONDS = 30

#: The query-string parameters of the page, in the order links are built with.
FILTER_PARAMS = ("severity", "company", "assignee", "kind", "status", "q")
FILTER_LABELS = {
    "severity": gettext_lazy("Severity"),
    "company": gettext_lazy("Company"),
    "assignee": gettext_lazy("Assignee"),
    "kind": gettext_lazy("Kind"),
    "status": gettext_lazy("Status"),
    "q": gettext_lazy("Search"),
}
PLAN_LABELS = {
    "enhanced": pgettext_lazy("support plan", "Enhanced"),
    "standard": pgettext_lazy("support plan", "Standard"),
}


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


# --- The page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of the queue with every text and address it shows worked out in Python, once
    per page where they are the same for every row: rendering 50 rows is most of the page's
    time, and a template variable costs far less than a ``{% url %}``, a filter or a
    ``{% blocktranslate %}`` evaluated 50 times. Add what a new cell needs here."""

    ticket: Ticket
    deadline: Deadline
    plan_code: str
    plan_label: str
    #: The next customer update due (SPEC §12), or ``None``.
    update: UpdateDue | None = None
    detail_url: str = ""
    #: ``""`` when the ticket has an assignee (no take button).
    take_url: str = ""
    severity_label: str = ""
    status_label: str = ""
    #: The tooltips of the first-response and update clocks, the plan badge's.
    due_title: str = ""
    update_title: str = ""
    plan_title: str = ""
    #: ``3 missed`` (updates, SPEC §12), ``""`` for none.
    missed_text: str = ""
    #: A paged severity-1 ticket (SPEC §11): ``paged`` or ``acknowledged by …``; ``""`` if not.
    paged_label: str = ""
    paged_acked: bool = False


def url_with_pk(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for any number of pks at the cost of one ``reverse``."""
    marker = "8080808080808080"
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


def queue_rows(tickets: Iterable[Ticket], now: datetime) -> list[Row]:
    """The rows of a page, in the active language and time zone."""
    detail_url, take_url = url_with_pk("tickets:detail"), url_with_pk("tickets:take")
    l_plan, l_next_update, l_paged = _("Plan"), _("Next update due"), _("paged")
    severities = {value: str(label) for value, label in Severity.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    rows = []
    for ticket in tickets:
        deadline = deadline_for(ticket, now)
        missed = ticket.updates_missed
        rows.append(Row(
            ticket,
            deadline,
            ticket.plan.code,
            str(PLAN_LABELS.get(ticket.plan.code, ticket.plan.name)),
            update_due_for(ticket, now),
            detail_url=detail_url(ticket.pk),
            take_url="" if ticket.assignee_id else take_url(ticket.pk),
            severity_label=severities.get(ticket.severity, str(ticket.severity)),
            status_label=statuses.get(ticket.status, ticket.status),
            due_title=f"{deadline.state_label} · {local(ticket.response_due_at, 'list')}",
            update_title=(f"{l_next_update} · {local(ticket.update_due_at, 'list')}"
                          if ticket.update_due_at else ""),
            plan_title=f"{l_plan}: {ticket.plan.label}",
            missed_text=ngettext("%(n)s missed", "%(n)s missed", missed) % {"n": missed}
            if missed else "",
            **_paging(ticket, l_paged),
        ))
    return rows


def _paging(ticket: Ticket, l_paged: str) -> dict[str, object]:
    if ticket.severity != Severity.CRITICAL or not ticket.paging_level:
        return {}
    if ticket.paging_acked_at:
        name = ticket.paging_acked_by.full_name if ticket.paging_acked_by_id else ""
        return {"paged_label": _("acknowledged by %(name)s") % {"name": name},
                "paged_acked": True}
    return {"paged_label": l_paged}


def render_rows(rows: list[Row], request: HttpRequest) -> SafeString:
    """The rows of the table, rendered by Jinja2 (``templates/jinja2/queue/_rows.html``): the
    one loop of the page that runs per ticket, where Django's template engine spent most of
    the page's time. Autoescaped like every other template; the labels are translated here."""
    labels = {
        "number": _("Number"), "first_response": _("First response"),
        "severity": _("Severity"), "subject": _("Subject"), "company": _("Company"),
        "requester": _("Requester"), "assignee": _("Assignee"), "unassigned": _("Unassigned"),
        "take": _("Take"), "status": _("Status"), "updates_missed": _("Updates missed"),
    }
    template = engines["jinja2"].get_template("queue/_rows.html")
    return mark_safe(template.render({  # noqa: S308 - Jinja2 autoescapes every value
        "rows": rows, "l": labels,
        # Once per page: the take buttons' hidden fields are the same in every row.
        "csrf_input": csrf_input(request), "next_path": request.get_full_path(),
    }))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


def parse_filters(query: QueryDict) -> tuple[dict[str, str], QueueFilters, list[str]]:
    """The filters of the query string, validated by the API's rules.

    Returns the accepted parameters (to rebuild links with), the filters, and a readable
    message for every parameter that was refused; a refused parameter is left out (the queue
    is shown without it) rather than failing the page."""
    given = {name: query.get(name, "").strip() for name in FILTER_PARAMS}
    given = {name: value for name, value in given.items() if value}
    params = QueueFiltersInput(data=given)
    errors: list[str] = []
    if not params.is_valid():
        for name, messages in params.errors.items():
            label = FILTER_LABELS.get(name, name)
            errors += [f"{label}: {message}" for message in messages]
        given = {name: value for name, value in given.items() if name not in params.errors}
        params = QueueFiltersInput(data=given)
    # The fields are independent, so what is left is valid; be safe all the same.
    filters = params.to_filters() if params.is_valid() else QueueFilters()
    return given, filters, errors


def _options(choices: list[tuple[str, str]], current: str) -> list[Option]:
    return [Option(value, label, value == current) for value, label in choices]


def _page_url(base: str, accepted: dict[str, str], number: int) -> str:
    query = dict(accepted)
    if number > 1:
        query["page"] = str(number)
    return f"{base}?{urlencode(query)}" if query else base


def queue_page(request: HttpRequest) -> HttpResponse:
    request = cast(HtmxRequest, request)
    if not request.user.is_authenticated:
        if request.htmx:
            # A poll after the session ended: reload the whole page, which then goes through
            # the normal sign-in redirect instead of swapping the login form into the table.
            return HttpResponseClientRefresh()
        return redirect_to_login(request.get_full_path())
    user = cast(User, request.user)
    require_staff(user)

    accepted, filters, errors = parse_filters(request.GET)
    now = timezone.now()
    page: Page[Ticket] = QueuePaginator(queue_for(user, filters, now), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = queue_rows(page, now)
    base = reverse("queue")
    context = {
        "rows": rows,
        "rows_html": render_rows(rows, request) if rows else "",
        "page": page,
        "now": now,
        "poll_seconds": POLL_SECONDS,
        "self_url": _page_url(base, accepted, page.number),
        "first_url": _page_url(base, accepted, 1),
        "prev_url": _page_url(base, accepted, page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _page_url(base, accepted, page.next_page_number()) if page.has_next() else "",
        "last_url": _page_url(base, accepted, page.paginator.num_pages),
        "filtered": bool(accepted),
        "errors": errors,
    }
    partial = bool(request.htmx) and not request.htmx.boosted
    if partial:
        response = render(request, "queue/_results.html", context)
    else:
        context |= _form_context(accepted)
        response = render(request, "queue/page.html", context, status=400 if errors else 200)
    # The same URL answers a full page or the partial: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _form_context(accepted: dict[str, str]) -> dict[str, object]:
    companies = [
        (str(pk), name) for pk, name in Company.objects.order_by("name").values_list("pk", "name")
    ]
    return {
        "q": accepted.get("q", ""),
        "severity_options": _options(
            [(str(v), str(label)) for v, label in Severity.choices], accepted.get("severity", "")
        ),
        "company_options": _options(companies, accepted.get("company", "")),
        "assignee_options": _options(
            [("mine", _("Assigned to me")), ("unassigned", _("Unassigned"))],
            accepted.get("assignee", ""),
        ),
        "kind_options": _options(
            [(v, str(label)) for v, label in Kind.choices], accepted.get("kind", "")
        ),
        "status_options": _options(
            [(v, str(label)) for v, label in Status.choices], accepted.get("status", "")
        ),
    }
