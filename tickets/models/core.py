"""Tickets, comments, attachments and the timeline (SPEC §3–4)."""

__all__ = [
    "AWAITING_BREACH",
    "AWAITING_ESCALATION",
    "AWAITING_UPDATE",
    "AWAITING_WARNING",
    "OPEN_STATUSES",
    "SEVERITY_HELP",
    "TRANSITIONS",
    "Attachment",
    "Channel",
    "Comment",
    "EventKind",
    "Kind",
    "PrivateStorage",
    "Severity",
    "SlaState",
    "Status",
    "Ticket",
    "TicketEvent",
]

import os
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, Plan


class Severity(models.IntegerChoices):
    CRITICAL = 1, _("1 – Critical")
    HIGH = 2, _("2 – High")
    MEDIUM = 3, _("3 – Medium")
    LOW = 4, _("4 – Low")


SEVERITY_HELP = {
    1: _("Critical: stops the business — fatal system errors or data loss."),
    2: _("High: affects functionality, without an outage, data loss or fatal error."),
    3: _("Medium: a non-critical problem, or a service request partly affecting the product."),
    4: _("Low: a low-severity problem or service request that does not affect functionality."),
}


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service request")
    SIGNATURE_CHANGE = "signature_change", _("Signature change")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Web portal")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Priority phone line")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: The status machine of SPEC §3. A customer reply to a resolved ticket reopens it.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.WAITING_ON_CUSTOMER, Status.RESOLVED}),
    Status.WAITING_ON_CUSTOMER: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER)
assert tuple(OPEN_STATUSES) == ("new", "open", "waiting_on_customer")  # noqa: S101


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MET_LATE = "met_late", _("Met late")


#: Tickets still waiting for a first response whose clock can still warn or breach. The SLA
#: job's queries and the partial indexes below use these exact predicates, so the planner can
#: answer them from the small index instead of scanning every ticket.
_OPEN = ("new", "open", "waiting_on_customer")
AWAITING_BREACH = Q(first_response_at__isnull=True, response_breached_at__isnull=True,
                    status__in=_OPEN)
AWAITING_WARNING = Q(first_response_at__isnull=True, response_warned_at__isnull=True,
                     response_breached_at__isnull=True, status__in=_OPEN)
#: Open tickets whose next public staff update is due at ``update_due_at`` (SPEC §12); the
#: update-cadence job reads them from the partial index ``ticket_update_due``.
AWAITING_UPDATE = Q(update_due_at__isnull=False, status="open")
#: Paged tickets nobody acknowledged yet, below the last level (SPEC §11); the escalation job
#: reads them from the partial index ``ticket_escalation_due``.
AWAITING_ESCALATION = Q(paging_level__in=[1, 2], paging_acked_at__isnull=True,
                        status__in=_OPEN)


class Ticket(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="tickets",
                                verbose_name=_("company"))
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="requested_tickets", verbose_name=_("requester"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INCIDENT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.PORTAL)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices,
                              default=Status.NEW)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="assigned_tickets",
                                 verbose_name=_("assignee"))
    product = models.CharField(_("product"), max_length=120, blank=True)
    product_version = models.CharField(_("product version"), max_length=60, blank=True)
    # The service terms are the ones the ticket was filed under (README "Plan changes"): the
    # plan whose SLA policies set its deadlines, and the queue tier copied from it so the
    # queue orders without a join. A later plan change of the company does not move them.
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("plan filed under"))
    priority_tier = models.PositiveSmallIntegerField(_("queue priority tier"), default=2)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    response_due_at = models.DateTimeField(_("first response due"))
    response_warn_at = models.DateTimeField(_("SLA warning due"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    response_warned_at = models.DateTimeField(_("SLA warning raised at"), null=True, blank=True)
    response_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The update cadence (SPEC §12, ``tickets.cadence``): when the next public staff update is
    # due (``None`` while no update is due: no cadence, not yet answered, or not open) and how
    # many intervals passed without one.
    update_due_at = models.DateTimeField(_("next update due"), null=True, blank=True)
    updates_missed = models.PositiveIntegerField(_("updates missed"), default=0)
    # On-call paging (SPEC §11, ``tickets.paging``): the highest level paged so far (0: never
    # paged), when the first and the latest level were paged, and who acknowledged.
    paging_level = models.PositiveSmallIntegerField(_("paging level"), default=0)
    paged_at = models.DateTimeField(_("paged at"), null=True, blank=True)
    last_paged_at = models.DateTimeField(_("latest level paged at"), null=True, blank=True)
    paging_acked_at = models.DateTimeField(_("page acknowledged at"), null=True, blank=True)
    paging_acked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("page acknowledged by"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4),
                                   name="ticket_severity_1_4"),
            models.CheckConstraint(condition=Q(paging_level__lte=3), name="ticket_paging_0_3"),
        ]
        indexes = [
            models.Index(fields=["response_due_at"], condition=AWAITING_BREACH,
                         name="ticket_breach_due"),
            models.Index(fields=["response_warn_at"], condition=AWAITING_WARNING,
                         name="ticket_warning_due"),
            models.Index(fields=["company", "-created_at"], name="ticket_company_created"),
            models.Index(fields=["status"], name="ticket_status"),
            models.Index(fields=["update_due_at"], condition=AWAITING_UPDATE,
                         name="ticket_update_due"),
            models.Index(fields=["last_paged_at"], condition=AWAITING_ESCALATION,
                         name="ticket_escalation_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return format_number(self.pk)

    def sla_state(self, now: datetime | None = None) -> str:
        """Where the first-response clock stands. Pure: reads only this row."""
        if self.first_response_at is not None:
            return SlaState.MET if self.first_response_at <= self.response_due_at \
                else SlaState.MET_LATE
        now = now or timezone.now()
        if self.response_breached_at is not None or now >= self.response_due_at:
            return SlaState.BREACHED
        if self.response_warned_at is not None or now >= self.response_warn_at:
            return SlaState.AT_RISK
        return SlaState.ON_TRACK

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]


NUMBER_PREFIX = "TS-"


def format_number(pk: int | None) -> str:
    return f"{NUMBER_PREFIX}{pk:06d}" if pk else ""


def parse_number(text: str) -> int | None:
    """``TS-000123`` (any case, zeros optional) or ``123`` → 123; anything else → None."""
    value = text.strip().upper().removeprefix(NUMBER_PREFIX)
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None


class Comment(models.Model):
    """A public reply or an internal note. Internal notes never reach contacts."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments",
                               verbose_name=_("ticket"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="comments", verbose_name=_("author"))
    body = models.TextField(_("text"))
    internal = models.BooleanField(_("internal note"), default=False)
    # A templated notice (e.g. a signature request moved to its next step without words of the
    # staff member): it informs the customer but is neither a first response nor an update
    # (SPEC §4, §12).
    automatic = models.BooleanField(_("automatic notice"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


class PrivateStorage(FileSystemStorage):
    """Uploads live under PRIVATE_MEDIA_ROOT, never below a URL the web server serves. The root
    is read at use, so it follows the setting (and test overrides)."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no URL; serve them through a checked view")


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private_storage


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A generated name: the uploader's file name never touches the file system.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("ticket"))
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="attachments", verbose_name=_("comment"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_path,
                            max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def internal(self) -> bool:
        """An attachment of an internal note is as internal as the note."""
        return self.comment is not None and self.comment.internal

    @property
    def safe_name(self) -> str:
        name = PurePath(self.original_name.replace("\\", "/")).name
        return "".join(c for c in name if c.isprintable() and c not in '"\r\n') or "attachment"


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket filed")
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("Attachment added")
    FIRST_RESPONSE = "first_response", _("First response")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    DEADLINE = "deadline", _("Response deadline changed")
    REOPENED = "reopened", _("Reopened by the customer")
    SIGNATURE = "signature", _("Signature request status")
    UPDATE_OVERDUE = "update_overdue", _("Update overdue")
    INCIDENT = "incident", _("Major incident")
    VERIFICATION = "verification", _("Fix verification")
    SAMPLE_DELETED = "sample_deleted", _("Sample deleted")
    PAGED = "paged", _("On-call engineer paged")
    PAGE_ACKNOWLEDGED = "page_ack", _("Page acknowledged")


class TicketEvent(models.Model):
    """One line of a ticket's timeline: who did what, when, from which value to which."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("ticket"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    old_value = models.CharField(_("from"), max_length=255, blank=True)
    new_value = models.CharField(_("to"), max_length=255, blank=True)
    internal = models.BooleanField(_("staff only"), default=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]
        constraints = [
            # The SLA job may run twice at once; the database lets only one flag through.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=Q(kind__in=["sla_warning", "sla_breach", "first_response"]),
                name="event_sla_once_per_ticket",
            ),
            # One "paged" event per level (its notifications hang off it).
            models.UniqueConstraint(fields=["ticket", "kind", "new_value"],
                                    condition=Q(kind="paged"), name="event_paged_once_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
