"""Server-rendered account pages: sign-in (django-allauth's flow on the stable address
``/accounts/login/``), company single sign-on, the profile, and the language switch."""

from typing import Any

from allauth.account.views import LoginView as AllauthLoginView
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST
from requests import RequestException

from accounts import mfa, services, sso
from accounts.access import page_user
from accounts.forms import ProfileForm
from accounts.models import User, known_time_zones
from support_portal.kernel.forms import add_service_errors


class LoginView(AllauthLoginView):
    """allauth's sign-in (password, then the code step for users with two-factor sign-in),
    django-axes' per-(e-mail, address) lock, and a ceiling per address (``SIGN_IN_RATE``)."""

    template_name = "registration/login.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()
        data = kwargs.get("data")
        # ``username`` is what this page posted before allauth (password managers, scripts).
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            kwargs["data"] = data
        return kwargs


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, and the choice is remembered for the user's e-mails."""
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=code)
    return response


# --- Single sign-on ------------------------------------------------------------------------
def sso_start(request: HttpRequest) -> HttpResponse:
    """``/accounts/sso/?email=…``: to the identity provider of the address's company."""
    email = request.GET.get("email", "").strip()
    error = ""
    if email:
        company = sso.company_for_email(email)
        if company is None:
            error = _("Single sign-on is not set up for %(email)s. Sign in with your password "
                      "instead.") % {"email": email}
        else:
            try:
                return sso.start(request, company, request.GET.get("next"))
            except RequestException:
                return sso.refuse(request, _("The identity provider of %(company)s cannot be "
                                             "reached. Try again later, or sign in with your "
                                             "password.") % {"company": company.name},
                                  company=company, email=email, reason="provider unreachable",
                                  status=502)
    return render(request, "registration/sso.html", {"email": email, "error": error})


def sso_callback(request: HttpRequest) -> HttpResponse:
    return sso.callback(request)


# --- Profile (SPEC §10) --------------------------------------------------------------------
def _recovery_codes_left(user: User) -> int | None:
    found = Authenticator.objects.filter(user_id=user.pk,
                                         type=Authenticator.Type.RECOVERY_CODES).first()
    return len(RecoveryCodes(found).get_unused_codes()) if found is not None else None


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            settings_ = dict(form.cleaned_data)
            if user.active_contact is None:
                settings_.pop("monthly_report_opt_in")
            try:
                services.profile_update(user=user, **settings_)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your settings are saved."))
                response = redirect("accounts:profile")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language,
                                    samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
                return response
    else:
        form = ProfileForm(initial={"full_name": user.full_name, "language": user.language,
                                    "timezone": user.timezone,
                                    "monthly_report_opt_in": user.monthly_report_opt_in})
    sessions = sorted(UserSession.objects.purge_and_list(user),
                      key=lambda s: s.last_seen_at, reverse=True)
    return render(request, "accounts/profile.html", {
        "form": form,
        "time_zones": sorted(known_time_zones()),
        "mfa_required": mfa.mfa_required(user),
        "recovery_codes_left": _recovery_codes_left(user),
        "sessions": sessions,
        "current_session_key": request.session.session_key,
    })


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    services.user_end_other_sessions(user=page_user(request), request=request)
    messages.success(request, _("Every other session is signed out."))
    return redirect("accounts:profile")
