"""TAM pages: the portfolio and account dashboards, under ``/tam/``."""

from django.urls import path  # noqa: F401

app_name = "tam"

urlpatterns: list = []
