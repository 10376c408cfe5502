"""The first-response target of a ticket and its deadlines (SPEC §4): the pure half of the
SLA that ``tickets`` calls when it files a ticket or changes its severity.

It reads policies and calendars (``sla.models``) and does the arithmetic with
``sla.deadlines``; it never imports ``tickets``. The jobs that flag breaches and warnings live
in ``sla.jobs``, which imports ``tickets`` — never both directions from one module.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sla import deadlines
from sla.models import SlaPolicy


def policy_for(plan_id: int, severity: int) -> SlaPolicy:
    """The (plan, severity) policy with its calendar and holidays: one query."""
    policy = (
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related("calendar__holidays")
        .filter(plan_id=plan_id, severity=severity)
        .first()
    )
    if policy is None:
        raise ValidationError(
            _("No response-time target is configured for this plan and severity %(severity)d.")
            % {"severity": severity}
        )
    return policy


def response_deadlines(policy: SlaPolicy, start: datetime) -> tuple[datetime, datetime]:
    """(due, warn): when the first response is due and when the warning is raised."""
    calendar = policy.calendar.as_calendar(list(policy.calendar.holidays.all()))
    due = deadlines.deadline(start, policy.target, calendar)
    warn = deadlines.deadline(start, policy.warning_after, calendar)
    return due, warn
