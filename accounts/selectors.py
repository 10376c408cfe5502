"""Reads for accounts."""

from django.db.models import Count, Q, QuerySet

from accounts.models import Company, Contact


def companies_with_counts() -> QuerySet[Company]:
    """Companies with their plan, TAM and ``active_contacts`` in one query."""
    return Company.objects.select_related("plan", "tam").annotate(
        active_contacts=Count("contacts", filter=Q(contacts__is_active=True))
    ).order_by("name", "pk")


def contacts_of(company: Company) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(company=company)
        .select_related("user")
        .order_by("-is_active", "user__full_name")
    )
