"""The update-cadence job (SPEC §12): flag every missed update exactly once, with an
``update_overdue`` event and notifications to the assignee and the account's TAM.

Part of the SLA scan (``sla.tasks.scan_sla``), built like the breach flags (``sla.jobs``): due
tickets are claimed a batch at a time with one conditional UPDATE (``WHERE update_due_at = <the
due it read>`` per ticket, ``RETURNING id``), so of any number of workers, beats and retries
exactly one moves each due on; the record of the missed interval is unique per (ticket, due),
and the flags, their events and notifications are one transaction per batch (a failing batch
is retried ticket by ticket).
The rules themselves (what is due when) are ``tickets.cadence``'s.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from sla.jobs import BATCH
from support_portal.kernel.bulk import run_batches, update_returning
from support_portal.kernel.dates import email_datetime
from tickets import cadence
from tickets.models import AWAITING_UPDATE, Ticket, TicketEvent, UpdateInterval
from tickets.outbox import Outbox, notify

log = logging.getLogger(__name__)


def update_recipients(ticket: Ticket) -> list[User | None]:
    """Who hears about a missed update: the assignee and the account's TAM (SPEC §12)."""
    return [ticket.assignee, ticket.company.tam]


def due_for_update(now: datetime, batch: int = 1000) -> QuerySet[Ticket, int]:
    """Ids of open tickets whose update is overdue (``update_due_at`` before ``now``), oldest
    first, from the partial index ``ticket_update_due``."""
    return Ticket.objects.filter(AWAITING_UPDATE, update_due_at__lt=now) \
        .order_by("update_due_at").values_list("pk", flat=True)[:batch]


def _claim_missed(pks: Sequence[int], now: datetime) -> int:
    """Flag the missed updates of a batch of tickets: one conditional UPDATE claims them all
    (each row only if the due and severity it was computed from still hold: otherwise a reply,
    a status or a severity change got there first, and this run leaves that ticket alone),
    then one INSERT each of intervals, events, bells and e-mails. Seven queries whatever the
    size of the batch (the read, the policies through their per-process cache, the claim,
    four INSERTs)."""
    tickets = list(Ticket.objects.select_related("company__tam", "assignee")
                   .filter(AWAITING_UPDATE, pk__in=pks, update_due_at__lt=now).order_by("pk"))
    if not tickets:
        return 0
    cadences: dict[tuple[str, int, int], cadence.Cadence | None] = {}
    missed: dict[int, tuple[list[datetime], datetime | None]] = {}
    for ticket in tickets:
        key = (ticket.kind, ticket.plan_id, ticket.severity)
        if key not in cadences:
            cadences[key] = cadence.cadence_for(ticket)
        missed[ticket.pk] = cadence.missed_dues(ticket, now, cadences[key])
    with transaction.atomic():
        still_due = Q(*(Q(pk=t.pk, update_due_at=t.update_due_at, severity=t.severity)
                        for t in tickets), _connector=Q.OR)
        # Rows another run holds are skipped, not waited for (as in ``sla.jobs._claim``).
        free = Ticket.objects.filter(pk__in=missed).order_by("pk") \
            .select_for_update(skip_locked=True)
        claimed = set(update_returning(
            Ticket.objects.filter(AWAITING_UPDATE, pk__in=free.values("pk")).filter(still_due),
            update_due_at=Case(*(When(pk=pk, then=Value(following))
                                 for pk, (_dues, following) in missed.items()),
                               output_field=DateTimeField()),
            updates_missed=F("updates_missed") + Case(
                *(When(pk=pk, then=Value(len(dues))) for pk, (dues, _next) in missed.items()),
                output_field=IntegerField()),
        ))
        won = [t for t in tickets if t.pk in claimed]
        if not won:
            return 0
        intervals: list[UpdateInterval] = []
        events: list[TicketEvent] = []
        for ticket in won:
            rows = cadence.missed_rows(ticket, missed[ticket.pk][0])
            intervals += rows[0]
            events += rows[1]
        # No ``ignore_conflicts``: an interval already on record (unique per ticket and due)
        # is the second wall; the batch rolls back and is retried ticket by ticket.
        UpdateInterval.objects.bulk_create(intervals)
        events = TicketEvent.objects.bulk_create(events)
        last_event = {event.ticket_id: event for event in events}  # events are oldest first
        outbox = Outbox()
        for ticket in won:
            notify(update_recipients(ticket), ticket=ticket, event=last_event[ticket.pk],
                   compose=_composer(ticket, missed[ticket.pk][0]), outbox=outbox)
        outbox.write()
    return len(won)


def _composer(ticket: Ticket, dues: list[datetime]) -> Callable[[], tuple[str, str]]:
    missed = ticket.updates_missed + len(dues)

    def compose() -> tuple[str, str]:
        values = {"number": ticket.number, "sev": ticket.severity,
                  "company": ticket.company.name}
        message = _("%(number)s is overdue for a customer update (severity %(sev)d, "
                    "%(company)s).") % values
        lines = [message, "", _("Subject: %(subject)s") % {"subject": ticket.subject},
                 _("Update was due: %(due)s") % {"due": email_datetime(dues[-1])},
                 ngettext("%(n)d update missed so far.", "%(n)d updates missed so far.",
                          missed) % {"n": missed}]
        return message, "\n".join(lines) + "\n"

    return compose


def flag_missed_updates(now: datetime | None = None, batch: int = BATCH) -> int:
    """Flag every open ticket whose update is overdue. Safe to run concurrently."""
    now = now or timezone.now()
    return run_batches(
        lambda size: due_for_update(now, size),
        lambda pks: _claim_missed(pks, now),
        batch=batch, what=lambda pk: f"Update cadence for ticket {pk}", log=log,
    )
