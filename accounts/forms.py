"""Forms of the account pages: the profile, and the second step of sign-in throttled like
passwords."""

from typing import Any

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User, known_time_zones


def second_factor_locked(request: Any, user: User) -> bool:
    """The (e-mail, address) pair is locked by django-axes (passwords and codes count alike)."""
    return bool(request is not None
                and AxesProxyHandler.is_locked(request, {"username": user.email}))


def second_factor_failed(request: Any, user: User) -> None:
    """A wrong code counts as a failed sign-in for the (e-mail, address) pair."""
    user_login_failed.send(sender=User, credentials={"username": user.email, "factor": "otp"},
                           request=request)


class MfaAuthenticateForm(AuthenticateForm):
    """allauth's code step of sign-in, counted by django-axes like a password."""

    def clean_code(self) -> str:
        request = context.request
        if second_factor_locked(request, self.user):
            raise forms.ValidationError(_("Too many failed sign-in attempts. Try again later."))
        try:
            code: str = super().clean_code()
        except forms.ValidationError:
            second_factor_failed(request, self.user)
            raise
        return code


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    timezone = forms.CharField(
        label=gettext_lazy("Time zone"), max_length=64,
        help_text=gettext_lazy("An IANA time zone name, e.g. America/Sao_Paulo or Europe/Berlin."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    # Shown to contacts only (the view drops it for staff: the account's TAM always gets it).
    monthly_report_opt_in = forms.BooleanField(
        label=gettext_lazy("E-mail me the review on the 1st of each month"), required=False,
        help_text=gettext_lazy("The PDF of the month just ended, sent to your address once."),
    )

    def clean_timezone(self) -> str:
        value = str(self.cleaned_data["timezone"]).strip()
        if value not in known_time_zones():
            raise forms.ValidationError(_("“%(value)s” is not a known time zone.")
                                        % {"value": value})
        return value


class ContactAddForm(forms.Form):
    """A TAM or an administrator adds a named contact; the contact chooses their password."""

    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
