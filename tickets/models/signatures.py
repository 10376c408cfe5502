"""Antivirus-signature change requests and database releases (SPEC §7)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Ticket, private_storage

__all__ = [
    "SIGNATURE_IN_FLIGHT",
    "SIGNATURE_TRANSITIONS",
    "DatabaseRelease",
    "SignaturePolicy",
    "SignatureRequest",
    "SignatureStatus",
    "SignatureType",
    "VerificationState",
]


class DatabaseRelease(models.Model):
    """A published antivirus-database release. The newest by ``released_at`` is "the latest"
    that customers must run before asking for a signature change."""

    version = models.CharField(_("version"), max_length=64, unique=True)
    released_at = models.DateTimeField(_("released at"), default=timezone.now)
    expedited = models.BooleanField(_("expedited"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("database release")
        verbose_name_plural = _("database releases")
        ordering = ["-released_at", "-pk"]
        indexes = [models.Index(fields=["-released_at"], name="release_latest")]

    def __str__(self) -> str:
        return self.version


class SignatureType(models.TextChoices):
    FALSE_POSITIVE = "false_positive", _("False positive (a clean object is detected)")
    FALSE_NEGATIVE = "false_negative", _("False negative (an infected object is missed)")


class SignatureStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_ANALYSIS = "in_analysis", _("In analysis by the expert group")
    RELEASED = "released", _("Fixed in an expedited release")
    REJECTED = "rejected", _("Rejected")


#: Requests the expert group still has to decide: "in flight" on dashboards, the portfolio and
#: the expert queue.
SIGNATURE_IN_FLIGHT = (SignatureStatus.RECEIVED, SignatureStatus.IN_ANALYSIS)

SIGNATURE_TRANSITIONS: dict[str, frozenset[str]] = {
    SignatureStatus.RECEIVED: frozenset({SignatureStatus.IN_ANALYSIS}),
    SignatureStatus.IN_ANALYSIS: frozenset({SignatureStatus.RELEASED, SignatureStatus.REJECTED}),
    SignatureStatus.RELEASED: frozenset(),
    SignatureStatus.REJECTED: frozenset(),
}


class VerificationState(models.TextChoices):
    """The customer's answer after a release (SPEC §7 item 4)."""

    PENDING = "pending", _("Waiting for the customer's confirmation")
    FIXED = "fixed", _("Confirmed fixed by the customer")
    STILL_DETECTED = "still_detected", _("Still detected, reported by the customer")
    ASSUMED_FIXED = "assumed_fixed", _("Taken as fixed (no answer in time)")


class SignaturePolicy(models.Model):
    """The terms of signature-change requests that an administrator edits (SPEC §7, §12):
    one row, seeded by a data migration. ``current()`` reads it."""

    update_interval = models.DurationField(
        _("update interval while in analysis"), null=True, blank=True,
        default=timedelta(hours=24),
        help_text=_("A public update of the expert group is due this long after the last one, "
                    "around the clock, until the request is released or rejected. Empty: no "
                    "update cadence."),
    )
    verification_window = models.DurationField(
        _("time to confirm a fix"), default=timedelta(days=7),
        help_text=_("After a release, a request the customer does not confirm within this "
                    "time is taken as fixed."),
    )
    sample_retention = models.DurationField(
        _("sample retention after closing"), default=timedelta(days=30),
        help_text=_("The bytes of a sample are deleted this long after its request is closed; "
                    "its SHA-256, size and name are kept."),
    )

    class Meta:
        verbose_name = _("signature request policy")
        verbose_name_plural = _("signature request policy")

    def __str__(self) -> str:
        return str(_("Signature request policy"))

    @classmethod
    def current(cls) -> "SignaturePolicy":
        """The row an administrator edits; its field defaults when there is none yet."""
        return cls.objects.order_by("pk").first() or cls()


def sample_path(instance: "SignatureRequest", filename: str) -> str:
    # Generated name, no extension: a sample never gets a name a system would execute.
    return f"samples/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class SignatureRequest(models.Model):
    """The details of a ticket of kind ``signature_change``. The ticket carries the SLA clock,
    the queue position and the timeline; this row carries the sample and the expert workflow."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE,
                                  related_name="signature_request", verbose_name=_("ticket"))
    type = models.CharField(_("type"), max_length=16, choices=SignatureType.choices)
    database_version = models.CharField(_("antivirus database version in use"), max_length=64)
    object_url = models.URLField(_("URL of the object"), max_length=500, blank=True)
    sample = models.FileField(_("sample"), storage=private_storage, upload_to=sample_path,
                              max_length=200, blank=True)
    sample_name = models.CharField(_("sample file name"), max_length=255, blank=True)
    sample_size = models.PositiveBigIntegerField(_("sample size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=SignatureStatus.choices,
                              default=SignatureStatus.RECEIVED)
    analysis_started_at = models.DateTimeField(_("analysis started at"), null=True, blank=True)
    release = models.ForeignKey(DatabaseRelease, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="signature_requests",
                                verbose_name=_("expedited release"))
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    customer_informed_at = models.DateTimeField(_("customer informed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Fix verification (SPEC §7 item 4): set by a release, answered by the customer or taken as
    # fixed by the beat job once ``verification_due_at`` has passed.
    verification_state = models.CharField(_("fix verification"), max_length=16, blank=True,
                                          choices=VerificationState.choices)
    verification_at = models.DateTimeField(_("verification at"), null=True, blank=True)
    verification_due_at = models.DateTimeField(_("confirmation due by"), null=True, blank=True)
    # Chain of custody: the bytes are deleted after closing; hash, size and name stay.
    sample_deleted_at = models.DateTimeField(_("sample deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature change request")
        verbose_name_plural = _("signature change requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sigreq_status_created"),
            models.Index(fields=["verification_due_at"], name="sigreq_verification_due",
                         condition=models.Q(verification_state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.get_type_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in SIGNATURE_TRANSITIONS[self.status]
