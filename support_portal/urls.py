from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from accounts.urls import api_urlpatterns as accounts_api
from support_portal import health
from tickets import queue_views
from tickets.urls import api_urlpatterns as tickets_api
from tickets.urls import page_urlpatterns as ticket_pages

api_v1 = [
    *accounts_api,
    *tickets_api,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("tickets/", include((ticket_pages, "tickets"))),
    path("queue/", queue_views.queue_page, name="queue"),
    path("signature-requests/", include("tickets.signature_urls")),
    path("tam/", include("tickets.tam_urls")),
    path("notifications/", include("tickets.notification_urls")),
    path("api/v1/", include(api_v1)),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
