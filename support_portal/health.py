"""Liveness and readiness probes for load balancers and orchestration."""

from celery import current_app
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Checks nothing else, so it never flaps with a dependency."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any transport error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database and the Celery broker are both reachable."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(error is None for error in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: error or "ok" for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on pages without an icon link (the admin, the
    API docs): the portal's icon (resolved per request: the hashed name exists only after
    ``collectstatic``)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
