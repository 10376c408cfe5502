"""Reports: the pages under ``/reports/`` (namespace ``reports``) and the API."""

from django.urls import path

from tickets.reports import api, views

urlpatterns = [
    path("", views.report_list, name="list"),
    path("subscription/", views.subscription, name="subscription"),
]

api_urlpatterns = [
    path("companies/<int:company_id>/report/", api.ReportApi.as_view(), name="api-report"),
    path("me/report-subscription/", api.SubscriptionApi.as_view(),
         name="api-report-subscription"),
]
