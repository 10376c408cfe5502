"""Tenant checks, in one place. Every view fetches objects through these helpers.

An ``access_*`` helper fetches an object **and** checks that the user may see it. An object of
another tenant is answered as if it did not exist (``Http404``), never 403, so ids cannot be
probed. A visible object the user may not change raises ``PermissionDenied`` (403).
"""

from typing import cast

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from accounts.models import Company, Contact, ProactiveNote, Role, User
from accounts.selectors import companies_with_counts


def page_user(request: HttpRequest) -> User:
    """The signed-in user of a page view (the view is behind ``login_required``)."""
    return cast(User, request.user)


def visible_companies(user: User) -> QuerySet[Company]:
    """Staff read every account; a contact reads only their own company."""
    qs = companies_with_counts()
    if user.is_support_staff:
        return qs
    if user.is_contact and hasattr(user, "contact") and user.contact.is_active:
        return qs.filter(pk=user.contact.company_id)
    return qs.none()


def access_company(user: User, company_id: int | str) -> Company:
    try:
        return visible_companies(user).get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such company.")) from None


def can_manage_contacts(user: User, company: Company) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.TAM and company.tam_id == user.pk)


def access_company_for_contact_management(user: User, company_id: int | str) -> Company:
    """The company, if the user is an admin or the account's TAM."""
    company = access_company(user, company_id)
    if not can_manage_contacts(user, company):
        raise PermissionDenied(_("Only an administrator or the account's TAM manage contacts."))
    return company


def access_contact(user: User, company: Company, contact_id: int | str) -> Contact:
    """A contact of ``company``; the caller has already passed the company check."""
    try:
        return Contact.objects.select_related("user", "company").get(
            pk=int(contact_id), company=company
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such contact.")) from None


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise PermissionDenied(_("Only a portal administrator may do this."))


def access_company_dashboard(user: User, company_id: int | str) -> Company:
    """An account's dashboard: its own TAM, engineers and admins. Another TAM's account does
    not exist for a TAM (404); contacts and experts are refused."""
    company = access_company(user, company_id)
    if user.role == Role.TAM and company.tam_id != user.pk:
        raise Http404(_("No such company."))
    if user.role not in (Role.TAM, Role.ENGINEER, Role.ADMIN):
        raise PermissionDenied(_("Account dashboards are for the account's TAM, engineers and "
                                 "administrators."))
    return company


def can_write_notes(user: User, company: Company) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.TAM and company.tam_id == user.pk)


def visible_notes(user: User, company: Company) -> "QuerySet[ProactiveNote]":
    """Staff who may see the dashboard read every note; the account's contacts read the shared
    ones. ``company`` has already passed ``access_company``."""
    notes = ProactiveNote.objects.filter(company=company).select_related("author")
    if user.is_contact:
        return notes.filter(shared=True)
    access_company_dashboard(user, company.pk)
    return notes
