"""Reads of major incidents (SPEC §13). Lists and pages run a fixed number of queries."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from tickets.incidents.access import visible_incidents
from tickets.models import Incident, IncidentDelivery, IncidentStatus, IncidentUpdate, Ticket


def with_latest_update(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Each incident with its latest update's text and time (``latest_body``, ``latest_at``;
    ``None`` before the first update), in the same query."""
    latest = IncidentUpdate.objects.filter(incident_id=OuterRef("pk")).order_by(
        "-created_at", "-pk")
    return incidents.annotate(latest_body=Subquery(latest.values("body")[:1]),
                              latest_at=Subquery(latest.values("created_at")[:1]))


def banner_for(user: User) -> list[Incident]:
    """What the banner shows a contact: the unresolved incidents their company is affected
    by, most severe first, with the latest update — one query. Staff and others: none."""
    if not user.is_authenticated or user.is_support_staff:
        return []
    unresolved = visible_incidents(user).exclude(status=IncidentStatus.RESOLVED)
    return list(with_latest_update(unresolved)
                .order_by("severity", "-updated_at", "-pk")[:3])


def with_ticket_counts(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Staff only: how many tickets each incident links (``tickets_linked``)."""
    return incidents.annotate(tickets_linked=Count("links", distinct=True))


def linked_tickets(incident: Incident) -> QuerySet[Ticket]:
    """Staff only: the incident's tickets with what a row shows, in one query per page."""
    return Ticket.objects.filter(incident_link__incident=incident).select_related(
        "company", "requester", "assignee").defer("description").order_by(
        "incident_link__linked_at", "pk")


def updates_of(incident: Incident) -> QuerySet[IncidentUpdate]:
    return incident.updates.select_related("author").order_by("-created_at", "-pk")


def delivery_progress(update_ids: list[int]) -> dict[int, int]:
    """For each update, how many of its replies are settled so far: one query for all."""
    rows = IncidentDelivery.objects.filter(update_id__in=update_ids).values("update_id") \
        .order_by().annotate(done=Count("pk", filter=Q(delivered_at__isnull=False)))
    return {row["update_id"]: row["done"] for row in rows}


def pending_updates() -> list[int]:
    """Updates with replies still to post: a fan-out that stopped half-way (a worker killed
    mid-batch) or never started (the broker was down when it was posted)."""
    return list(IncidentDelivery.objects.filter(delivered_at__isnull=True)
                .values_list("update_id", flat=True).distinct().order_by("update_id"))
