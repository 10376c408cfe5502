"""The update-cadence job (SPEC §12): flag every missed update exactly once, with an
``update_overdue`` event and notifications to the assignee and the account's TAM.

Part of the SLA scan (``sla.tasks.scan_sla``), built like the breach flags: each ticket is claimed
with a conditional UPDATE (``WHERE update_due_at = <the due it read>``), so of any number of
workers, beats and retries exactly one moves the due on; the record of the missed interval is
unique per (ticket, due), and the flag, its events and notifications are one transaction.
The rules themselves (what is due when) are ``tickets.cadence``'s.
"""

import logging
from datetime import datetime

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from support_portal.kernel.dates import email_datetime
from tickets import cadence
from tickets.models import AWAITING_UPDATE, Ticket
from tickets.outbox import notify

log = logging.getLogger(__name__)


def update_recipients(ticket: Ticket) -> list[User | None]:
    """Who hears about a missed update: the assignee and the account's TAM (SPEC §12)."""
    return [ticket.assignee, ticket.company.tam]


def due_for_update(now: datetime, batch: int = 1000) -> QuerySet[Ticket, int]:
    """Ids of open tickets whose update is overdue (``update_due_at`` before ``now``), oldest
    first, from the partial index ``ticket_update_due``."""
    return Ticket.objects.filter(AWAITING_UPDATE, update_due_at__lt=now) \
        .order_by("update_due_at").values_list("pk", flat=True)[:batch]


def _claim_missed(pk: int, now: datetime) -> bool:
    ticket = Ticket.objects.select_related("company__tam", "assignee").get(pk=pk)
    due = ticket.update_due_at
    if due is None or due >= now or ticket.status != "open":
        return False
    dues, following = cadence.missed_dues(ticket, now, cadence.cadence_for(ticket))
    with transaction.atomic():
        # The interval and severity it was computed from must still hold: otherwise a reply,
        # a status or a severity change got there first, and this run does nothing.
        claimed = Ticket.objects.filter(AWAITING_UPDATE, pk=pk, update_due_at=due,
                                        severity=ticket.severity).update(
            update_due_at=following, updates_missed=F("updates_missed") + len(dues),
        )
        if claimed != 1:
            return False
        events = cadence.record_missed(ticket, dues)
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

        notify(update_recipients(ticket), ticket=ticket, event=events[-1], compose=compose)
    return True


def flag_missed_updates(now: datetime | None = None, batch: int = 1000) -> int:
    """Flag every open ticket whose update is overdue. Safe to run concurrently."""
    now = now or timezone.now()
    flagged = 0
    for pk in due_for_update(now, batch):
        try:
            flagged += _claim_missed(pk, now)
        except (OperationalError, InterfaceError):
            raise  # the database is gone: nothing else in this run can succeed
        except Exception:
            # Rolled back (e.g. the unique record of the interval was already written): the
            # next run looks at the ticket again. One ticket must not hold up the others.
            log.exception("Update cadence for ticket %s failed; retrying on the next run", pk)
    return flagged
