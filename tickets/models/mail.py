"""Inbound e-mail audit (SPEC §3 channels)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Comment, Ticket

__all__ = ["InboundEmail", "InboundOutcome"]


class InboundOutcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket")
    COMMENT = "comment", _("Added to a ticket")
    REFUSED = "refused", _("Refused")
    DUPLICATE = "duplicate", _("Duplicate")


class InboundEmail(models.Model):
    """One message taken from the support mailbox and what became of it. Only the envelope is
    kept for a refused message: it is stored nowhere as a ticket."""

    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    sender = models.CharField(_("from"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=InboundOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("ticket"))
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("comment"))
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject} ({self.outcome})"
