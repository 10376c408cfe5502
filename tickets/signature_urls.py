"""Pages for antivirus-signature change requests, under ``/signature-requests/``."""

from django.urls import path  # noqa: F401

app_name = "signatures"

urlpatterns: list = []
