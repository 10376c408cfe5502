"""Major incidents: the pages under ``/incidents/`` (namespace ``incidents``) and the API under
``/api/v1/``."""

from django.urls import path

from tickets.incidents import api, views

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("offer/", views.incident_offer, name="offer"),
    path("banner/", views.incident_banner, name="banner"),
    path("<int:incident_id>/", views.incident_detail, name="detail"),
    path("<int:incident_id>/update/", views.incident_update, name="update"),
    path("<int:incident_id>/link/", views.incident_link_ticket, name="link"),
]

api_urlpatterns = [
    path("incidents/", api.IncidentListApi.as_view(), name="api-incidents"),
    path("incidents/<int:incident_id>/", api.IncidentDetailApi.as_view(), name="api-incident"),
    path("incidents/<int:incident_id>/tickets/", api.IncidentTicketsApi.as_view(),
         name="api-incident-tickets"),
    path("incidents/<int:incident_id>/updates/", api.IncidentUpdatesApi.as_view(),
         name="api-incident-updates"),
]
