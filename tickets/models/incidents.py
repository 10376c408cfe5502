"""Major incidents (SPEC §13): one problem hitting many customers, handled once.

An incident links any number of tickets (each ticket to at most one incident). Each update is
fanned out as a public staff reply to every ticket linked when it was posted: one
``IncidentDelivery`` row per (update, ticket), claimed before posting, so a retried fan-out
never posts twice to a ticket; and one e-mail per requester, claimed the same way with an
``IncidentNotice`` row per (update, requester).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Comment, Severity, Ticket

__all__ = [
    "Incident",
    "IncidentDelivery",
    "IncidentLink",
    "IncidentNotice",
    "IncidentStatus",
    "IncidentUpdate",
]


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class IncidentQuerySet(models.QuerySet["Incident"]):
    def unresolved(self) -> "IncidentQuerySet":
        return self.exclude(status=IncidentStatus.RESOLVED)


class Incident(models.Model):
    """Its title, description, status and updates are shown to the contacts of every company
    with a linked ticket; nothing about the other companies is."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices,
                              default=IncidentStatus.INVESTIGATING)
    product = models.CharField(
        _("product"), max_length=120, blank=True,
        help_text=_("Contacts filing a request about this product are offered to link it."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("opened by"))
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last update at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4),
                                   name="incident_severity_1_4"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="incident_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_resolved(self) -> bool:
        return self.status == IncidentStatus.RESOLVED


class IncidentUpdate(models.Model):
    """One update, with the incident's status after it. ``tickets_total`` is how many linked
    tickets it goes to (fixed when it is posted)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates",
                                 verbose_name=_("incident"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("author"))
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)
    tickets_total = models.PositiveIntegerField(_("linked tickets"), default=0)

    class Meta:
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["incident", "-created_at"], name="incident_update_at")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def resolves(self) -> bool:
        return self.status == IncidentStatus.RESOLVED


class IncidentLink(models.Model):
    """A ticket linked to an incident: at most one incident per ticket (the unique ticket)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links",
                                 verbose_name=_("incident"))
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="incident_link",
                                  verbose_name=_("ticket"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("linked by"))
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        ordering = ["linked_at", "pk"]
        indexes = [models.Index(fields=["incident", "linked_at"], name="incident_link_at")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.ticket_id}"


class IncidentDelivery(models.Model):
    """The reply of one update on one ticket, claimed before it is posted: the unique (update,
    ticket) row exists from the moment the update is posted, and the fan-out marks it
    ``delivered_at`` in the same transaction as the reply, so a retry never posts twice.
    ``comment`` stays empty for a ticket that was closed by then (nothing is posted to it)."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE,
                               related_name="deliveries", verbose_name=_("update"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("ticket"))
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("reply"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident update delivery")
        verbose_name_plural = _("incident update deliveries")
        constraints = [
            models.UniqueConstraint(fields=["update", "ticket"], name="incident_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["update", "id"], condition=Q(delivered_at__isnull=True),
                         name="incident_delivery_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.update_id} → {self.ticket_id}"


class IncidentNotice(models.Model):
    """The one e-mail of an update to one requester, claimed like a delivery."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("update"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("requester"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("incident update e-mail")
        verbose_name_plural = _("incident update e-mails")
        constraints = [
            models.UniqueConstraint(fields=["update", "user"], name="incident_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.update_id} → {self.user_id}"
