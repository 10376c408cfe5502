"""TAM pages under ``/tam/`` (namespace ``tam``) and the dashboard and notes API."""

from django.urls import path

from tickets.tam import api, views

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("accounts/<int:company_id>/", views.account, name="account"),
    path("accounts/<int:company_id>/notes/", views.add_note, name="add_note"),
]

api_urlpatterns = [
    path("companies/<int:company_id>/dashboard/", api.DashboardApi.as_view(),
         name="api-dashboard"),
    path("companies/<int:company_id>/notes/", api.NoteListApi.as_view(), name="api-notes"),
]
