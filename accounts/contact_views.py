"""Managing an account's named contacts in the portal (SPEC §1–2): for the account's TAM and
administrators, through the same access helper and services as
``/api/v1/companies/{id}/contacts/`` — the same limit, checked under the same row lock, and the
same message beyond it. A contact added here chooses their own password from an e-mail
(``accounts.invitations``), which can be sent again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.access import (
    access_company_for_contact_management,
    access_contact,
    page_user,
)
from accounts.forms import ContactAddForm
from accounts.invitations import send_set_password_email
from accounts.selectors import contacts_of
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.forms import add_service_errors


def _page(request: HttpRequest, company_id: int, *, form: ContactAddForm | None = None,
          status: int = 200) -> HttpResponse:
    company = access_company_for_contact_management(page_user(request), company_id)
    contacts = list(contacts_of(company))
    active = sum(1 for c in contacts if c.is_active)
    return render(request, "accounts/contacts.html", {
        "company": company, "contacts": contacts, "active": active,
        "limit": company.plan.contact_limit, "full": active >= company.plan.contact_limit,
        "form": form or ContactAddForm(),
    }, status=status)


@login_required
def contacts_page(request: HttpRequest, company_id: int) -> HttpResponse:
    if request.method != "POST":
        return _page(request, company_id)
    user = page_user(request)
    company = access_company_for_contact_management(user, company_id)
    form = ContactAddForm(request.POST)
    if not form.is_valid():
        return _page(request, company_id, form=form, status=400)
    try:
        with transaction.atomic():
            contact = services.contact_create(company=company, password=None, actor=user,
                                              request=request, **form.cleaned_data)
    except ConflictError as exc:  # the plan's limit: the API's 409 message
        form.add_error(None, exc.message)
        return _page(request, company_id, form=form, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, company_id, form=form, status=400)
    send_set_password_email(contact=contact, request=request)
    messages.success(request, _("%(name)s was added. An e-mail to %(email)s lets them choose "
                                "their password.") % {"name": contact.user.full_name,
                                                      "email": contact.user.email})
    return redirect("accounts:contacts", company_id=company.pk)


@login_required
@require_POST
def contact_change(request: HttpRequest, company_id: int, contact_id: int) -> HttpResponse:
    """Deactivate (``action=deactivate``), reactivate (``reactivate``) or send the
    set-password e-mail again (``set_password``)."""
    user = page_user(request)
    company = access_company_for_contact_management(user, company_id)
    contact = access_contact(user, company, contact_id)
    action = request.POST.get("action", "")
    name = contact.user.full_name
    if action == "set_password":
        if not contact.is_active:
            messages.error(request, _("%(name)s is deactivated: reactivate them first.")
                           % {"name": name})
        else:
            send_set_password_email(contact=contact, request=request)
            messages.success(request, _("A set-password e-mail was sent to %(email)s.")
                             % {"email": contact.user.email})
    elif action in ("deactivate", "reactivate"):
        try:
            services.contact_update(contact=contact, is_active=action == "reactivate",
                                    actor=user, request=request)
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, (
                _("%(name)s was deactivated: their sessions and API tokens no longer work.")
                if action == "deactivate" else _("%(name)s was reactivated.")
            ) % {"name": name})
    else:
        messages.error(request, _("Unknown action."))
    return redirect("accounts:contacts", company_id=company.pk)
