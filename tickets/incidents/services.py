"""Writes for major incidents (SPEC §13): opening one, posting an update, and the fan-out of an
update to every linked ticket.

Posting an update is one short transaction whatever the number of linked tickets: it records
the update, the incident's new status and one ``IncidentDelivery`` row per linked ticket, and
nudges the fan-out task after commit. The fan-out (a Celery task) then works in batches of
``INCIDENT_FANOUT_BATCH`` tickets, each batch its own transaction: it locks pending deliveries
(``SKIP LOCKED``, so workers share the work and never take the same row), posts each reply
(a public staff reply: the ticket's first response and an update of SPEC §12), resolves the
ticket with a resolving update, marks the delivery done, and e-mails each requester once per
update (``IncidentNotice``). A worker killed mid-batch rolls the whole batch back, and beat's
sweep starts the fan-out again; nothing is ever posted twice.
"""

from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.queueing import enqueue_on_commit
from tickets import services
from tickets.incident_links import FAN_OUT_TASK
from tickets.models import (
    OPEN_STATUSES,
    Incident,
    IncidentDelivery,
    IncidentLink,
    IncidentNotice,
    IncidentStatus,
    IncidentUpdate,
    Status,
    Ticket,
)
from tickets.outbox import notify


def _require_staff(actor: User) -> None:
    if not actor.is_support_staff:
        raise PermissionDenied(_("Only support staff handle major incidents."))


def _status(value: str) -> str:
    if value not in IncidentStatus.values:
        raise ValidationError({"status": [_("Unknown status “%(s)s”.") % {"s": value}]})
    return value


@transaction.atomic
def incident_create(*, actor: User, title: str, description: str, severity: int,
                    status: str = IncidentStatus.INVESTIGATING, product: str = "") -> Incident:
    _require_staff(actor)
    title, description = title.strip(), description.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("A title is required.")]
    if not description:
        errors["description"] = [_("A description is required.")]
    if severity not in (1, 2, 3, 4):
        errors["severity"] = [_("Severity must be 1, 2, 3 or 4.")]
    if status == IncidentStatus.RESOLVED:
        errors["status"] = [_("An incident is opened unresolved; resolve it with an update.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    return Incident.objects.create(title=title, description=description, severity=severity,
                                   status=_status(status), product=product.strip(),
                                   created_by=actor, created_at=now, updated_at=now)


@transaction.atomic
def incident_post_update(*, incident: Incident, author: User, body: str,
                         status: str | None = None) -> IncidentUpdate:
    """Record an update (and the incident's new status) and plan its replies to every linked
    ticket; the fan-out posts them after commit."""
    _require_staff(author)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_resolved:
        raise ConflictError(_("The incident “%(title)s” is resolved; it takes no more updates.")
                            % {"title": incident.title})
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("The update is empty.")]})
    status = _status(status or incident.status)
    now = timezone.now()
    update = IncidentUpdate.objects.create(incident=incident, author=author, body=body,
                                           status=status, created_at=now)
    ticket_ids = list(incident.links.values_list("ticket_id", flat=True))
    IncidentDelivery.objects.bulk_create(
        [IncidentDelivery(update=update, ticket_id=pk) for pk in ticket_ids], batch_size=2000,
    )
    update.tickets_total = len(ticket_ids)
    update.save(update_fields=["tickets_total"])
    incident.status, incident.updated_at = status, now
    if status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
    incident.save(update_fields=["status", "updated_at", "resolved_at"])
    if ticket_ids:
        enqueue_on_commit(FAN_OUT_TASK, update.pk)
    return update


# --- The fan-out ------------------------------------------------------------------------------


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def reply_body(update: IncidentUpdate, requester: User) -> str:
    """The reply posted on a linked ticket, headed in the requester's language."""
    with translation.override(_language(requester)):
        head = _("Major incident: %(title)s — %(status)s") % {
            "title": update.incident.title, "status": IncidentStatus(update.status).label}
        tail = (_("The incident is resolved, and this request with it. If the problem remains "
                  "for you, reply here and the request opens again.")
                if update.resolves else "")
    return "\n\n".join(part for part in (head, update.body, tail) if part)


def _email_requester(update: IncidentUpdate, requester: User, ticket: Ticket,
                     numbers: list[str]) -> None:
    """The one e-mail (and bell notification) of this update to this requester: claimed by a
    unique row first, so a batch retried after a crash, or a requester's tickets spread over
    batches, never send it twice."""
    try:
        with transaction.atomic():
            IncidentNotice.objects.create(update=update, user=requester)
    except IntegrityError:
        return
    incident = update.incident

    def compose() -> tuple[str, str]:
        status = IncidentStatus(update.status).label
        subject = _("Major incident update: %(title)s — %(status)s") % {
            "title": incident.title, "status": status}
        lines = [update.body, "", _("Status: %(status)s") % {"status": status},
                 _("Your requests linked to this incident: %(numbers)s") % {
                     "numbers": ", ".join(numbers)}]
        if update.resolves:
            lines += ["", _("The incident is resolved, and your requests with it. If the problem "
                            "remains for you, reply to this e-mail.")]
        return subject, "\n".join(lines) + "\n"

    notify([requester], ticket=ticket, event=None, compose=compose)


def deliver_batch(update_id: int, size: int | None = None) -> int:
    """Post the update to up to ``size`` linked tickets still waiting for it, in one
    transaction. Returns how many deliveries it settled (0: none left for this worker)."""
    size = size or settings.INCIDENT_FANOUT_BATCH
    with transaction.atomic():
        pending = list(
            IncidentDelivery.objects.filter(update_id=update_id, delivered_at__isnull=True)
            .select_for_update(skip_locked=True).order_by("pk")[:size]
        )
        if not pending:
            return 0
        update = IncidentUpdate.objects.select_related("incident", "author").get(pk=update_id)
        tickets = Ticket.objects.select_related("requester").in_bulk(
            [d.ticket_id for d in pending])
        posted: dict[int, Ticket] = {}
        now = timezone.now()
        for delivery in pending:
            ticket = tickets[delivery.ticket_id]
            delivery.delivered_at = now
            if ticket.status == Status.CLOSED:
                continue  # closed by its customer: nothing more is posted to it
            delivery.comment = services.comment_add(
                ticket=ticket, author=update.author, body=reply_body(update, ticket.requester),
                notify_requester=False,
            )
            if update.resolves and ticket.status in OPEN_STATUSES:
                services.ticket_change(ticket=ticket, actor=update.author,
                                       status=Status.RESOLVED, notify_customer=False)
            posted.setdefault(ticket.requester_id, ticket)
        IncidentDelivery.objects.bulk_update(pending, ["comment", "delivered_at"])
        numbers: dict[int, list[str]] = defaultdict(list)
        for requester_id, pk in IncidentLink.objects.filter(
                incident_id=update.incident_id, ticket__requester_id__in=list(posted)) \
                .order_by("ticket_id").values_list("ticket__requester_id", "ticket_id"):
            numbers[requester_id].append(Ticket(pk=pk).number)
        for requester_id, ticket in posted.items():
            _email_requester(update, ticket.requester, ticket, numbers[requester_id])
    return len(pending)


def fan_out(update_id: int) -> int:
    """Post the update to every linked ticket still waiting for it, batch after batch."""
    total = 0
    while delivered := deliver_batch(update_id):
        total += delivered
    return total
