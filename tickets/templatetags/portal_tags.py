"""Small template helpers shared by the portal pages."""

import zoneinfo
from datetime import datetime

from django import template
from django.utils import timezone

from accounts.models import Company

register = template.Library()

#: Office hours of the support desk, in the customer's own time zone: weekdays 09:00-18:00.
OFFICE_DAYS = range(0, 5)
OFFICE_HOURS = (9, 18)


@register.filter
def outside_business_hours(company: Company | None, now: datetime | None = None) -> bool:
    """True on evenings, nights and weekends in the company's time zone — when a customer most
    needs to be reminded that the priority line answers around the clock."""
    if company is None:
        return False
    local = timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(company.timezone))
    return local.weekday() not in OFFICE_DAYS or not (
        OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]
    )
