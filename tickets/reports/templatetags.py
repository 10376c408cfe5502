"""The reports card of the TAM's account page: a month picker with PDF and CSV buttons.
Registered as the template library ``report_tags`` in settings (``TEMPLATES`` …
``libraries``), so the account page can show it without the TAM package importing this
one."""

from typing import Any

from django import template
from django.urls import reverse

from accounts.access import manages_account
from accounts.models import Company
from tickets.reports.selectors import available_months, current_month, month_label

register = template.Library()


@register.inclusion_tag("reports/_picker.html", takes_context=True)
def report_picker(context: Any, company: Company) -> dict[str, Any]:
    """Shown to the account's TAM and administrators only (they may download the reports):
    one query, the account's first ticket."""
    user = context.get("user")
    if user is None or not user.is_authenticated or not manages_account(user, company):
        return {"show": False}
    this_month = current_month(company)
    months = [{"value": f"{m:%Y-%m}", "label": month_label(m), "current": m == this_month}
              for m in available_months(company)]
    # The month just ended is the one a service review is about.
    selected = months[1]["value"] if len(months) > 1 else months[0]["value"]
    return {"show": True, "months": months, "selected": selected,
            "action": reverse("api-report", args=[company.pk])}
