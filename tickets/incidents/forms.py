"""Forms of the incident pages (SPEC §13): the shape of the input only; the rules stay in
``tickets.incidents.services`` and ``tickets.incident_links``."""

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import IncidentStatus, Severity, parse_number


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int,
                                      initial=Severity.CRITICAL)
    status = forms.ChoiceField(
        label=_("Status"), initial=IncidentStatus.INVESTIGATING,
        choices=[c for c in IncidentStatus.choices if c[0] != IncidentStatus.RESOLVED],
    )
    product = forms.CharField(
        label=_("Product"), max_length=120, required=False,
        help_text=_("Contacts filing a request about this product are offered to link it to "
                    "the incident."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown to the contacts of every affected company, as the title and the "
                    "updates are: never name a customer."),
    )


class UpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Update"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Posted as a public reply to every linked ticket and e-mailed once to each "
                    "requester."),
    )
    status = forms.ChoiceField(label=_("Status after this update"),
                               choices=IncidentStatus.choices)

    def __init__(self, *args: Any, current: str = IncidentStatus.INVESTIGATING,
                 **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"status": current})
        super().__init__(*args, **kwargs)
        self.fields["status"].help_text = gettext(
            "“Resolved” resolves every linked ticket with this update; the incident then takes "
            "no more updates.")


class LinkForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket number"), max_length=20,
                             widget=forms.TextInput(attrs={"placeholder": "TS-000123",
                                                           "autocomplete": "off"}))

    def clean_ticket(self) -> int:
        number = parse_number(self.cleaned_data["ticket"])
        if number is None:
            raise forms.ValidationError(gettext("Give a ticket number such as TS-000123."))
        return number
