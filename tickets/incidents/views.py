"""Pages of major incidents (SPEC §13), under ``/incidents/``: the list (staff open incidents
there), the incident's page (staff: linked tickets, the update form, linking a ticket; a
contact of an affected company: the incident and its updates, nothing about other companies),
and the fragment the filing page asks for when a contact names a product. Thin, like
``tickets.views``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import page_user, require_staff
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.forms import add_service_errors
from support_portal.kernel.pagination import LIST_PAGE_SIZE, QUEUE_PAGE_SIZE
from tickets.access import visible_tickets
from tickets.incident_links import incident_link, incidents_offered
from tickets.incidents import services
from tickets.incidents.access import access_incident, visible_incidents
from tickets.incidents.forms import IncidentForm, LinkForm, UpdateForm
from tickets.incidents.selectors import (
    banner_for,
    delivery_progress,
    linked_tickets,
    updates_of,
    with_latest_update,
    with_ticket_counts,
)
from tickets.models import Incident


@login_required
@require_http_methods(["GET", "POST"])
def incident_list(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    staff = user.is_support_staff
    form = None
    if request.method == "POST":
        require_staff(user)
        form = IncidentForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Incident “%(title)s” opened. Link the affected "
                                            "tickets, then post updates.")
                                 % {"title": incident.title})
                return redirect("incidents:detail", incident_id=incident.pk)
    incidents = with_latest_update(visible_incidents(user))
    if staff:
        incidents = with_ticket_counts(incidents)
    unresolved_first = incidents.order_by(F("resolved_at").desc(nulls_first=True),
                                          "-created_at", "-pk")
    page = Paginator(unresolved_first, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incidents/list.html", {
        "page": page, "staff": staff, "form": form or (IncidentForm() if staff else None),
    }, status=400 if form is not None and form.is_bound else 200)


def _render_detail(request: HttpRequest, incident: Incident, *,
                   update_form: UpdateForm | None = None, link_form: LinkForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = page_user(request)
    staff = user.is_support_staff
    updates = list(updates_of(incident))
    context: dict[str, object] = {"incident": incident, "updates": updates, "staff": staff}
    if staff:
        progress = delivery_progress([u.pk for u in updates])
        for update in updates:
            update.tickets_posted = progress.get(update.pk, 0)  # type: ignore[attr-defined]
        context |= {
            "tickets": Paginator(linked_tickets(incident), QUEUE_PAGE_SIZE).get_page(
                request.GET.get("page")),
            "update_form": None if incident.is_resolved else
            update_form or UpdateForm(current=incident.status),
            "link_form": None if incident.is_resolved else link_form or LinkForm(),
        }
    else:
        # Their own company's tickets only: nothing about anyone else.
        context["own_tickets"] = list(visible_tickets(user).filter(
            incident_link__incident=incident).order_by("pk"))
    return render(request, "incidents/detail.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _render_detail(request, access_incident(page_user(request), incident_id))


@login_required
@require_POST
def incident_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = page_user(request)
    incident = access_incident(user, incident_id)
    require_staff(user)
    form = UpdateForm(request.POST, current=incident.status)
    if not form.is_valid():
        return _render_detail(request, incident, update_form=form, status=400)
    try:
        update = services.incident_post_update(incident=incident, author=user,
                                               **form.cleaned_data)
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _render_detail(request, incident, update_form=form, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_detail(request, incident, update_form=form, status=400)
    if update.resolves:
        text = _("The incident is resolved. The update goes to its %(n)d linked tickets, "
                 "which are resolved with it.")
    else:
        text = _("Update posted. It goes to the %(n)d linked tickets in the background.")
    messages.success(request, text % {"n": update.tickets_total})
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
@require_POST
def incident_link_ticket(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = page_user(request)
    incident = access_incident(user, incident_id)
    require_staff(user)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, incident, link_form=form, status=400)
    ticket = visible_tickets(user).filter(pk=form.cleaned_data["ticket"]).first()
    if ticket is None:
        form.add_error("ticket", _("No such ticket."))
        return _render_detail(request, incident, link_form=form, status=400)
    try:
        _link, created = incident_link(incident=incident, ticket=ticket, actor=user)
    except ConflictError as exc:
        form.add_error("ticket", exc.message)
        return _render_detail(request, incident, link_form=form, status=409)
    if created:
        messages.success(request, _("%(number)s linked to the incident.")
                         % {"number": ticket.number})
    else:
        messages.info(request, _("%(number)s was already linked to the incident.")
                      % {"number": ticket.number})
    return redirect("incidents:detail", incident_id=incident.pk)


@require_GET
def incident_banner(request: HttpRequest) -> HttpResponse:
    """The banner on every page of a contact of an affected company (an htmx fragment, loaded
    after the page like the bell's badge, so no page pays for it): the unresolved incidents of
    their company, each with its status and latest update — one query. Anyone else, or a
    session that has ended: nothing."""
    user = request.user
    if not user.is_authenticated or user.is_support_staff:  # type: ignore[union-attr]
        return HttpResponse(status=204)
    incidents = banner_for(page_user(request))
    if not incidents:
        return HttpResponse("")  # an incident resolved since the last poll: the banner goes
    return render(request, "incidents/_banner.html", {"incident_banner": incidents})


@login_required
@require_GET
def incident_offer(request: HttpRequest) -> HttpResponse:
    """The filing page's offer (an htmx fragment): unresolved incidents on the product the
    contact typed, to link the new ticket to."""
    user = page_user(request)
    if user.active_contact is None:
        raise PermissionDenied(_("Only a named support contact files requests."))
    offers = list(incidents_offered(request.GET.get("product", ""))[:5])
    chosen = request.GET.get("incident", "")
    return render(request, "incidents/_offer.html", {"offers": offers, "chosen": chosen})

