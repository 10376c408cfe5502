"""Who may see and do what with accounts, in one place (SPEC §1). Every view fetches through
these helpers.

An ``access_*`` helper fetches an object **and** checks that the user may see it. An object of
another tenant is answered as if it did not exist (``Http404``), never 403, so ids cannot be
probed. A visible object the user may not change raises ``PermissionDenied`` (403).

The role rules themselves are properties of ``User`` (``active_contact``,
``is_support_staff``, ``can_see_dashboards``, ``is_expert``); ``manages_account`` is the one
answer to "is this the account's TAM or an administrator".
"""

from typing import cast

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from rest_framework.request import Request

from accounts.audit import AuditEntry
from accounts.models import Company, Contact, Role, User
from accounts.selectors import companies_with_counts
from support_portal.kernel.api import authenticated_user


def page_user(request: HttpRequest) -> User:
    """The signed-in user of a page view (the view is behind ``login_required``)."""
    return cast(User, request.user)


def request_user(request: Request) -> User:
    """The signed-in user of an API request (the default permission refuses anonymous ones)."""
    return cast(User, authenticated_user(request))


def require_staff(user: User) -> None:
    if not user.is_support_staff:
        raise PermissionDenied(_("Only support staff may do this."))


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise PermissionDenied(_("Only a portal administrator may do this."))


def visible_companies(user: User) -> QuerySet[Company]:
    """Staff read every account; an active contact reads only their own company."""
    qs = companies_with_counts()
    if user.is_support_staff:
        return qs
    contact = user.active_contact
    return qs.filter(pk=contact.company_id) if contact is not None else qs.none()


def access_company(user: User, company_id: int | str) -> Company:
    try:
        return visible_companies(user).get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such company.")) from None


def manages_account(user: User, company: Company) -> bool:
    """The account's own TAM, or an administrator: who manages its contacts and writes its
    proactive notes (SPEC §1)."""
    return user.role == Role.ADMIN or (user.role == Role.TAM and company.tam_id == user.pk)


def access_company_for_contact_management(user: User, company_id: int | str) -> Company:
    """The company, if the user is an admin or the account's TAM."""
    company = access_company(user, company_id)
    if not manages_account(user, company):
        raise PermissionDenied(_("Only an administrator or the account's TAM manage contacts."))
    return company


def access_contact(user: User, company: Company, contact_id: int | str) -> Contact:
    """A contact of ``company`` by its one id across the API and pages, the contact's **user
    id** (the id a ticket's ``requester`` takes, SPEC §8); the caller has already passed the
    company check."""
    try:
        return Contact.objects.select_related("user", "company").get(
            user_id=int(contact_id), company=company
        )
    except (Contact.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such contact.")) from None


def access_company_dashboard(user: User, company_id: int | str) -> Company:
    """An account's dashboard (SPEC §1, §6): ``user.can_see_dashboards`` says who may open
    dashboards at all (anyone else: 403); a TAM sees only their own accounts (another TAM's
    account does not exist for them: 404)."""
    company = access_company(user, company_id)
    if not user.can_see_dashboards:
        raise PermissionDenied(_("Account dashboards are for the account's TAM and "
                                 "administrators."))
    if user.role == Role.TAM and company.tam_id != user.pk:
        raise Http404(_("No such company."))
    return company


def access_company_report(user: User, company_id: int | str) -> Company:
    """An account's monthly service reviews (SPEC §1, §15): the company's own contacts read
    theirs (another company's does not exist for them: 404); staff get the dashboard's answer
    (``access_company_dashboard``: another TAM's account is a 404) and then only those who
    manage the account, its TAM and administrators, read them (an engineer or expert: 403)."""
    if user.is_contact:
        return access_company(user, company_id)
    company = access_company_dashboard(user, company_id)
    if not manages_account(user, company):
        raise PermissionDenied(_("Account reports are for the account's TAM and administrators."))
    return company


def visible_audit_entries(user: User) -> QuerySet[AuditEntry]:
    """The audit log (SPEC §14): administrators read all of it, a TAM the entries of their
    own accounts; anyone else is refused."""
    if user.role == Role.ADMIN:
        return AuditEntry.objects.all()
    if user.role == Role.TAM:
        return AuditEntry.objects.filter(company__tam=user)
    raise PermissionDenied(_("The audit log is for administrators and Technical Account "
                             "Managers."))
