"""Pages for antivirus-signature change requests, under ``/signature-requests/``."""

from django.urls import path

from tickets import signature_views as views

app_name = "signatures"

urlpatterns = [
    path("", views.signature_list, name="list"),
    path("new/", views.signature_new, name="new"),
    path("releases/", views.release_list, name="releases"),
    path("<int:request_id>/", views.signature_detail, name="detail"),
    path("<int:request_id>/transition/", views.signature_transition, name="transition"),
]
