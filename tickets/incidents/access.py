"""Who sees which major incident (SPEC §13): staff every one; a contact only the incidents with
a ticket of their own company linked, and nothing about the other companies affected. Any other
incident does not exist for them (404)."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Contact, User
from tickets.models import Incident, IncidentLink


def visible_incidents(user: User) -> QuerySet[Incident]:
    qs = Incident.objects.all()
    if user.is_support_staff:
        return qs
    if not user.is_active or not user.is_contact:
        return qs.none()
    # The contact's company as a subquery: one query, whether or not the contact row is loaded.
    company = Contact.objects.active().filter(user_id=user.pk).values("company_id")[:1]
    return qs.filter(Exists(IncidentLink.objects.filter(incident_id=OuterRef("pk"),
                                                        ticket__company_id=company)))


def access_incident(user: User, incident_id: int | str) -> Incident:
    try:
        return visible_incidents(user).get(pk=int(incident_id))
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such incident.")) from None
