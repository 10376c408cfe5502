"""A TAM's proactive notes on an account (SPEC §6): the account's TAM and administrators write
them; staff who may see the dashboard read them all; the account's contacts read the shared
ones."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.access import access_company_dashboard, manages_account
from accounts.models import Company, ProactiveNote, User
from tickets import limits


def visible_notes(user: User, company: Company) -> QuerySet[ProactiveNote]:
    """``company`` has already passed ``access_company``: its contacts read the shared notes;
    staff must also pass the dashboard check."""
    notes = ProactiveNote.objects.filter(company=company).select_related("author")
    if user.is_contact:
        return notes.filter(shared=True)
    access_company_dashboard(user, company.pk)
    return notes


def access_company_for_notes(user: User, company_id: int | str) -> Company:
    """The account, if the user may write its notes: its TAM or an administrator. Another TAM's
    account is 404 for a TAM, as on the dashboard; anyone else who may see it gets 403."""
    company = access_company_dashboard(user, company_id)
    if not manages_account(user, company):
        raise PermissionDenied(_("Only the account's TAM writes proactive notes."))
    return company


@transaction.atomic
def note_create(*, company: Company, author: User, title: str, body: str,
                follow_up_on: date | None = None, shared: bool = False) -> ProactiveNote:
    title, body = title.strip(), body.strip()
    errors = {}
    if not title:
        errors["title"] = [_("A title is required.")]
    if not body:
        errors["body"] = [_("The note is empty.")]
    errors.update(limits.too_long({"title": (title, limits.NOTE_TITLE_MAX),
                                   "body": (body, limits.NOTE_BODY_MAX)}))
    if errors:
        raise ValidationError(errors)
    return ProactiveNote.objects.create(company=company, author=author, title=title, body=body,
                                        follow_up_on=follow_up_on, shared=shared)
