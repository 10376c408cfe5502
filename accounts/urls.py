"""Sign-in, single sign-on, profile and audit pages, django-allauth's account pages on the
portal's addresses, and the accounts API (staff, companies, contacts, me, audit)."""

from allauth.account import views as allauth_views
from django.urls import include, path, re_path

from accounts import api, audit_views, contact_views, me_api, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/sso/", views.sso_start, name="sso"),
    path("accounts/sso/callback/", views.sso_callback, name="sso-callback"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/sessions/end-others/", views.end_other_sessions,
         name="end-other-sessions"),
    path("audit/", audit_views.audit_page, name="audit"),
    path("tam/accounts/<int:company_id>/contacts/", contact_views.contacts_page,
         name="contacts"),
    path("tam/accounts/<int:company_id>/contacts/<int:contact_id>/",
         contact_views.contact_change, name="contact-change"),
]

#: django-allauth's pages under the names its code reverses (no namespace), on the portal's
#: addresses: the same sign-in page, password reset (SPEC §14: ``/accounts/password_reset/``)
#: and change, re-authentication, two-factor sign-in and the session list. Sign-up, e-mail
#: management and the other allauth pages are not served.
allauth_urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="account_login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="account_logout"),
    path("accounts/inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("accounts/password_reset/", allauth_views.password_reset,
         name="account_reset_password"),
    path("accounts/password_reset/done/", allauth_views.password_reset_done,
         name="account_reset_password_done"),
    re_path(r"^accounts/password_reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
            allauth_views.password_reset_from_key, name="account_reset_password_from_key"),
    path("accounts/password_reset/key/done/", allauth_views.password_reset_from_key_done,
         name="account_reset_password_from_key_done"),
    path("accounts/password/change/", allauth_views.password_change,
         name="account_change_password"),
    path("accounts/reauthenticate/", allauth_views.reauthenticate,
         name="account_reauthenticate"),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("accounts/sessions/", include("allauth.usersessions.urls")),
]

api_urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="api-token"),
    path("me/", me_api.MeApi.as_view(), name="api-me"),
    path("me/mfa/totp/", me_api.TotpBeginApi.as_view(), name="api-me-totp"),
    path("me/mfa/totp/confirm/", me_api.TotpConfirmApi.as_view(), name="api-me-totp-confirm"),
    path("audit/", audit_views.AuditListApi.as_view(), name="api-audit"),
    path("staff/", api.StaffCreateApi.as_view(), name="api-staff"),
    path("companies/", api.CompanyListApi.as_view(), name="api-companies"),
    path("companies/<int:company_id>/", api.CompanyDetailApi.as_view(), name="api-company"),
    path("companies/<int:company_id>/contacts/", api.ContactListApi.as_view(),
         name="api-contacts"),
    path("companies/<int:company_id>/contacts/<int:contact_id>/", api.ContactDetailApi.as_view(),
         name="api-contact"),
]
