"""Two-factor sign-in (SPEC §14): who must have it, the one place that enforces it, and the
enrolment used by the API.

The authenticators themselves are django-allauth's (``allauth.mfa``: TOTP, RFC 6238, and
single-use recovery codes); ``User.mfa_enabled`` mirrors "has a TOTP authenticator" so the
check on every request costs no query. It is kept in step by the model signals below, whatever
adds or removes an authenticator (the pages, the API, the admin).

Enforcement: ``MfaEnrolmentMiddleware`` sends pages to enrolment and ``MfaEnrolled`` (a
default DRF permission) answers 403 on the API, both asking ``must_enrol``.
"""

from collections.abc import Callable
from typing import Any

from allauth.core import context
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import audit, crypto
from accounts.models import Contact, User
from support_portal.kernel.errors import ConflictError

#: Where a page sends a user who must enrol.
ENROL_URL_NAME = "mfa_activate_totp"
#: Pages a user who must enrol may still open (enrolment itself, signing out, the language).
_OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/",
                  "/accounts/reauthenticate/", "/i18n/", "/static/", "/api/", "/healthz",
                  "/readyz", "/favicon.ico")
PENDING_SECONDS = 15 * 60


def _contact_with_company(user: User) -> Contact | None:
    """The user's contact record with its company, cached on the user the way ``user.contact``
    is, so the pages that read it next do not query again."""
    if not user.is_contact:
        return None
    cached = user._state.fields_cache.get("contact")
    if cached is not None and "company" in cached._state.fields_cache:
        return cached  # type: ignore[no-any-return]
    # With the plan: filing a ticket reads it next (``accounts.selectors.company_with_plan``).
    contact = Contact.objects.select_related("company__plan").filter(user_id=user.pk).first()
    if contact is not None:
        user._state.fields_cache["contact"] = contact
    return contact


def mfa_required(user: User) -> bool:
    """Mandatory for every staff role; for a contact when their company requires it."""
    if user.is_support_staff:
        return True
    contact = _contact_with_company(user)
    return contact is not None and contact.is_active and contact.company.require_mfa


def must_enrol(user: Any) -> bool:
    """Signed in, required to use two-factor sign-in, and not enrolled: may only enrol."""
    if not getattr(user, "is_authenticated", False):
        return False
    return not user.mfa_enabled and mfa_required(user)


ENROL_FIRST = gettext_lazy(
    "Two-factor sign-in is required for your account. Enrol an authenticator app first: "
    "POST /api/v1/me/mfa/totp/, then POST /api/v1/me/mfa/totp/confirm/ with a code "
    "(or on the page /accounts/2fa/totp/activate/)."
)


class MfaEnrolled(BasePermission):
    """Default API permission: a user who must enrol gets 403 with a clear message. The
    enrolment endpoints and ``/api/v1/me/`` name ``IsAuthenticated`` alone."""

    message = ENROL_FIRST

    def has_permission(self, request: Request, view: Any) -> bool:
        return not must_enrol(request.user)


class MfaEnrolmentMiddleware:
    """Pages: a user who must enrol is sent to enrolment from every other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(_OPEN_PREFIXES) and must_enrol(request.user):
            if request.headers.get("HX-Request"):
                # A fragment the page polls (the bell): refused, not redirected, so it cannot
                # reload the enrolment page behind the user's back (a new secret each time).
                return HttpResponse(ENROL_FIRST, status=403, content_type="text/plain")
            return redirect(ENROL_URL_NAME)
        return self.get_response(request)


# --- Keeping User.mfa_enabled in step, and the audit trail --------------------------------
def _sync_flag(user_id: int) -> None:
    enabled = Authenticator.objects.filter(user_id=user_id,
                                           type=Authenticator.Type.TOTP).exists()
    User.objects.filter(pk=user_id).exclude(mfa_enabled=enabled).update(mfa_enabled=enabled)


def _current_request() -> HttpRequest | None:
    """The request being served (allauth's ``AccountMiddleware`` keeps it), if any."""
    return context.request  # type: ignore[no-any-return]


@receiver(post_save, sender=Authenticator, dispatch_uid="accounts.mfa.added")
def _authenticator_saved(sender: Any, instance: Authenticator, created: bool,
                         **kwargs: Any) -> None:
    if not created or instance.type != Authenticator.Type.TOTP:
        return
    _sync_flag(instance.user_id)
    user = User.objects.select_related("contact__company").get(pk=instance.user_id)
    audit.record(action=audit.Action.MFA_ENROLLED, actor=user, company=audit.company_of(user),
                 object=user, request=_current_request())


@receiver(post_delete, sender=Authenticator, dispatch_uid="accounts.mfa.removed")
def _authenticator_deleted(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    if instance.type != Authenticator.Type.TOTP:
        return
    _sync_flag(instance.user_id)
    user = User.objects.select_related("contact__company").get(pk=instance.user_id)
    request = _current_request()
    acting = getattr(request, "user", None) if request is not None else None
    audit.record(action=audit.Action.MFA_RESET,
                 actor=acting if getattr(acting, "is_authenticated", False) else user,
                 company=audit.company_of(user), object=user, request=request)


# --- Services ----------------------------------------------------------------------------
def totp_uri(user: User, secret: str) -> str:
    return get_mfa_adapter().build_totp_url(user, secret)


def totp_begin(*, user: User) -> tuple[str, str]:
    """A new secret waiting for its first code (15 minutes), and its ``otpauth://`` URI."""
    if user.mfa_enabled:
        raise ConflictError(_("Two-factor sign-in is already set up for this account. Reset it "
                              "on your profile page first to enrol a new authenticator."))
    secret = generate_totp_secret()
    cache.set(f"accounts.mfa.pending:{user.pk}", crypto.encrypt(secret), PENDING_SECONDS)
    return secret, totp_uri(user, secret)


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> list[str]:
    """Enrol the pending secret when ``code`` is its current code; the recovery codes."""
    if user.mfa_enabled:
        raise ConflictError(_("Two-factor sign-in is already set up for this account."))
    stored = cache.get(f"accounts.mfa.pending:{user.pk}")
    if not stored:
        raise ValidationError({"code": [_("Start the enrolment first (POST "
                                          "/api/v1/me/mfa/totp/); it is valid for 15 minutes.")]})
    secret = crypto.decrypt(stored)
    if not validate_totp_code(secret, str(code).strip()):
        raise ValidationError({"code": [_("This code is not the authenticator's current code.")]})
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).get_unused_codes()
    cache.delete(f"accounts.mfa.pending:{user.pk}")
    user.mfa_enabled = True
    return codes


def verify_second_factor(user: User, code: str) -> bool:
    """A current TOTP code (each used once) or an unused recovery code (then spent)."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        return False
    for authenticator in Authenticator.objects.filter(user_id=user.pk):
        if authenticator.type == Authenticator.Type.TOTP:
            if TOTP(authenticator).validate_code(code):
                return True
        elif (authenticator.type == Authenticator.Type.RECOVERY_CODES
              and RecoveryCodes(authenticator).validate_code(code)):
            return True
    return False


@transaction.atomic
def mfa_reset(*, user: User) -> None:
    """Remove every authenticator of ``user`` (lost phone and codes); staff must enrol again
    before anything else works. Recorded as ``mfa_reset`` by the signal above."""
    for authenticator in Authenticator.objects.filter(user_id=user.pk):
        authenticator.delete()
