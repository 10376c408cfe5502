"""Forms of the ``/oncall/`` page (SPEC §11): the shape of the input only; the rules stay in
``tickets.oncall.services``. Times are entered in the viewer's time zone (the active one)."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import STAFF_ROLES, User
from tickets.models import RotationLevel

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _staff() -> "QuerySet[User]":
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name")


class RotationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    level = forms.TypedChoiceField(label=_("Level"), choices=RotationLevel.choices, coerce=int)
    starts_at = forms.DateTimeField(label=_("First shift starts"), widget=_LOCAL)
    shift_hours = forms.IntegerField(label=_("Shift length (hours)"), min_value=1,
                                     max_value=24 * 28, initial=168)
    members = forms.CharField(
        label=_("Members, in order"),
        help_text=_("E-mail addresses of staff, one per line: the first is on call in the "
                    "first shift, and so on in turn."),
        widget=forms.Textarea(attrs={"rows": 4}))

    def clean_members(self) -> list[User]:
        emails = [line.strip().lower() for line in self.cleaned_data["members"].splitlines()
                  if line.strip()]
        found = {u.email: u for u in User.objects.filter(email__in=emails)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise forms.ValidationError(gettext("Nobody has these addresses: %(list)s.")
                                        % {"list": ", ".join(unknown)})
        return [found[e] for e in emails]


class OverrideForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Who takes the shift"), queryset=User.objects.none())
    level = forms.TypedChoiceField(label=_("Level"), choices=RotationLevel.choices, coerce=int)
    starts_at = forms.DateTimeField(label=_("From"), widget=_LOCAL)
    ends_at = forms.DateTimeField(label=_("Until"), widget=_LOCAL)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = _staff()  # type: ignore[attr-defined]
