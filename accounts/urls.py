"""Sign-in pages and the accounts API (staff, companies, contacts)."""

from django.urls import path

from accounts import api, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
]

api_urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("staff/", api.StaffCreateApi.as_view(), name="api-staff"),
    path("companies/", api.CompanyListApi.as_view(), name="api-companies"),
    path("companies/<int:company_id>/", api.CompanyDetailApi.as_view(), name="api-company"),
    path("companies/<int:company_id>/contacts/", api.ContactListApi.as_view(),
         name="api-contacts"),
    path("companies/<int:company_id>/contacts/<int:contact_id>/", api.ContactDetailApi.as_view(),
         name="api-contact"),
]
