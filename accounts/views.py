"""Server-rendered account pages: sign-in, sign-out and the home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import visible_companies


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    company = None
    if request.user.is_contact:  # type: ignore[union-attr]
        company = visible_companies(request.user).first()  # type: ignore[arg-type]
    return render(request, "accounts/home.html", {"company": company})
