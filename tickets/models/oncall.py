"""The on-call rota and paging (SPEC §11): rotations per level, overrides, the paging policy
(one row) and the pages sent, with the delivery state of each page's webhook call."""

__all__ = [
    "PAGE_LEVELS",
    "Override",
    "Page",
    "PagingPolicy",
    "Rotation",
    "RotationLevel",
    "RotationMember",
]

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models.core import Ticket


class RotationLevel(models.IntegerChoices):
    PRIMARY = 1, _("Primary")
    SECONDARY = 2, _("Secondary")


#: Levels a page can have: 1 primary, 2 secondary, 3 everyone (every active engineer and the
#: account's TAM).
PAGE_LEVELS = (1, 2, 3)


class Rotation(models.Model):
    """An ordered list of staff taking turns at one level: member *i* is on call in shift *i*
    modulo the list, shifts of ``shift_hours`` counted from ``starts_at``."""

    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=RotationLevel.choices)
    starts_at = models.DateTimeField(_("starts at"))
    shift_hours = models.PositiveSmallIntegerField(
        _("shift length (hours)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 28)])
    members: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RotationMember", related_name="+",
        verbose_name=_("members"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["level", "starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="rotation_level_1_2"),
            models.CheckConstraint(condition=Q(shift_hours__gte=1), name="rotation_shift_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (L{self.level})"


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"],
                                    name="rotation_member_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rotation_id}#{self.position}: {self.user_id}"


class Override(models.Model):
    """``user`` is on call at ``level`` from ``starts_at`` until ``ends_at``, whoever the
    rotations name (a handed-over shift)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("on call"))
    level = models.PositiveSmallIntegerField(_("level"), choices=RotationLevel.choices)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="override_ends_after_start"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="override_level_1_2"),
        ]
        indexes = [models.Index(fields=["level", "ends_at"], name="override_level_ends")]

    def __str__(self) -> str:
        return f"L{self.level} {self.user_id} {self.starts_at:%Y-%m-%d %H:%M}"


class PagingPolicy(models.Model):
    """One row (``pk=1``): how long a page waits for an acknowledgement before escalating."""

    ack_minutes = models.PositiveIntegerField(
        _("minutes to acknowledge"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)])

    class Meta:
        verbose_name = _("paging policy")
        verbose_name_plural = _("paging policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="paging_policy_singleton"),
            models.CheckConstraint(condition=Q(ack_minutes__gte=1), name="paging_ack_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Acknowledge within %(m)d minutes") % {"m": self.ack_minutes})

    @classmethod
    def current(cls) -> "PagingPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


#: Pages whose webhook call is still to be made (``webhook_next_at`` is its schedule).
WEBHOOK_PENDING = Q(webhook_next_at__isnull=False, webhook_delivered_at__isnull=True,
                    webhook_failed_at__isnull=True)


class Page(models.Model):
    """One person paged at one level for one ticket (level 3: one page per person)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pages",
                               verbose_name=_("ticket"))
    level = models.PositiveSmallIntegerField(_("level"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="pages", verbose_name=_("paged"))
    created_at = models.DateTimeField(_("paged at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("acknowledged by"))
    # The one-click link of the e-mail: signed over (page id, nonce); consuming it clears the
    # nonce in a conditional UPDATE, so it works once.
    link_nonce = models.CharField(max_length=32, blank=True)
    # The SMS/voice gateway call (when PAGING_WEBHOOK_URL is set), outbox-style.
    webhook_attempts = models.PositiveSmallIntegerField(_("webhook attempts"), default=0)
    webhook_next_at = models.DateTimeField(_("webhook next attempt"), null=True, blank=True)
    webhook_claimed_at = models.DateTimeField(_("webhook claimed"), null=True, blank=True)
    webhook_delivered_at = models.DateTimeField(_("webhook delivered"), null=True, blank=True)
    webhook_failed_at = models.DateTimeField(_("webhook failed"), null=True, blank=True)
    webhook_last_error = models.TextField(_("webhook last error"), blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["created_at", "level", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "level", "user"],
                                    name="page_once_per_ticket_level_user"),
            models.CheckConstraint(condition=Q(level__in=PAGE_LEVELS), name="page_level_1_3"),
        ]
        indexes = [
            models.Index(fields=["webhook_next_at"], condition=WEBHOOK_PENDING,
                         name="page_webhook_due"),
            models.Index(fields=["ticket", "created_at"], name="page_ticket_created"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} L{self.level} {self.user_id}"
