"""How django-allauth fits the portal: nobody signs up (administrators and TAMs create
accounts), e-mails go out in the recipient's language, TOTP seeds are encrypted at rest, and
company single sign-on lets in only the company's active named contacts (``accounts.sso``)."""

import time
from typing import Any

from allauth.account import app_settings as allauth_account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.http import HttpRequest
from django.utils import translation

from accounts import audit, crypto, sso


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        with translation.override(getattr(user, "language", None) or "en"):
            super().send_password_reset_mail(user, email, context)

    def get_client_ip(self, request: HttpRequest) -> str:
        return audit.client_ip(request) or "0.0.0.0"  # noqa: S104 - a label, not a bind

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return "/"

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Sensitive changes (two-factor enrolment or reset, recovery codes) ask for the
        password again, unless this session signed in less than ``REAUTHENTICATION_TIMEOUT``
        (5 minutes) ago: a staff member sent to enrol right after signing in is not asked twice."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = context.request
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        records = get_authentication_records(request, user)
        recent = bool(records) and time.time() - float(records[0].get("at", 0)) < (
            allauth_account_settings.REAUTHENTICATION_TIMEOUT)
        return not recent


class MfaAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Only the per-company OpenID Connect apps of ``accounts.sso`` exist; nothing signs up."""

    def list_apps(self, request: HttpRequest | None, provider: Any = None,
                  client_id: Any = None) -> list[SocialApp]:
        app = sso.app_for_provider_id(str(provider or ""))
        return [app] if app is not None else []

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        sso.admit(request, sociallogin)  # signs the contact in, or refuses: never returns

    def on_authentication_error(self, request: HttpRequest, provider: Any, error: Any = None,
                                exception: Any = None, extra_context: Any = None) -> None:
        """The provider's answer failed a check (signature, nonce, issuer, PKCE, state): the
        portal's refusal page, recorded."""
        sso.authentication_failed(request, provider, error, exception)
