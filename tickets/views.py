"""Server-rendered ticket pages (SPEC §3–4, §8 pages). Thin: every read goes through
``tickets.access`` (the tenant check), every write through one ``tickets.services`` call; a
successful POST redirects (PRG) with a message."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import page_user, require_staff, visible_companies
from accounts.models import User
from accounts.selectors import company_with_plan
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.forms import add_service_errors
from support_portal.kernel.pagination import LIST_PAGE_SIZE
from tickets import live, services
from tickets.access import (
    access_ticket,
    visible_attachments,
    visible_comments,
    visible_events,
    visible_tickets,
)
from tickets.forms import PhoneTicketForm, ReplyForm, TicketChangeForm, TicketCreateForm
from tickets.incident_links import incident_link, incidents_offered
from tickets.models import (
    SEVERITY_HELP,
    Channel,
    Incident,
    IncidentLink,
    Severity,
    SlaState,
    Status,
    Ticket,
)
from tickets.presentation import timeline
from tickets.search import (
    SORT_KEYS,
    SORT_LABELS,
    clean_query,
    parse_sort,
    search_tickets,
    sort_tickets,
)

# --- List ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    url: str
    #: ``ascending``/``descending`` for the column the list is sorted by, else ``""``.
    aria_sort: str


def _sort_columns(keys: list[str], sort: str, params: dict[str, str]) -> list[SortColumn]:
    """The sortable headers: a click sorts by the column, a second click reverses it."""
    columns = []
    for key in keys:
        current = sort.removeprefix("-") == key
        descending = sort.startswith("-")
        target = (key if descending else f"-{key}") if current else (
            f"-{key}" if key == "created" else key)
        query = urlencode({**params, "sort": target})
        columns.append(SortColumn(
            key=key, label=str(SORT_LABELS[key]), url=f"?{query}",
            aria_sort=("descending" if descending else "ascending") if current else "",
        ))
    return columns


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """A contact's company tickets (staff: every ticket): filter by status, full-text search
    (``q``, best match first unless a column is chosen), sortable columns (``sort``)."""
    user = page_user(request)
    tickets = visible_tickets(user).select_related("company", "requester")
    status = request.GET.get("status", "")
    if status in Status.values:
        tickets = tickets.filter(status=status)
    else:
        status = ""
    query = clean_query(request.GET.get("q"))
    keys = [k for k in SORT_KEYS if k != "company" or user.is_support_staff]
    chosen = request.GET.get("sort")
    sort = parse_sort(chosen, allowed=frozenset(keys))
    if query:
        tickets = search_tickets(user, tickets, query)
    if not query or chosen:
        tickets = sort_tickets(tickets, sort)
    page = Paginator(tickets, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(ticket, SlaState(ticket.sla_state(now))) for ticket in page]
    company = visible_companies(user).first() if user.is_contact else None
    params = {k: v for k, v in (("status", status), ("q", query)) if v}
    return render(request, "tickets/list.html", {
        "page": page, "rows": rows, "status": status, "statuses": Status.choices,
        "company": company, "show_company": user.is_support_staff, "q": query,
        "columns": {c.key: c for c in _sort_columns(
            keys, sort if not query or chosen else "", params)},
        "page_query": urlencode({**params, **({"sort": sort} if chosen else {})}),
    })


# --- Filing --------------------------------------------------------------------------------


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    if user.is_support_staff:
        return redirect("tickets:phone")
    contact = user.active_contact
    if contact is None:
        raise PermissionDenied(_("Only a named support contact can file requests here."))
    company = company_with_plan(contact)
    refusal = company.license_refusal()
    if refusal:
        return _refused(request, refusal)

    posted = request.method == "POST"
    form = TicketCreateForm(request.POST, request.FILES) if posted else TicketCreateForm()
    # SPEC §13: an open incident on the product named is offered; the chosen one is linked.
    offers = list(incidents_offered(request.POST.get("product", ""))[:5]) if posted else []
    chosen = request.POST.get("incident", "")
    incident = next((i for i in offers if str(i.pk) == chosen), None)
    if posted and form.is_valid():
        try:
            with transaction.atomic():
                # One transaction: a file that fails leaves no ticket behind.
                ticket = services.ticket_create(requester=user, channel=Channel.PORTAL,
                                                company=company, **form.ticket_fields())
                for upload in form.cleaned_data["attachments"]:
                    services.attachment_add(ticket=ticket, uploaded_by=user, upload=upload)
                if incident is not None:
                    incident_link(incident=incident, ticket=ticket, actor=user)
        except PermissionDenied as exc:
            return _refused(request, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"file": "attachments"})
        else:
            messages.success(request, _("Your request %(number)s was filed.")
                             % {"number": ticket.number})
            if chosen and incident is None:
                messages.warning(request, _("The incident you chose is no longer open for "
                                            "this product; your request was filed on its own."))
            elif incident is not None:
                messages.info(request, _("It is linked to the major incident “%(title)s”: you "
                                         "will receive its updates here and by e-mail.")
                              % {"title": incident.title})
            return redirect("tickets:detail", ticket_id=ticket.pk)
    status = 400 if form.is_bound else 200
    return render(request, "tickets/new.html", {"form": form, "company": company,
                                                "offers": offers, "chosen": chosen},
                  status=status)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "tickets/new.html", {"refusal": message}, status=403)


@login_required
def ticket_phone(request: HttpRequest) -> HttpResponse:
    staff = page_user(request)
    require_staff(staff)
    posted = request.method == "POST"
    form = PhoneTicketForm(request.POST) if posted else PhoneTicketForm()
    if posted and form.is_valid():
        fields = form.ticket_fields()
        try:
            ticket = services.ticket_create(
                requester=form.cleaned_data["contact"], created_by=staff, channel=Channel.PHONE,
                received_at=form.cleaned_data["received_at"], **fields,
            )
        except PermissionDenied as exc:
            form.add_error("contact", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"requester": "contact"})
        else:
            messages.success(request, _("Phone call logged as %(number)s.")
                             % {"number": ticket.number})
            return redirect("tickets:detail", ticket_id=ticket.pk)
    return render(request, "tickets/phone.html", {"form": form},
                  status=400 if form.is_bound else 200)


# --- Detail --------------------------------------------------------------------------------


def _live_context(user: User, ticket: Ticket) -> dict[str, Any]:
    """What the live parts of the ticket page show (the page and its poll alike)."""
    staff = user.is_support_staff
    comments = list(visible_comments(user, ticket))
    events = list(visible_events(user, ticket))
    sla_state = SlaState(ticket.sla_state(timezone.now()))
    writers = live.writers_other_than(ticket, user) if staff else []
    return {
        "ticket": ticket,
        "staff": staff,
        "sla_state": sla_state,
        "awaiting_response": ticket.first_response_at is None,
        "timeline": timeline(comments, events),
        "writers": writers,
        "live_stamp": live.stamp(ticket, sla_state, comments, events, writers),
        "paging": paging_view(ticket),
        "live_seconds": live.LIVE_SECONDS,
    }


def _render_detail(request: HttpRequest, ticket: Ticket, *, reply_form: ReplyForm | None = None,
                   change_form: TicketChangeForm | None = None, status: int = 200) -> HttpResponse:
    user = page_user(request)
    staff = user.is_support_staff
    closed_to_user = ticket.status == Status.CLOSED and not staff
    context = _live_context(user, ticket) | {
        "severity_help": SEVERITY_HELP[ticket.severity],
        "attachments": list(visible_attachments(user, ticket)),
        # Until an on-call engineer acknowledged the page (SPEC §11), the line stays shown.
        "call_priority_line": (not staff and ticket.severity == Severity.CRITICAL
                               and ticket.first_response_at is None
                               and ticket.paging_acked_at is None
                               and ticket.status in (Status.NEW, Status.OPEN)),
        "pages": (list(ticket.pages.select_related("user", "acknowledged_by"))
                  if staff and ticket.paging_level else []),
        "reply_form": None if closed_to_user else reply_form or ReplyForm(staff=staff),
        "change_form": (change_form or TicketChangeForm(ticket=ticket)) if staff else None,
        "can_take": staff and ticket.assignee_id != user.pk,
        "incident": _incident_of(ticket),
    }
    return render(request, "tickets/detail.html", context, status=status)


def paging_view(ticket: Ticket) -> dict[str, Any] | None:
    """What the ticket page says about on-call paging (SPEC §11): when, and who acknowledged
    (by name), with times of today as a time of day."""
    if ticket.paged_at is None:
        return None
    today = timezone.localdate()

    def style(at: Any) -> str:
        return "time" if at is not None and timezone.localdate(at) == today else "card"

    by = ticket.paging_acked_by if ticket.paging_acked_by_id else None
    return {"paged_at": ticket.paged_at, "paged_style": style(ticket.paged_at),
            "acked_at": ticket.paging_acked_at, "acked_style": style(ticket.paging_acked_at),
            "engineer": by.full_name if by is not None else ""}


def _incident_of(ticket: Ticket) -> Incident | None:
    link = IncidentLink.objects.filter(ticket_id=ticket.pk).select_related("incident").first()
    return link.incident if link is not None else None


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _render_detail(request, access_ticket(page_user(request), ticket_id))


@login_required
def ticket_live(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The poll of an open ticket page: 204 when nothing it shows changed since ``stamp``,
    else the changed parts (timeline, badges, details, SLA box, who is writing)."""
    user = page_user(request)
    ticket = access_ticket(user, ticket_id)
    context = _live_context(user, ticket)
    if request.GET.get("stamp") == context["live_stamp"]:
        return HttpResponse(status=204)
    context |= {"severity_help": SEVERITY_HELP[ticket.severity], "live_update": True,
                "incident": _incident_of(ticket)}
    return render(request, "tickets/live.html", context)


@login_required
@require_POST
def ticket_writing(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A staff member's page reports that they are writing a reply (``done=1``: stopped)."""
    user = page_user(request)
    ticket = access_ticket(user, ticket_id)
    require_staff(user)
    if request.POST.get("done"):
        live.writing_clear(ticket=ticket, user=user)
    else:
        live.writing_mark(ticket=ticket, user=user)
    return HttpResponse(status=204)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = page_user(request)
    ticket = access_ticket(user, ticket_id)
    form = ReplyForm(request.POST, request.FILES, staff=user.is_support_staff)
    if not form.is_valid():
        return _render_detail(request, ticket, reply_form=form, status=400)
    internal = bool(form.cleaned_data.get("internal"))
    try:
        services.comment_add(ticket=ticket, author=user, body=form.cleaned_data["body"],
                             internal=internal, files=form.cleaned_data["attachments"])
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _render_detail(request, ticket, reply_form=form, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc, rename={"file": "attachments"})
        return _render_detail(request, ticket, reply_form=form, status=400)
    live.writing_clear(ticket=ticket, user=user)
    if internal:
        messages.success(request, _("Internal note added."))
    elif ticket.status == Status.RESOLVED and not user.is_support_staff:
        # ``ticket`` is as it was before the reply; the service reopened it.
        messages.success(request, _("Your reply was added and the ticket is open again."))
    else:
        messages.success(request, _("Your reply was added."))
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_change(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = page_user(request)
    ticket = access_ticket(user, ticket_id)
    require_staff(user)
    form = TicketChangeForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _render_detail(request, ticket, change_form=form, status=400)
    try:
        services.ticket_change(ticket=ticket, actor=user, **form.cleaned_data)
    except ConflictError as exc:
        form.add_error("status", exc.message)
        return _render_detail(request, ticket, change_form=form, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_detail(request, ticket, change_form=form, status=400)
    messages.success(request, _("Ticket %(number)s updated.") % {"number": ticket.number})
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_take(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = page_user(request)
    ticket = access_ticket(user, ticket_id)
    require_staff(user)
    try:
        services.ticket_change(ticket=ticket, actor=user, assignee=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You took %(number)s.") % {"number": ticket.number})
    # Back to where the button was (the queue keeps its filters), if that is one of our pages.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return redirect(back)
    return redirect("tickets:detail", ticket_id=ticket.pk)
