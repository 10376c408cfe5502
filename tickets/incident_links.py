"""Linking a ticket to a major incident (SPEC §13), in the ticket core because filing a ticket
can link it: staff link tickets from the incident's page or the API (``tickets.incidents``),
and a contact filing a ticket about a product with an open incident may link their new ticket
from the filing page.

A ticket belongs to at most one incident. A ticket linked after updates were posted gets the
latest one as a reply, through the same idempotent fan-out (``tickets.incidents``).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.queueing import enqueue_on_commit
from tickets.models import (
    EventKind,
    Incident,
    IncidentDelivery,
    IncidentLink,
    Ticket,
    TicketEvent,
)

#: The Celery task that posts an update's replies (``tickets.incidents.tasks``), by name: the
#: core imports no feature package.
FAN_OUT_TASK = "tickets.incidents.tasks.fan_out_update"


def incidents_offered(product: str) -> QuerySet[Incident]:
    """Unresolved incidents on ``product`` (same name, any case), newest first: what the filing
    page offers a contact to link their new ticket to."""
    product = product.strip()
    if not product:
        return Incident.objects.none()
    return Incident.objects.unresolved().filter(product__iexact=product) \
        .order_by("-created_at", "-pk")


@transaction.atomic
def incident_link(*, incident: Incident, ticket: Ticket, actor: User) -> tuple[IncidentLink, bool]:
    """Link ``ticket`` to ``incident``; ``(link, created)``. Linking it again to the same
    incident changes nothing. A contact may link only a ticket of their own company to an
    unresolved incident on the ticket's product (the filing page's offer)."""
    # The incident's row lock orders links and updates: a ticket linked while an update is
    # being posted is either among its recipients or gets it as the latest update below.
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    existing = IncidentLink.objects.filter(ticket_id=ticket.pk).select_related("incident").first()
    if existing is not None:
        if existing.incident_id == incident.pk:
            return existing, False
        raise ConflictError(_("%(number)s is already linked to the incident “%(title)s”.") % {
            "number": ticket.number, "title": existing.incident.title})
    if incident.is_resolved:
        raise ConflictError(_("The incident “%(title)s” is resolved: tickets can no longer be "
                              "linked to it.") % {"title": incident.title})
    if not actor.is_support_staff:
        contact = actor.active_contact
        if contact is None or contact.company_id != ticket.company_id:
            raise ValidationError({"incident": [_("Only your own requests can be linked.")]})
        if not incidents_offered(ticket.product).filter(pk=incident.pk).exists():
            raise ValidationError({"incident": [_("This incident is not about the product of "
                                                  "your request.")]})
    link = IncidentLink.objects.create(incident=incident, ticket=ticket, linked_by=actor)
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.INCIDENT, actor=actor,
                               new_value=incident.title[:255])
    latest = incident.updates.order_by("-created_at", "-pk").first()
    if latest is not None:
        IncidentDelivery.objects.bulk_create([IncidentDelivery(update=latest, ticket=ticket)],
                                             ignore_conflicts=True)
        enqueue_on_commit(FAN_OUT_TASK, latest.pk)
    return link, True
