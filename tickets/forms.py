"""Forms of the ticket pages. They check the shape of the input; the rules (who may file, the
license, the call-time window, status transitions) stay in ``tickets.services``, whose
``ValidationError``s are copied onto the form by ``support_portal.kernel.forms``."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.boundfield import BoundWidget
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import STAFF_ROLES, Contact, User
from tickets import limits
from tickets.models import SEVERITY_HELP, TRANSITIONS, Kind, Severity, Status, Ticket

#: At most this many files in one upload field (each is also held to ATTACHMENT_MAX_BYTES).
MAX_FILES = 10


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files, each checked against the portal's size limit before anything is
    written, so a too-large file never leaves half a ticket behind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        files = [single(item, initial) for item in items if item]
        if len(files) > MAX_FILES:
            raise ValidationError(
                gettext("At most %(n)d files can be attached at once.") % {"n": MAX_FILES}
            )
        limit = settings.ATTACHMENT_MAX_BYTES
        too_big = [f for f in files if f.size is None or f.size > limit]
        if too_big:
            raise ValidationError([
                gettext("“%(name)s” is larger than the %(mb)d MB limit.")
                % {"name": f.name, "mb": limit // (1024 * 1024)}
                for f in too_big
            ])
        return files


class TicketFieldsForm(forms.Form):
    """What a contact tells us about a problem; shared by the portal and the phone form."""

    subject = forms.CharField(label=_("Subject"), max_length=limits.SUBJECT_MAX)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}),
        max_length=limits.DESCRIPTION_MAX,
        help_text=_("What happens, what you expected, error messages, and what you have tried."),
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=Severity.choices, coerce=int, widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind of request"), initial=Kind.INCIDENT,
        choices=[(Kind.INCIDENT.value, Kind.INCIDENT.label),
                 (Kind.SERVICE_REQUEST.value, Kind.SERVICE_REQUEST.label)],
    )
    product = forms.CharField(label=_("Product"), max_length=limits.PRODUCT_MAX, required=False)
    product_version = forms.CharField(label=_("Product version"),
                                      max_length=limits.PRODUCT_VERSION_MAX, required=False)

    def severity_options(self) -> list[tuple[BoundWidget, Promise]]:
        """Each severity radio button with the meaning of that level (SPEC §3)."""
        return [(radio, SEVERITY_HELP[int(radio.data["value"])]) for radio in self["severity"]]

    def ticket_fields(self) -> dict[str, Any]:
        """The cleaned values, as keyword arguments of ``services.ticket_create``."""
        names = ("subject", "description", "severity", "kind", "product", "product_version")
        return {name: self.cleaned_data[name] for name in names}


class TicketCreateForm(TicketFieldsForm):
    attachments = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Optional: logs, screenshots, configuration files."),
    )


def _contact_choices(contacts: Iterable[Contact]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active contacts grouped by company, for an ``<optgroup>`` per company."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for contact in contacts:
        company = contact.company
        name = company.name
        if not company.license_is_valid():
            name = gettext("%(company)s (license not valid)") % {"company": company.name}
        groups.setdefault(name, []).append(
            (contact.user_id, f"{contact.user.full_name} <{contact.user.email}>")
        )
    return list(groups.items())


def this_minute() -> datetime:
    """Now, in the current time zone, to the minute (what a ``datetime-local`` input shows)."""
    return timezone.localtime().replace(second=0, microsecond=0)


class PhoneTicketForm(TicketFieldsForm):
    """A call on the priority line, logged by staff on behalf of a named contact."""

    contact = forms.TypedChoiceField(label=_("Caller (named contact)"), coerce=int)
    received_at = forms.DateTimeField(
        label=_("Call received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The call starts the response-time clock. It must be within the last day."),
    )

    field_order = ["contact", "received_at", "subject", "description", "severity", "kind",
                   "product", "product_version"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = (
            Contact.objects.active()
            .select_related("user", "company")
            .order_by("company__name", "user__full_name", "pk")
        )
        contact_field = cast(forms.TypedChoiceField, self.fields["contact"])
        contact_field.choices = [("", "—"), *_contact_choices(contacts)]
        self.fields["received_at"].initial = this_minute

    def clean_contact(self) -> User:
        contact = Contact.objects.active().select_related("user").filter(
            user_id=self.cleaned_data["contact"]).first()
        if contact is None:
            raise ValidationError(gettext("Choose an active contact."))
        return contact.user


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=limits.COMMENT_MAX)
    attachments = MultipleFileField(label=_("Attach files"))
    internal = forms.BooleanField(
        label=_("Internal note (visible to support staff only)"), required=False,
    )

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["internal"]
        else:
            self.fields["body"].label = _("Reply or note")


class StatusSelect(forms.Select):
    """Offers every status but disables those the ticket cannot move to, so a keyboard user
    skips them and the list still shows the whole life cycle."""

    def __init__(self, allowed: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allowed = allowed

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if self.allowed and option["value"] not in self.allowed:
            option["attrs"]["disabled"] = True
        return option


class TicketChangeForm(forms.Form):
    """Staff corrections of severity, status and assignee."""

    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), required=False, empty_label=_("— unassigned —"),
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name"),
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"severity": ticket.severity, "status": ticket.status,
                                      "assignee": ticket.assignee_id})
        super().__init__(*args, **kwargs)
        allowed = frozenset({ticket.status, *TRANSITIONS[ticket.status]})
        self.fields["status"].widget = StatusSelect(allowed=allowed, choices=Status.choices)
