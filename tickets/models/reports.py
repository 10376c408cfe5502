"""Monthly service reviews sent by e-mail (SPEC §15)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from tickets.models.mail import OutboundEmail

__all__ = ["ReportDelivery"]


class ReportDelivery(models.Model):
    """One monthly review e-mailed to one person. The monthly job inserts this row in the same
    transaction as the outbox e-mail, and the unique constraint lets only one of two beats,
    retries or workers through: a review is sent exactly once per (company, month,
    recipient)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("company"))
    #: The first day of the month reviewed.
    month = models.DateField(_("month"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+", verbose_name=_("recipient"))
    email = models.ForeignKey(OutboundEmail, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("e-mail"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly review sent")
        verbose_name_plural = _("monthly reviews sent")
        ordering = ["-month", "company_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "month", "recipient"],
                                    name="report_once_per_recipient"),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.month:%Y-%m} → {self.recipient_id}"
