"""The update cadence's record (SPEC §12): every interval that has come to an end, met by a
public staff update or missed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Ticket

__all__ = ["UpdateInterval"]


class UpdateInterval(models.Model):
    """One interval of a ticket's update cadence, settled: the update came by ``due_at``
    (``on_time``), or the interval passed without one (a missed update, flagged once: the
    unique constraint lets exactly one writer record it). ``settled_at`` is when it was decided
    (the update, or the due instant of a missed one); update compliance counts by it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="update_intervals",
                               verbose_name=_("ticket"))
    due_at = models.DateTimeField(_("update due at"))
    settled_at = models.DateTimeField(_("settled at"))
    on_time = models.BooleanField(_("updated on time"))

    class Meta:
        verbose_name = _("update interval")
        verbose_name_plural = _("update intervals")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "due_at"], name="update_interval_once"),
        ]
        indexes = [models.Index(fields=["settled_at"], name="update_interval_settled")]

    def __str__(self) -> str:
        outcome = "on time" if self.on_time else "missed"
        return f"{self.ticket_id} {self.due_at:%Y-%m-%d %H:%M} {outcome}"
