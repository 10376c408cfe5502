"""Reads for accounts."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from accounts.audit import AuditEntry
from accounts.models import Company, Contact


def companies_with_counts() -> QuerySet[Company]:
    """Companies with their plan, TAM and ``active_contacts`` in one query."""
    return Company.objects.select_related("plan", "tam").annotate(
        active_contacts=Count("contacts", filter=Q(contacts__is_active=True))
    ).order_by("name", "pk")


def company_with_plan(contact: Contact) -> Company:
    """The contact's company with its plan: the copy the request already read when it has one
    (the two-factor check reads it on every request, ``accounts.mfa``), else one query."""
    if Contact.company.is_cached(contact) and Company.plan.is_cached(contact.company):
        return contact.company
    return Company.objects.select_related("plan").get(pk=contact.company_id)


def contacts_of(company: Company) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(company=company)
        .select_related("user")
        .order_by("-is_active", "user__full_name")
    )


def audit_entries(
    visible: QuerySet[AuditEntry], *, company: int | None = None, actor: str = "",
    action: str = "", since: datetime | None = None, until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The visible entries matching the filters, newest first, with actor and company. An
    actor is a user id or an e-mail address (also the address a failed sign-in tried)."""
    qs = visible.select_related("actor", "company")
    if company is not None:
        qs = qs.filter(company_id=company)
    if actor:
        qs = qs.filter(actor_id=int(actor)) if actor.isdigit() else qs.filter(
            actor_email=actor.strip().lower())
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-pk")
