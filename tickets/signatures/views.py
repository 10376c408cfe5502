"""Server-rendered pages of antivirus-signature change requests (SPEC §7), under
``/signature-requests/``. Thin, like ``tickets.views``: reads go through
``tickets.signatures.access`` (the tenant check), writes through one
``tickets.signatures.services`` call, and a successful POST redirects (PRG) with a message."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import page_user
from accounts.models import Company
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.forms import add_service_errors
from support_portal.kernel.pagination import LIST_PAGE_SIZE
from tickets.access import visible_events
from tickets.models import (
    SIGNATURE_IN_FLIGHT,
    SIGNATURE_TRANSITIONS,
    DatabaseRelease,
    EventKind,
    SignatureRequest,
    SignatureStatus,
    VerificationState,
)
from tickets.signatures import services as sig
from tickets.signatures.access import access_signature_request, visible_signature_requests
from tickets.signatures.custody import custody_for
from tickets.signatures.forms import (
    ConfirmForm,
    DatabaseReleaseForm,
    SignatureRequestForm,
    TransitionForm,
)
from tickets.signatures.verification import signature_request_confirm

# --- List ----------------------------------------------------------------------------------


def expert_queue_order(qs: QuerySet[SignatureRequest]) -> QuerySet[SignatureRequest]:
    """The expert group's queue: requests still to work on first, oldest first (the longest
    wait on top); then the decided ones, newest first."""
    return qs.order_by(
        Case(When(status__in=SIGNATURE_IN_FLIGHT, then=Value(0)), default=Value(1),
             output_field=IntegerField()),
        Case(When(status__in=SIGNATURE_IN_FLIGHT, then=F("created_at"))).asc(nulls_last=True),
        "-created_at", "-pk",
    )


@login_required
def signature_list(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    staff = user.is_support_staff
    requests = visible_signature_requests(user).select_related(
        "ticket__company", "release"
    )
    requests = expert_queue_order(requests) if staff else requests.order_by("-created_at", "-pk")
    status = request.GET.get("status", "")
    if status in SignatureStatus.values:
        requests = requests.filter(status=status)
    else:
        status = ""
    page = Paginator(requests, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    refusal = None
    if user.is_contact:
        contact = user.active_contact
        company = Company.objects.filter(pk=contact.company_id).first() if contact else None
        refusal = company.license_refusal() if company else _("You are not a named contact.")
    return render(request, "signatures/list.html", {
        "page": page, "status": status, "statuses": SignatureStatus.choices, "staff": staff,
        "refusal": refusal, "open_statuses": SIGNATURE_IN_FLIGHT,
    })


# --- Filing --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def signature_new(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    if user.is_support_staff:
        return _refused(request, _(
            "Signature change requests are filed by a customer's named contacts. Support staff "
            "work them from the list of signature requests."
        ), staff=True)
    contact = user.active_contact
    if contact is None:
        raise PermissionDenied(_("Only a named support contact can file requests here."))
    refusal = Company.objects.get(pk=contact.company_id).license_refusal()
    if refusal:
        return _refused(request, refusal)

    posted = request.method == "POST"
    latest = sig.latest_release()
    form = (SignatureRequestForm(request.POST, request.FILES, latest=latest) if posted
            else SignatureRequestForm(latest=latest))
    if posted and form.is_valid():
        try:
            created = sig.signature_request_create(requester=user, **form.service_fields())
        except PermissionDenied as exc:
            return _refused(request, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _(
                "Your signature change request %(number)s was received. We will inform you "
                "here and by e-mail at every step."
            ) % {"number": created.ticket.number})
            return redirect("signatures:detail", request_id=created.pk)
    return render(request, "signatures/new.html", {
        "form": form,
        # Browsers never keep a chosen file when a form comes back with errors.
        "reattach": posted and bool(request.FILES.get("sample")),
    }, status=400 if form.is_bound else 200)


def _refused(request: HttpRequest, message: str, *, staff: bool = False) -> HttpResponse:
    return render(request, "signatures/new.html", {"refusal": message, "staff_refusal": staff},
                  status=403)


# --- Detail and the expert steps -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the progress tracker (SPEC §7). ``state`` is ``done``, ``current``,
    ``pending`` or ``skipped``; the page spells it out in words, not only in colour."""

    number: int
    title: str
    state: str
    detail: str = ""
    at: datetime | None = None
    release: DatabaseRelease | None = None


def progress(found: SignatureRequest, *, staff: bool = False) -> list[Step]:
    """The three steps of SPEC §7 for ``found``, worded for the customer, or for ``staff``
    (who read about the customer, not to them). Pure: reads only the request and its
    already-loaded release."""
    status = found.status
    analysed = status != SignatureStatus.RECEIVED
    if analysed:
        one = Step(1, _("Processing by the expert group"), "done",
                   _("The virus-analysis expert group took up the request.") if staff else
                   _("The virus-analysis expert group took up your request."),
                   found.analysis_started_at)
    else:
        one = Step(1, _("Processing by the expert group"), "current",
                   _("Received; waiting for the expert group to start the analysis."),
                   found.created_at)

    title = _("Expedited database release")
    if status == SignatureStatus.RELEASED and found.release is not None:
        two = Step(2, title, "done", _("The fix was published in release"),
                   found.release.released_at, found.release)
    elif status == SignatureStatus.REJECTED:
        two = Step(2, title, "skipped",
                   _("Not needed — rejected: %(reason)s") % {"reason": found.rejection_reason},
                   found.decided_at)
    elif status == SignatureStatus.IN_ANALYSIS:
        two = Step(2, title, "current", _(
            "The sample is being analysed. If the signatures need a change, it is published "
            "in an expedited high-priority database update."))
    else:
        two = Step(2, title, "pending", _("After the analysis."))

    title = _("Customer informed")
    if found.customer_informed_at is not None:
        three = Step(3, title, "done",
                     _("The customer was informed of the outcome in the ticket and by "
                       "e-mail.") if staff else
                     _("You were informed of the outcome in the ticket and by e-mail."),
                     found.customer_informed_at)
    else:
        decided = status in (SignatureStatus.RELEASED, SignatureStatus.REJECTED)
        three = Step(3, title, "current" if decided else "pending",
                     _("When the request is decided, in the ticket and by e-mail."))
    return [one, two, three]


@dataclass(frozen=True)
class StatusEntry:
    at: datetime
    by: str
    old: str
    new: str


def _status_label(value: str) -> str:
    try:
        return str(SignatureStatus(value).label)
    except ValueError:
        return value


def _render_detail(request: HttpRequest, found: SignatureRequest, *,
                   bound: TransitionForm | None = None, error: str = "",
                   confirm_form: ConfirmForm | None = None, status: int = 200) -> HttpResponse:
    user = page_user(request)
    ticket = found.ticket
    events = visible_events(user, ticket).filter(kind=EventKind.SIGNATURE)
    history = [StatusEntry(at=e.created_at,
                           by=e.actor.full_name if e.actor else _("System"),
                           old=_status_label(e.old_value) if e.old_value else "",
                           new=_status_label(e.new_value)) for e in events]
    actions: dict[str, TransitionForm] = {}
    if user.is_expert:
        actions = {step: TransitionForm(step=step) for step in SIGNATURE_TRANSITIONS[found.status]}
        if bound is not None and bound.data.get("to") in actions:
            actions[bound.data["to"]] = bound  # its errors next to its fields
    return render(request, "signatures/detail.html", {
        "req": found, "ticket": ticket, "staff": user.is_support_staff,
        "steps": progress(found, staff=user.is_support_staff), "history": history,
        "start_form": actions.get(SignatureStatus.IN_ANALYSIS),
        "release_form": actions.get(SignatureStatus.RELEASED),
        "reject_form": actions.get(SignatureStatus.REJECTED),
        "expert": user.is_expert,
        # On top too, as the form may be out of sight, or no longer offered (a stale form).
        "action_error": error or (" ".join(_form_messages(bound)) if bound else ""),
        # SPEC §7 item 4 and the chain of custody.
        "verification": (VerificationState(found.verification_state)
                         if found.verification_state else None),
        "confirm_form": (confirm_form or ConfirmForm(auto_id="id_confirm_%s")) if (
            user.is_contact and found.verification_state == VerificationState.PENDING) else None,
        "custody": custody_for(found),
    }, status=status)


def _form_messages(form: TransitionForm) -> list[str]:
    return [str(m) for errors in form.errors.values() for m in errors]


@login_required
def signature_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _render_detail(request, access_signature_request(page_user(request), request_id))


@login_required
@require_POST
def signature_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    """The customer's answer after a release: fixed, or still detected (SPEC §7 item 4)."""
    user = page_user(request)
    found = access_signature_request(user, request_id)  # another company's: 404
    form = ConfirmForm(request.POST, auto_id="id_confirm_%s")
    if not form.is_valid():
        return _render_detail(request, found, confirm_form=form, status=400)
    try:
        signature_request_confirm(request=found, actor=user, **form.cleaned_data)
    except ConflictError as exc:
        return _render_detail(request, found, error=exc.message, status=409)
    if form.cleaned_data["fixed"]:
        messages.success(request, _("Thank you: the fix is confirmed and %(number)s is closed.")
                         % {"number": found.ticket.number})
    else:
        messages.success(request, _("Thank you: %(number)s is back with the expert group, with "
                                    "your note.") % {"number": found.ticket.number})
    return redirect("signatures:detail", request_id=found.pk)


_DONE_MESSAGES = {
    SignatureStatus.IN_ANALYSIS: _("Analysis of %(number)s started; the customer was informed."),
    SignatureStatus.RELEASED: _("Release %(release)s recorded for %(number)s; the customer was "
                                "informed."),
    SignatureStatus.REJECTED: _("%(number)s rejected; the customer was informed of the reason."),
}


@login_required
@require_POST
def signature_transition(request: HttpRequest, request_id: int) -> HttpResponse:
    user = page_user(request)
    found = access_signature_request(user, request_id)  # another company's: 404
    if not user.is_expert:
        # The service refuses too; saying so before reading the form keeps the answer a 403.
        raise PermissionDenied(_("Only the virus-analysis expert group can move a signature "
                                 "request."))
    form = TransitionForm(request.POST, step=request.POST.get("to", ""))
    if not form.is_valid():
        return _render_detail(request, found, bound=form, status=400)
    try:
        moved = sig.signature_request_transition(request=found, actor=user,
                                                 **form.service_fields())
    except ConflictError as exc:
        return _render_detail(request, found, error=exc.message, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_detail(request, found, bound=form, status=400)
    messages.success(request, str(_DONE_MESSAGES[SignatureStatus(moved.status)]) % {
        "number": found.ticket.number,
        "release": moved.release.version if moved.release else "",
    })
    return redirect("signatures:detail", request_id=found.pk)


# --- Database releases ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def release_list(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    expert = user.is_expert
    form = None
    if request.method == "POST":
        if not expert:
            raise PermissionDenied(_("Only experts and administrators publish database "
                                     "releases."))
        form = DatabaseReleaseForm(request.POST)
        if form.is_valid():
            try:
                release = sig.database_release_create(
                    actor=user, version=form.cleaned_data["version"],
                    released_at=form.cleaned_data["released_at"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Release %(version)s recorded.")
                                 % {"version": release.version})
                return redirect("signatures:releases")
    if expert and form is None:
        form = DatabaseReleaseForm()
    releases = DatabaseRelease.objects.order_by("-released_at", "-pk")
    page = Paginator(releases, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    latest = sig.latest_release()
    return render(request, "signatures/releases.html", {
        "page": page, "form": form, "latest": latest,
    }, status=400 if form is not None and form.is_bound else 200)
