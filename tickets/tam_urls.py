"""TAM pages: the portfolio and account dashboards, under ``/tam/``."""

from django.urls import path

from tickets import tam_views as views

app_name = "tam"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("accounts/<int:company_id>/", views.account, name="account"),
    path("accounts/<int:company_id>/notes/", views.add_note, name="add_note"),
]
