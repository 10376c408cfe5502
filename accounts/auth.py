"""Sign-in plumbing: throttling hooks for django-axes, and sign-ins (success, failure, lock)
written to the log and the audit log."""

import logging
from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_reset
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User, normalize_email

log = logging.getLogger("accounts.signin")


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The e-mail address an attempt was made for, normalised like stored addresses."""
    source: Any = credentials or getattr(request, "data", None) or request.POST
    value = source.get("username") or source.get("email") or ""
    return normalize_email(str(value))


def client_ip(request: HttpRequest) -> str:
    return audit.client_ip(request) or ""


#: allauth's record of how this session authenticated, newest last.
_METHODS_KEY = "account_authentication_methods"


def _sign_in_method(request: HttpRequest | None) -> str:
    if request is None or not hasattr(request, "session"):
        return "token"
    methods = request.session.get(_METHODS_KEY) or []
    first = methods[0]["method"] if methods else "password"
    return f"{first}+mfa" if any(m.get("method") == "mfa" for m in methods) else first


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """Too many failed attempts for this e-mail from this address: 429, JSON for the API."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, or reset your "
        "password with your account manager."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


@receiver(user_logged_in)
def _remember_language(sender: object, request: HttpRequest | None, user: Any,
                       **kwargs: Any) -> None:
    """The language the user signs in with (browser or their switch) is the one their e-mails
    are written in."""
    code = getattr(request, "LANGUAGE_CODE", None)
    if code and code != user.language and code in dict(settings.LANGUAGES):
        type(user).objects.filter(pk=user.pk).update(language=code)
        user.language = code


@receiver(user_logged_in)
def _log_sign_in(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    log.info("sign-in ok user=%s role=%s ip=%s", user.pk, user.role,
             client_ip(request) if request else "-")
    audit.record(action=audit.Action.SIGN_IN, actor=user, company=audit.company_of(user),
                 request=request, detail={"method": _sign_in_method(request)})


def token_signed_in(request: HttpRequest, user: Any) -> None:
    """A sign-in at the token endpoint: logged, audited, ``last_login`` and the per-address
    failure count reset like a page sign-in, but no session is made (the token is the
    credential from now on)."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth.models import update_last_login

    update_last_login(type(user), user)
    AxesProxyHandler.user_logged_in(sender=type(user), request=request, user=user)
    log.info("sign-in ok user=%s role=%s ip=%s (token)", user.pk, user.role, client_ip(request))
    audit.record(action=audit.Action.SIGN_IN, actor=user, company=audit.company_of(user),
                 request=request, detail={"method": "token"})


@receiver(user_logged_out)
def _log_sign_out(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    log.info("sign-out user=%s", getattr(user, "pk", None))


@receiver(user_login_failed)
def _log_refusal(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # ``credentials`` is already scrubbed of the password by Django.
    email = normalize_email(str(credentials.get("username") or credentials.get("email") or ""))
    log.warning("sign-in refused email=%s ip=%s", email, client_ip(request) if request else "-")
    user = User.objects.select_related("contact__company").filter(email=email).first()
    audit.record(action=audit.Action.SIGN_IN_FAILED, actor_email=email,
                 company=audit.company_of(user), object=user, request=request,
                 detail={"factor": str(credentials.get("factor") or "password")})


@receiver(user_locked_out)
def _log_lock(sender: object, request: HttpRequest | None = None, username: str | None = None,
              **kwargs: Any) -> None:
    email = normalize_email(username or "")
    user = User.objects.select_related("contact__company").filter(email=email).first()
    audit.record(action=audit.Action.SIGN_IN_LOCKED, actor_email=email,
                 company=audit.company_of(user), object=user, request=request)


@receiver(password_changed)
def _log_password_change(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit.record(action=audit.Action.PASSWORD_CHANGED, actor=user,
                 company=audit.company_of(user), object=user, request=request)


@receiver(password_reset)
def _log_password_reset(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit.record(action=audit.Action.PASSWORD_RESET, actor=user,
                 company=audit.company_of(user), object=user, request=request)


@receiver(authenticator_reset)
def _log_recovery_codes(sender: object, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit.record(action=audit.Action.RECOVERY_CODES_REGENERATED, actor=user,
                 company=audit.company_of(user), object=user, request=request)
