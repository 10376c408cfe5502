"""``/``: where each role starts (composition root: it knows every feature's landing page)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.access import page_user
from accounts.models import Role
from tickets.views import ticket_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Engineers start in the priority queue, TAMs on their portfolio, experts in the
    signature-change queue; contacts on their company's tickets with the account summary
    (served here, not redirected); admins on the full ticket list."""
    user = page_user(request)
    if user.role == Role.TAM:
        return redirect("tam:portfolio")
    if user.role == Role.EXPERT:
        return redirect("signatures:list")
    if user.is_support_staff and not user.is_portal_admin:
        return redirect("queue")
    return ticket_list(request)
