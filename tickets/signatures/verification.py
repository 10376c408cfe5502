"""Fix verification (SPEC §7 item 4): after a release the customer confirms the fix with the
released databases, or reports that the object is still detected (missed); with no answer
within ``SignaturePolicy.verification_window`` (*default* 7 days) the fix is taken as fixed.

* fixed → the request's ticket is closed;
* still detected → the request goes back to ``in_analysis`` with the customer's note in the
  timeline (a reply of theirs, which reopens the ticket for the expert group);
* no answer → ``assumed_fixed`` by the beat job, exactly once (a conditional UPDATE claims
  each request), and the ticket is closed.
"""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from support_portal.kernel.errors import ConflictError
from tickets import services
from tickets.models import (
    Comment,
    EventKind,
    SignatureRequest,
    SignatureStatus,
    Status,
    Ticket,
    TicketEvent,
    VerificationState,
)
from tickets.outbox import notify

log = logging.getLogger(__name__)


def _close(ticket: Ticket, actor: User | None) -> None:
    """Close the request's ticket (through ``resolved`` if a reply reopened it)."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    if ticket.status in (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER):
        ticket = services.ticket_change(ticket=ticket, actor=actor,
                                        status=Status.RESOLVED, notify_customer=False)
    if ticket.status == Status.RESOLVED:
        services.ticket_change(ticket=ticket, actor=actor,
                               status=Status.CLOSED, notify_customer=False)


def _verification_event(request: SignatureRequest, actor: User | None, state: str,
                        at: datetime) -> TicketEvent:
    return TicketEvent.objects.create(ticket=request.ticket, kind=EventKind.VERIFICATION,
                                      actor=actor, old_value=request.verification_state,
                                      new_value=state, created_at=at)


@transaction.atomic
def signature_request_confirm(*, request: SignatureRequest, actor: User, fixed: bool,
                              note: str = "") -> SignatureRequest:
    """The customer's answer after a release. Only a contact of the request's company answers
    (403 otherwise), and only while an answer is awaited (409 otherwise)."""
    contact = actor.active_contact
    request = SignatureRequest.objects.select_for_update(of=("self",)).select_related(
        "ticket", "release__created_by").get(pk=request.pk)
    if contact is None or contact.company_id != request.ticket.company_id:
        raise PermissionDenied(_("Only a contact of the customer confirms a fix."))
    if request.verification_state != VerificationState.PENDING:
        if request.verification_state:
            raise ConflictError(_("This request has already been answered: %(state)s.") % {
                "state": VerificationState(request.verification_state).label})
        raise ConflictError(_("There is no released fix to confirm for this request yet."))
    now = timezone.now()
    note = note.strip()
    version = request.release.version if request.release else ""
    state = VerificationState.FIXED if fixed else VerificationState.STILL_DETECTED
    event = _verification_event(request, actor, state, now)
    request.verification_state, request.verification_at = state, now
    request.verification_due_at = None
    if fixed:
        if note:
            # The customer's words stay in the timeline; the ticket is closed right after, so
            # they must not reopen it as a reply would.
            Comment.objects.create(ticket=request.ticket, author=actor, body=note,
                                   created_at=now)
        request.save()
        _close(request.ticket, actor)
        return request

    # Still detected: back to the expert group, with the customer's note in the timeline.
    TicketEvent.objects.create(ticket=request.ticket, kind=EventKind.SIGNATURE, actor=actor,
                               old_value=request.status, new_value=SignatureStatus.IN_ANALYSIS,
                               created_at=now)
    request.status = SignatureStatus.IN_ANALYSIS
    request.customer_informed_at = None
    request.decided_at = None
    request.save()
    body = _("Still detected after release %(version)s.") % {"version": version}
    services.comment_add(ticket=request.ticket, author=actor,
                         body=f"{body}\n\n{note}" if note else body)
    releaser = request.release.created_by if request.release else None
    ticket = request.ticket
    notify([releaser], ticket=ticket, event=event, compose=lambda: (
        _("%(number)s is still detected after release %(version)s") % {
            "number": ticket.number, "version": version},
        _("The customer reports that the object of %(number)s is still detected with release "
          "%(version)s. The request is back in analysis.\n\n%(note)s\n") % {
            "number": ticket.number, "version": version, "note": note},
    ))
    return request


# --- No answer in time ------------------------------------------------------------------------


def _claim_assumed(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        claimed = SignatureRequest.objects.filter(
            pk=pk, verification_state=VerificationState.PENDING, verification_due_at__lte=now,
        ).update(verification_state=VerificationState.ASSUMED_FIXED,
                 verification_at=F("verification_due_at"), verification_due_at=None)
        if claimed != 1:
            return False
        request = SignatureRequest.objects.select_related("ticket__requester", "release").get(
            pk=pk)
        assert request.verification_at is not None  # noqa: S101 (set by the claim)
        event = TicketEvent.objects.create(
            ticket=request.ticket, kind=EventKind.VERIFICATION, created_at=now,
            old_value=VerificationState.PENDING, new_value=VerificationState.ASSUMED_FIXED,
        )
        ticket = request.ticket
        version = request.release.version if request.release else ""
        notify([ticket.requester], ticket=ticket, event=event, compose=lambda: (
            _("%(number)s is taken as fixed") % {"number": ticket.number},
            _("We did not hear back about release %(version)s for your request %(number)s, so "
              "we take the fix as working and close the request. If the object is still "
              "detected, please file a new signature change request.\n") % {
                "number": ticket.number, "version": version},
        ))
        if ticket.status == Status.RESOLVED:
            # A reply that reopened the ticket leaves it open for the staff to finish.
            services.ticket_change(ticket=ticket, actor=None,
                                   status=Status.CLOSED, notify_customer=False)
    return True


def assume_fixed(now: datetime | None = None, batch: int = 500) -> int:
    """Take as fixed every release whose confirmation is overdue. Safe to run concurrently."""
    now = now or timezone.now()
    due = SignatureRequest.objects.filter(
        verification_state=VerificationState.PENDING, verification_due_at__lte=now,
    ).order_by("verification_due_at").values_list("pk", flat=True)[:batch]
    taken = 0
    for pk in due:
        try:
            taken += _claim_assumed(pk, now)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            log.exception("Fix verification of signature request %s failed; retrying on the "
                          "next run", pk)
    return taken
