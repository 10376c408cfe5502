"""Small template helpers shared by the portal pages."""

import zoneinfo
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()

#: Office hours of the support desk, in the customer's own time zone: weekdays 09:00-18:00.
OFFICE_DAYS = range(0, 5)
OFFICE_HOURS = (9, 18)


@register.filter
def outside_business_hours(who: Any, now: datetime | None = None) -> bool:
    """True on evenings, nights and weekends in the customer's time zone — the contact's own
    (or a company's, for anything with a ``timezone``) — when a customer most needs to be
    reminded that the priority line answers around the clock."""
    name = getattr(who, "timezone", "") if who is not None else ""
    if not name:
        return False
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    local = timezone.localtime(now or timezone.now(), zone)
    return local.weekday() not in OFFICE_DAYS or not (
        OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]
    )
