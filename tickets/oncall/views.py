"""The ``/oncall/`` page (SPEC §11): the next two weeks per level in the viewer's time zone,
rotations (administrators manage them) and overrides (anyone on the rota hands over a shift);
and the one-click acknowledge link of a page's e-mail (a GET shows a confirmation with a
POST button, so a mail scanner that follows links acknowledges nothing)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import page_user, require_staff
from accounts.models import Role
from support_portal.kernel.forms import add_service_errors
from tickets.models import Override, Rotation
from tickets.oncall import selectors, services
from tickets.oncall.forms import OverrideForm, RotationForm


def _render(request: HttpRequest, *, rotation_form: RotationForm | None = None,
            override_form: OverrideForm | None = None, status: int = 200) -> HttpResponse:
    user = page_user(request)
    admin = user.role == Role.ADMIN
    on_rota = admin or services.on_rota(user, 1) or services.on_rota(user, 2)
    now = timezone.now()
    return render(request, "oncall/page.html", {
        "schedule": sorted(selectors.schedule(now).items()),
        "on_call": sorted(selectors.on_call(now).items()),
        "rotations": selectors.rotations(),
        "overrides": selectors.overrides(current_only=True),
        "admin": admin, "on_rota": on_rota, "me": user,
        "rotation_form": rotation_form or (RotationForm() if admin else None),
        "override_form": override_form or (OverrideForm() if on_rota else None),
    }, status=status)


@login_required
def oncall_page(request: HttpRequest) -> HttpResponse:
    require_staff(page_user(request))
    return _render(request)


def _create_from_form(request: HttpRequest, form_class: type, create: Callable[..., object],
                      saved: str, form_key: str) -> HttpResponse:
    """The add forms of the page: valid input goes to the service; its refusals and the form's
    come back on the page with a 400."""
    user = page_user(request)
    require_staff(user)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            create(actor=user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, saved)
            return redirect("oncall:page")
    return _render(request, **{form_key: form}, status=400)


@login_required
@require_POST
def rotation_add(request: HttpRequest) -> HttpResponse:
    return _create_from_form(request, RotationForm, services.rotation_create,
                             _("Rotation saved."), "rotation_form")


@login_required
@require_POST
def rotation_remove(request: HttpRequest, rotation_id: int) -> HttpResponse:
    user = page_user(request)
    require_staff(user)
    services.rotation_delete(actor=user, rotation=get_object_or_404(Rotation, pk=rotation_id),
                             request=request)
    messages.success(request, _("Rotation removed."))
    return redirect("oncall:page")


@login_required
@require_POST
def override_add(request: HttpRequest) -> HttpResponse:
    return _create_from_form(request, OverrideForm, services.override_create,
                             _("Shift handed over."), "override_form")


@login_required
@require_POST
def override_remove(request: HttpRequest, override_id: int) -> HttpResponse:
    user = page_user(request)
    require_staff(user)
    services.override_delete(actor=user, override=get_object_or_404(Override, pk=override_id),
                             request=request)
    messages.success(request, _("Override removed."))
    return redirect("oncall:page")


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """No sign-in needed: the signed, single-use, expiring link is the credential (a woken
    engineer acknowledges from the phone's mail app). GET confirms, POST (CSRF) acts."""
    if request.method == "GET":
        page = services.link_page(token)
        return render(request, "oncall/ack.html", {"page": page, "token": token, "done": False},
                      status=200 if page else 410)
    page = services.acknowledge_by_link(token=token, request=request)
    if page is None:
        return render(request, "oncall/ack.html", {"page": None, "done": False}, status=410)
    return render(request, "oncall/ack.html", {"page": page, "done": True})


