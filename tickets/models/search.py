"""The search index of tickets (SPEC §16): one row per ticket with two weighted full-text
vectors, kept up to date by PostgreSQL triggers (migration ``0008_ticket_search``).

- ``public``: number and subject (weight A), description (B) and public comments (C) — what a
  contact may search. An internal note never enters it, so no query of a contact can match one.
- ``everything``: the same plus internal notes — what staff search.

Each text is indexed with both the ``english`` and the ``portuguese`` configuration, so a
query stems the way either language would. GIN indexes make the match an index lookup; the
rows live beside the tickets (not in them) so lists and the queue never carry the vectors.
On SQLite (the embedded demo) the table stays empty and ``tickets.search`` falls back to a
plain substring match.
"""

__all__ = ["TicketSearch"]

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Ticket


class TicketSearch(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True,
                                  related_name="search", verbose_name=_("ticket"))
    public = SearchVectorField(null=True)
    everything = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("ticket search entry")
        verbose_name_plural = _("ticket search entries")

    def __str__(self) -> str:
        return str(self.ticket_id)
