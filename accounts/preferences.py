"""Everyone in their own time and language (SPEC §10).

- Pages: ``UserTimeZoneMiddleware`` activates the signed-in viewer's time zone for the whole
  request, so every ``localtime`` and every date a template formats is theirs. The API keeps
  ISO 8601 with offset in UTC, whoever asks.
- E-mails: ``zone_of`` is what ``tickets.outbox`` activates while it composes each
  recipient's e-mail, like the recipient's language.
- Language: the language the browser asked for when the user signed in is remembered for the
  user's e-mails and notifications (the language switch and the profile change it too).
"""

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.models import User

#: Requests under these paths keep UTC (the API's timestamps are ISO 8601 with offset).
UTC_PATHS = ("/api/",)


def zone_of(user: Any) -> zoneinfo.ZoneInfo:
    """The user's time zone; UTC for anyone without a valid one."""
    name = getattr(user, "timezone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class UserTimeZoneMiddleware:
    """Times on every page in the viewer's zone (after ``AuthenticationMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and not request.path.startswith(UTC_PATHS)):
            timezone.activate(zone_of(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _browser_language(request: HttpRequest | None) -> str | None:
    """The language this browser asked for (the language cookie, else ``Accept-Language``),
    or None when it asked for none."""
    if request is None or not hasattr(request, "COOKIES"):
        return None
    if not (request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            or request.META.get("HTTP_ACCEPT_LANGUAGE")):
        return None
    code = translation.get_language_from_request(request)
    return code if code in dict(settings.LANGUAGES) else None


@receiver(user_logged_in)
def remember_browser_language(sender: Any, request: HttpRequest | None, user: User,
                              **kwargs: Any) -> None:
    """A user who signs in from a Portuguese browser gets Portuguese e-mails, without having
    to find the language switch first."""
    code = _browser_language(request)
    if code and code != getattr(user, "language", code):
        User.objects.filter(pk=user.pk).update(language=code)
        user.language = code
