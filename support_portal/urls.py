"""Every address of the portal, put together from each feature's ``urls`` (SPEC §8)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from accounts.urls import allauth_urlpatterns
from accounts.urls import api_urlpatterns as accounts_api
from support_portal import health, home
from support_portal.kernel.api import api_not_found
from tickets.incidents import urls as incident_urls
from tickets.oncall import urls as oncall_urls
from tickets.queue import urls as queue_urls
from tickets.reports import urls as report_urls
from tickets.signatures import urls as signature_urls
from tickets.tam import urls as tam_urls
from tickets.urls import api_urlpatterns as tickets_api
from tickets.urls import page_urlpatterns as ticket_pages

api_v1 = [
    *accounts_api,
    *tickets_api,
    *queue_urls.api_urlpatterns,
    *signature_urls.api_urlpatterns,
    *tam_urls.api_urlpatterns,
    *report_urls.api_urlpatterns,
    *incident_urls.api_urlpatterns,
    *oncall_urls.api_urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Last: anything else under /api/v1/ (unknown paths, ids that are not numbers) is a JSON 404.
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("accounts.urls")),
    *allauth_urlpatterns,
    path("tickets/", include((ticket_pages, "tickets"))),
    *queue_urls.page_urlpatterns,
    path("signature-requests/", include((signature_urls.urlpatterns, "signatures"))),
    path("tam/", include((tam_urls.urlpatterns, "tam"))),
    path("reports/", include((report_urls.urlpatterns, "reports"))),
    path("incidents/", include((incident_urls.urlpatterns, "incidents"))),
    path("oncall/", include((oncall_urls.urlpatterns, "oncall"))),
    path("notifications/", include("tickets.notifications.urls")),
    path("api/v1/", include(api_v1)),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    # Browsers ask for it on pages without an icon link (the admin, the API docs).
    path("favicon.ico", health.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

# JSON under /api/v1/, the usual HTML pages elsewhere (support_portal.kernel.api).
handler400 = "support_portal.kernel.api.handler400"
handler403 = "support_portal.kernel.api.handler403"
handler404 = "support_portal.kernel.api.handler404"
handler500 = "support_portal.kernel.api.handler500"
