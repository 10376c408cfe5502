"""The set-password e-mail of a named contact, sent when a TAM or an administrator adds them
from the portal (they choose their own password) and again on request.

It is django-allauth's password reset underneath: the same single-use key (it hashes the
password and the last sign-in, so it stops working once used) valid for
``PASSWORD_RESET_TIMEOUT``, the same ``/accounts/password_reset/key/…`` page, the adapter's
sending in the recipient's language — only the words are a welcome, not "you asked for a reset".
"""

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from accounts.models import Contact


def send_set_password_email(*, contact: Contact, request: HttpRequest) -> None:
    """E-mail ``contact`` a link to choose their password (now; call after commit)."""
    user = contact.user
    token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    with context.request_context(request):
        adapter = get_adapter(request)
        url = adapter.get_reset_password_from_key_url(f"{user_pk_to_url_str(user)}-{token}")
        with translation.override(user.language or settings.LANGUAGE_CODE):
            adapter.send_mail("account/email/contact_set_password", user.email, {
                "user": user, "company": contact.company, "password_reset_url": url,
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                "PRIORITY_PHONE_LINE": settings.PRIORITY_PHONE_LINE,
            })
