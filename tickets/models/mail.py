"""What reaches people and what comes in: the in-portal bell, the e-mail outbox, and the
inbound e-mail audit (SPEC §3 channels)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from tickets.models.core import Comment, Ticket, TicketEvent

__all__ = ["InboundEmail", "InboundOutcome", "Notification", "OutboundEmail"]


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


class Notification(models.Model):
    """An in-portal notification (the bell). E-mail copies go through ``OutboundEmail``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("ticket"))
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="notifications", verbose_name=_("event"))
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return self.message


class OutboundEmail(models.Model):
    """The e-mail outbox. Rows are written in the same transaction as the change they report,
    and a Celery task delivers them; the request never waits on the broker or the mail server.

    A row is pending until ``sent_at`` or ``failed_at`` is set. Each is retried on its own
    schedule (``next_attempt_at``, exponential backoff); after the last attempt it is marked
    failed, and an administrator can resend it from the admin.
    """

    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    language = models.CharField(_("language"), max_length=8, default="en")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="+")
    # A monthly service review (SPEC §15) travels as a name, not as bytes: delivery renders
    # the PDF of (company, month) in the row's language when it sends (``tickets.mail_files``).
    report_company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="+")
    report_month = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["next_attempt_at"],
                                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                                name="outbox_due")]
        constraints = [
            models.UniqueConstraint(fields=["to", "event"], name="email_once_per_event"),
            models.CheckConstraint(
                condition=Q(report_company__isnull=True, report_month__isnull=True)
                | Q(report_company__isnull=False, report_month__day=1),
                name="email_report_names_company_and_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
