"""Forms of the signature-request pages (SPEC §7). They check the shape of the input only; the
rules (latest database, sample size, hash match, who may move a request and where to) stay in
``tickets.signatures.services``, whose ``ValidationError``s are copied onto these forms with
``support_portal.kernel.forms.add_service_errors``."""

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import DatabaseRelease, SignatureStatus, SignatureType

#: What each type means, shown under its radio button.
TYPE_HELP: dict[str, Promise] = {
    SignatureType.FALSE_POSITIVE: _(
        "Our product detects or blocks an object that is clean. Once the request is accepted, "
        "the detection is removed or narrowed in an expedited database update."
    ),
    SignatureType.FALSE_NEGATIVE: _(
        "Our product does not detect an object that is malicious. Once the request is "
        "accepted, a detection is added in an expedited database update."
    ),
}

_DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SignatureRequestForm(forms.Form):
    type = forms.ChoiceField(label=_("What is wrong?"), choices=SignatureType.choices,
                             widget=forms.RadioSelect)
    product = forms.CharField(label=_("Product"), max_length=120)
    product_version = forms.CharField(label=_("Product version"), max_length=60)
    database_version = forms.CharField(
        label=_("Antivirus-database version in use"), max_length=64,
        help_text=_("As your product shows it, e.g. in its “About” or update screen."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Where the object was found, what the product reported (detection name), "
                    "and why you believe the verdict is wrong."),
    )
    sample = forms.FileField(
        label=_("Sample file"), required=False,
        help_text=_("The object itself. Do not rename or pack it; we compute its SHA-256."),
    )
    sha256 = forms.CharField(
        label=_("SHA-256 of the object"), max_length=64, required=False, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "inputmode": "text", "class": "hash-input"}),
        help_text=_("64 hexadecimal characters. Required if you do not attach the file; if you "
                    "attach it too, it must match."),
    )
    object_url = forms.URLField(
        label=_("URL of the object (optional)"), max_length=500, required=False,
        assume_scheme="https",
        help_text=_("Where the object can be downloaded, if it came from the web."),
    )

    def __init__(self, *args: Any, latest: DatabaseRelease | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if latest is None:
            hint = gettext("No database release has been published yet.")
        else:
            hint = gettext(
                "Latest published release: %(version)s. Requests are accepted only from "
                "customers who run it: if yours is older, update first and check that the "
                "problem remains."
            ) % {"version": latest.version}
        field = self.fields["database_version"]
        field.help_text = f"{field.help_text} {hint}"

    def type_options(self) -> list[tuple[BoundWidget, Promise]]:
        """Each type's radio button with what it means."""
        return [(radio, TYPE_HELP[radio.data["value"]]) for radio in self["type"]]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values, as keyword arguments of ``signature_request_create``."""
        names = ("type", "product", "product_version", "database_version", "description",
                 "sample", "sha256", "object_url")
        return {name: self.cleaned_data[name] for name in names}


def _explain_time_zone(field: forms.Field) -> None:
    """A ``datetime-local`` input has no zone: say which one it is read in."""
    field.help_text = gettext("%(help)s Time zone: %(zone)s.") % {
        "help": field.help_text, "zone": timezone.get_current_timezone_name(),
    }


def _not_in_future(value: datetime | None) -> datetime | None:
    if value is not None and value > timezone.now():
        raise ValidationError(gettext("The release time cannot be in the future."))
    return value


class TransitionForm(forms.Form):
    """One expert step. The page shows a separate form per possible step (start the analysis,
    record the release, reject), all posting here with ``to`` naming the step."""

    to = forms.ChoiceField(choices=SignatureStatus.choices, widget=forms.HiddenInput)
    release_version = forms.CharField(
        label=_("Release identifier"), max_length=64, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("A new release; it becomes the latest that customers must run."),
    )
    released_at = forms.DateTimeField(
        label=_("Released at (optional)"), required=False, widget=_DATETIME_LOCAL,
        help_text=_("Leave empty for now."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the customer, e.g. “the detection is correct: the file is a "
                    "dropper”."),
    )
    message = forms.CharField(
        label=_("Message to the customer (optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Added to the step's notice. Without your own words the notice is "
                    "automatic: it does not count as a response or an update."),
    )

    def __init__(self, *args: Any, step: str, **kwargs: Any) -> None:
        # One form per step on the same page: ids must differ, names stay what the view reads.
        kwargs.setdefault("auto_id", f"id_{step}_%s")
        kwargs.setdefault("initial", {"to": step})
        super().__init__(*args, **kwargs)
        _explain_time_zone(self.fields["released_at"])

    def clean_released_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data["released_at"])

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values, as keyword arguments of ``signature_request_transition``."""
        return {name: self.cleaned_data[name]
                for name in ("to", "release_version", "released_at", "reason", "message")}


class ConfirmForm(forms.Form):
    """The customer's answer after a release (SPEC §7 item 4)."""

    fixed = forms.TypedChoiceField(
        label=_("With the released databases, is the problem fixed?"),
        choices=[("yes", _("Yes, it is fixed")),
                 ("no", _("No, the object is still detected (or still missed)"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("If it is not fixed: what you see now (detection name, product and database "
                    "version). The expert group reads it."),
    )


class DatabaseReleaseForm(forms.Form):
    """A regular (not expedited) database release, recorded by the expert group."""

    version = forms.CharField(label=_("Release identifier"), max_length=64,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))
    released_at = forms.DateTimeField(
        label=_("Released at (optional)"), required=False, widget=_DATETIME_LOCAL,
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _explain_time_zone(self.fields["released_at"])

    def clean_released_at(self) -> datetime | None:
        return _not_in_future(self.cleaned_data["released_at"])
