"""Company single sign-on through the customer's own OpenID Connect provider (SPEC §14).

django-allauth's OpenID Connect client does the protocol (discovery from the issuer, the
authorization-code flow with PKCE S256, the token request, the id token's signature against
the provider's JWKS, issuer, audience and expiry); this module makes it per company and strict:

* each company with ``sso_issuer``/``sso_client_id`` is one provider, ``company-<id>``, built
  from the company row (no allauth ``SocialApp`` rows), the secret decrypted on use;
* one callback for every company, ``/accounts/sso/callback/``, which finds the provider from
  the state stashed in the session at the start;
* a ``nonce`` is sent and must come back in the id token, and the signature is always checked
  (allauth skips it when the token came straight from the token endpoint);
* only the id token's claims count (no userinfo call): its ``email`` must be verified and be
  the address of an **active named contact of that company**. Anything else is refused with a
  clear message, recorded in the audit log, and creates nothing (no user, no social account),
  so SSO can never exceed the contact limit.
"""

import ipaddress
import secrets
from typing import Any
from urllib.parse import urlsplit

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.internal import jwtkit, statekit
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import audit, crypto
from accounts.models import Company, Contact, normalize_email

PROVIDER_PREFIX = "company-"


def validate_issuer(url: str) -> None:
    """An issuer is an https URL (plain http only on this machine's loopback, for tests and
    development) without query or fragment."""
    if not url:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValidationError({"sso_issuer": [_("The issuer must be an https:// URL.")]})
    if parts.query or parts.fragment or not host:
        raise ValidationError({"sso_issuer": [_("The issuer is a plain URL, without query or "
                                                 "fragment.")]})


def provider_id(company: Company) -> str:
    return f"{PROVIDER_PREFIX}{company.pk}"


def _company_for_provider_id(value: str) -> Company | None:
    if not value.startswith(PROVIDER_PREFIX):
        return None
    try:
        pk = int(value[len(PROVIDER_PREFIX):])
    except ValueError:
        return None
    company = Company.objects.filter(pk=pk).first()
    return company if company is not None and company.sso_enabled else None


def company_app(company: Company) -> SocialApp:
    """The company's OpenID Connect client, built from its row (never saved)."""
    return SocialApp(
        provider=OpenIDConnectProvider.id,
        provider_id=provider_id(company),
        name=company.name,
        client_id=company.sso_client_id,
        secret=crypto.decrypt(company.sso_client_secret),
        settings={
            "server_url": company.sso_issuer,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": False,
        },
    )


def app_for_provider_id(value: str) -> SocialApp | None:
    company = _company_for_provider_id(value)
    return company_app(company) if company is not None else None


class CompanyAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter for one company, with the portal's callback address,
    a nonce, and the id token's signature always verified."""

    def __init__(self, request: HttpRequest, company: Company) -> None:
        super().__init__(request, provider_id(company))
        self.company = company
        self.state: dict[str, Any] = {}

    def get_provider(self) -> "CompanyProvider":
        return CompanyProvider(self.request, app=company_app(self.company))

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        # The scheme of the request (https behind the TLS proxy, see SECURE_PROXY_SSL_HEADER).
        return request.build_absolute_uri(reverse("accounts:sso-callback"))

    @property
    def openid_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().openid_config
        if str(config.get("issuer", "")).rstrip("/") != self.company.sso_issuer.rstrip("/"):
            raise OAuth2Error("The provider's discovery document names another issuer.")
        return config

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        expected = self.state.get("nonce")
        if not expected or not secrets.compare_digest(str(claims.get("nonce", "")), expected):
            raise OAuth2Error("The id token's nonce does not match this sign-in.")
        return claims


class CompanyProvider(OpenIDConnectProvider):
    def get_oauth2_adapter(self, request: HttpRequest) -> CompanyAdapter:
        company = _company_for_provider_id(self.app.provider_id)
        assert company is not None  # noqa: S101 - built from this very company
        return CompanyAdapter(request, company)

    def redirect(self, request: HttpRequest, process: Any, next_url: str | None = None,
                 data: Any = None, **kwargs: Any) -> HttpResponse:
        nonce = secrets.token_urlsafe(24)
        auth_params = dict(kwargs.pop("auth_params", None) or self.get_auth_params())
        auth_params["nonce"] = nonce
        response: HttpResponse = super().redirect(request, process, next_url, data,
                                                  auth_params=auth_params, nonce=nonce,
                                                  **kwargs)
        return response


class CompanyCallbackView(OAuth2CallbackView):
    adapter: CompanyAdapter

    def _get_state(self, request: HttpRequest, provider: Any) -> Any:
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.state = state
        return state, response


# --- Entry and callback --------------------------------------------------------------------
def company_for_email(email: str) -> Company | None:
    """The company whose IdP signs this address in: the company of the named contact with
    this address, else the one SSO company whose contacts use the address's domain."""
    email = normalize_email(email)
    contact = (Contact.objects.active().select_related("company")
               .filter(user__email=email).exclude(company__sso_issuer="")
               .exclude(company__sso_client_id="").first())
    if contact is not None:
        return contact.company
    domain = email.rpartition("@")[2]
    if not domain:
        return None
    candidates = list(
        Company.objects.exclude(sso_issuer="").exclude(sso_client_id="")
        .filter(contacts__is_active=True, contacts__user__email__endswith=f"@{domain}")
        .distinct()[:2]
    )
    return candidates[0] if len(candidates) == 1 else None


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return None


def refuse(request: HttpRequest, message: str, *, company: Company | None = None,
           email: str = "", reason: str = "", status: int = 403) -> HttpResponse:
    """The refusal page; the refusal is recorded."""
    audit.record(action=audit.Action.SSO_REFUSED, actor_email=email, company=company,
                 request=request, detail={"reason": reason} if reason else None)
    return render(request, "registration/sso_refused.html", {"message": message},
                  status=status)


def start(request: HttpRequest, company: Company, next_url: str | None) -> HttpResponse:
    """Send the browser to the company's provider (state, PKCE and nonce in the session)."""
    provider = CompanyProvider(request, app=company_app(company))
    return provider.redirect(request, process="login", next_url=safe_next(request, next_url))


def callback(request: HttpRequest) -> HttpResponse:
    state_id = request.GET.get("state", "")
    stashed = statekit.get_states(request).get(state_id)
    company = (_company_for_provider_id(str(stashed[2]))
               if stashed is not None and len(stashed) == 3 else None)
    if company is None:
        return refuse(request, _("This sign-in has expired or was already used. Start again "
                                 "from the sign-in page."), reason="unknown state", status=400)
    view = CompanyCallbackView.adapter_view(CompanyAdapter(request, company))
    response: HttpResponse = view(request)
    return response


def admit(request: HttpRequest, sociallogin: SocialLogin) -> None:
    """allauth's ``pre_social_login``: sign in the active named contact of the company whose
    provider vouched for the verified address, or refuse. Never returns."""
    company = _company_for_provider_id(str(sociallogin.account.provider))
    claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    email = normalize_email(str(claims.get("email") or ""))
    verified = claims.get("email_verified") in (True, "true", "True")
    contact = None
    if company is not None and email and verified:
        contact = (Contact.objects.active().select_related("user", "company")
                   .filter(company=company, user__email=email).first())
    if contact is None:
        reason = "unverified e-mail" if email and not verified else "not a named contact"
        raise ImmediateHttpResponse(refuse(
            request,
            _("%(email)s is not an active named support contact of %(company)s, so it cannot "
              "sign in here. Ask your company's administrator or your account manager to add "
              "you as a named contact.")
            % {"email": email or _("This account"),
               "company": company.name if company else _("this company")},
            company=company, email=email, reason=reason,
        ))
    user = contact.user
    record_authentication(request, user, "socialaccount", provider=sociallogin.account.provider,
                          uid=sociallogin.account.uid)
    raise ImmediateHttpResponse(perform_login(
        request, user, redirect_url=sociallogin.state.get("next") or "/", email=email,
    ))


def authentication_failed(request: HttpRequest, provider: Any, error: Any,
                          exception: Any) -> None:
    """allauth's ``on_authentication_error``: refuse with a clear message. Never returns."""
    company = _company_for_provider_id(str(getattr(getattr(provider, "app", None),
                                                   "provider_id", "") or ""))
    cancelled = str(error) == "cancelled"
    message = (_("Single sign-on was cancelled at your identity provider.") if cancelled else
               _("The identity provider's answer could not be verified, so you are not signed "
                 "in. Try again, or sign in with your password."))
    raise ImmediateHttpResponse(refuse(
        request, message, company=company, reason=f"{error}: {exception}"[:200],
        status=400 if cancelled else 403,
    ))
