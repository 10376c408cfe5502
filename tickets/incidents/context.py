"""The major-incident banner on every page (SPEC §13): a template context processor
(``settings.TEMPLATES``), read lazily so a page that does not show the banner runs no query."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tickets.incidents.selectors import banner_for


def incident_banner(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_support_staff:
        return {}
    return {"incident_banner": SimpleLazyObject(lambda: banner_for(user))}
