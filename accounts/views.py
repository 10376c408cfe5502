"""Server-rendered account pages: sign-in, sign-out and the home page."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from accounts.models import User
from tickets.views import ticket_list


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each role starts: engineers, TAMs and experts in the priority queue; contacts on
    their company's tickets with the account summary (served here, not redirected); admins on
    the full ticket list."""
    user = request.user
    if user.is_support_staff and not user.is_portal_admin:  # type: ignore[union-attr]
        return redirect("queue")
    return ticket_list(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, and the choice is remembered for the user's e-mails."""
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=code)
    return response
