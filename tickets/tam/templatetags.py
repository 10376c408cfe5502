"""The TAM's shared proactive notes on a contact's pages (SPEC §6). Registered as the template
library ``tam_tags`` in settings (``TEMPLATES`` … ``libraries``)."""

from typing import Any

from django import template
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Company
from tickets.tam.notes import visible_notes

register = template.Library()

#: How many of the latest shared notes the company card shows.
SHARED_NOTES_SHOWN = 5


@register.inclusion_tag("tam/_shared_notes.html", takes_context=True)
def shared_notes(context: Any, company: Company | None) -> dict[str, Any]:
    """The account's latest shared notes, as ``visible_notes`` lets the signed-in user read
    them: one query. Only shared notes, whoever looks: this is the customer-facing card."""
    user = context.get("user")
    notes: list[Any] = []
    if company is not None and user is not None and user.is_authenticated:
        try:
            notes = list(visible_notes(user, company).filter(shared=True)[:SHARED_NOTES_SHOWN])
        except (PermissionDenied, Http404):
            notes = []
    return {"notes": notes, "company": company}
