"""Response-time SLA policies and calendars (SPEC §4). Targets are data, not constants."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Plan, validate_timezone
from sla import deadlines


class SlaCalendar(models.Model):
    """When SLA time runs: around the clock, or business hours in a time zone minus holidays.

    ``weekly_hours`` is stored as ``{"mon": [["09:00", "18:00"]], …}`` (``"24:00"`` ends a day).
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    around_the_clock = models.BooleanField(_("24×7"), default=False)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                validators=[validate_timezone])
    weekly_hours = models.JSONField(_("weekly hours"), default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA calendar")
        verbose_name_plural = _("SLA calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.around_the_clock:
            try:
                deadlines.calendar_from_data({"tz": self.timezone, "hours": self.weekly_hours})
            except ValueError as exc:
                raise ValidationError({"weekly_hours": str(exc)}) from None

    def as_calendar(self, holidays: list[Any] | None = None) -> deadlines.Calendar:
        """The pure calendar for deadline arithmetic. ``holidays`` avoids a query when the
        caller prefetched them."""
        if self.around_the_clock:
            return deadlines.ALWAYS
        days = holidays if holidays is not None else list(self.holidays.all())
        return deadlines.calendar_from_data({
            "tz": self.timezone, "hours": self.weekly_hours,
            "holidays": [h.date.isoformat() for h in days],
        })


class Holiday(models.Model):
    calendar = models.ForeignKey(SlaCalendar, on_delete=models.CASCADE, related_name="holidays",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """The first-response target for one (plan, severity), and its update cadence."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sla_policies",
                             verbose_name=_("plan"))
    severity = models.PositiveSmallIntegerField(
        _("severity"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    target = models.DurationField(_("first-response target"))
    calendar = models.ForeignKey(SlaCalendar, on_delete=models.PROTECT,
                                 related_name="policies", verbose_name=_("calendar"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at % of target"), default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    # SPEC §12: after the first response, a public staff update is due this long (in this
    # calendar) after the last one while the ticket is open. Empty: no update cadence.
    update_interval = models.DurationField(
        _("update interval"), null=True, blank=True,
        help_text=_("After the first response, the next public update is due this long after "
                    "the last one, in the policy's calendar. Empty: no update cadence."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["plan", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "severity"], name="sla_policy_per_severity"),
            models.CheckConstraint(condition=models.Q(severity__gte=1, severity__lte=4),
                                   name="sla_policy_severity_1_4"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} S{self.severity}: {self.target}"

    def clean(self) -> None:
        if self.target is not None and self.target <= timedelta(0):
            raise ValidationError({"target": _("The target must be longer than zero.")})
        if self.update_interval is not None and self.update_interval <= timedelta(0):
            raise ValidationError({"update_interval": _("The update interval must be longer "
                                                        "than zero, or empty for none.")})

    @property
    def warning_after(self) -> timedelta:
        return self.target * self.warning_percent / 100
