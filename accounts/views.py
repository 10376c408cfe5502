"""Server-rendered account pages: sign-in, sign-out and the language switch."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST

from accounts.models import User


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, and the choice is remembered for the user's e-mails."""
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=code)
    return response
