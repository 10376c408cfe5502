"""Values every template may show."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {"PRIORITY_PHONE_LINE": settings.PRIORITY_PHONE_LINE}
