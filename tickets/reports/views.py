"""Reports pages (SPEC §15): ``/reports/`` lists a contact's company months with the PDF and the
CSV of each, and lets the contact ask for the review by e-mail on the 1st. The TAM's picker sits
on the account page (``templatetags``). The files themselves come from the API
(``tickets.reports.api``): session sign-in works there for a browser's GET.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import access_company_report, page_user
from accounts.models import Role
from tickets.reports.selectors import available_months, current_month, month_label
from tickets.reports.services import monthly_review_opt_in_set


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """A contact's company months, newest first. Queries: session, user, contact, company,
    the first ticket's date — five, whatever the number of months or tickets. The account's
    TAM and admins find each account's reports on its account page."""
    user = page_user(request)
    contact = user.active_contact
    if contact is None:
        if user.role in (Role.TAM, Role.ADMIN):
            return redirect("tam:portfolio")
        raise PermissionDenied(_("Reports are for a company's contacts, its TAM and "
                                 "administrators."))
    company = access_company_report(user, contact.company_id)
    this_month = current_month(company)
    api = reverse("api-report", args=[company.pk])
    months = [
        {"value": f"{m:%Y-%m}", "label": month_label(m), "current": m == this_month,
         "pdf": f"{api}?month={m:%Y-%m}&format=pdf", "csv": f"{api}?month={m:%Y-%m}&format=csv"}
        for m in available_months(company)
    ]
    return render(request, "reports/list.html", {"company": company, "months": months})


@login_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    user = monthly_review_opt_in_set(user=page_user(request),
                                     opt_in=request.POST.get("monthly_report_opt_in") == "on")
    if user.monthly_report_opt_in:
        messages.success(request, _("You will receive the review by e-mail on the 1st of each "
                                    "month."))
    else:
        messages.success(request, _("You will no longer receive the review by e-mail."))
    return redirect("reports:list")
