"""The SLA jobs (SPEC §4): flag warnings and breaches of the first-response clock exactly once.

Run by Celery beat (``sla.tasks.scan_sla``). Due tickets are handled in batches, each one
transaction: a single conditional ``UPDATE … WHERE <still due> AND id IN (batch) RETURNING id``
claims them (of any number of concurrent runs, exactly one gets each ticket back), then one
bulk INSERT each writes the timeline events, the bells and the outbox e-mails of every claimed
ticket. Any number of workers, beats and retries flag and notify once; the unique constraint
on SLA events is the second wall. A batch that fails is retried ticket by ticket, so one
ticket that cannot be reported never holds up the others. This half of ``sla`` imports the
ticket core; ``sla.policies`` (what ``tickets`` calls) never does.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from support_portal.kernel.bulk import run_batches, update_returning
from support_portal.kernel.dates import email_datetime
from tickets.models import (
    AWAITING_BREACH,
    AWAITING_WARNING,
    EventKind,
    Severity,
    Ticket,
    TicketEvent,
)
from tickets.outbox import Outbox, notify
from tickets.paging import page_on_warning

log = logging.getLogger(__name__)

#: Tickets per claim: the queries of a batch do not depend on its size (one claim, one read,
#: three INSERTs), and a batch that fails is retried one ticket at a time.
BATCH = 200


def sla_recipients(ticket: Ticket, engineers: Sequence[User] | None = None) -> list[User | None]:
    """Who hears about a warning or a breach: the assignee, every active engineer, and the
    account's TAM (SPEC §4). A batch passes ``engineers`` read once for all its tickets."""
    if engineers is None:
        engineers = list(User.objects.filter(role=Role.ENGINEER, is_active=True))
    return [*engineers, ticket.assignee, ticket.company.tam]


def _claim(pks: Sequence[int], now: datetime, *, breach: bool) -> list[int]:
    """The conditional UPDATE: which of ``pks`` this run flags. The flag records when the
    breach (or warning point) happened, not when the job noticed it, so a late run does not
    distort the record. Rows another run holds are skipped, not waited for (``SKIP LOCKED``):
    that run flags them, or leaves them due for the next one if it rolls back; two runs never
    wait on each other's rows in opposite orders."""
    candidates = Ticket.objects.filter(pk__in=pks).order_by("pk") \
        .select_for_update(skip_locked=True)
    if breach:
        due = Ticket.objects.filter(AWAITING_BREACH, response_due_at__lte=now,
                                    pk__in=candidates.values("pk"))
        return update_returning(due, response_breached_at=F("response_due_at"))
    due = Ticket.objects.filter(AWAITING_WARNING, response_warn_at__lte=now,
                                response_due_at__gt=now, pk__in=candidates.values("pk"))
    return update_returning(due, response_warned_at=F("response_warn_at"))


def _composer(ticket: Ticket, *, breach: bool) -> Callable[[], tuple[str, str]]:
    def compose() -> tuple[str, str]:
        # In the recipient's language and zone (``tickets.outbox``): the severity in words,
        # the deadline spelled out with its zone.
        values = {"number": ticket.number, "sev": Severity(ticket.severity).label,
                  "company": ticket.company.name}
        if breach:
            message = _("%(number)s breached its first-response deadline (severity "
                        "%(sev)s, %(company)s).") % values
        else:
            message = _("%(number)s is at risk of missing its first-response deadline "
                        "(severity %(sev)s, %(company)s).") % values
        return message, _("%(message)s\n\nSubject: %(subject)s\nFirst response due: "
                          "%(due)s\n") % {
            "message": message, "subject": ticket.subject,
            "due": email_datetime(ticket.response_due_at),
        }

    return compose


def _claim_and_report(pks: Sequence[int], now: datetime, *, breach: bool) -> int:
    """Flag a batch of tickets, record their SLA events and queue their notifications — all in
    one transaction, so a crash leaves either everything or nothing. Six queries, whatever the
    size of the batch: the claim, the claimed tickets (with company, TAM and assignee), the
    active engineers, and one INSERT each of events, bells and e-mails."""
    with transaction.atomic():
        claimed = _claim(pks, now, breach=breach)
        if not claimed:
            return 0
        tickets = list(Ticket.objects.select_related("company__tam", "assignee")
                       .filter(pk__in=claimed).order_by("pk"))
        kind = EventKind.SLA_BREACH if breach else EventKind.SLA_WARNING
        # No ``ignore_conflicts``: an SLA event already on record (unique per ticket and kind)
        # means something flagged this ticket outside the claim; the batch rolls back.
        events = TicketEvent.objects.bulk_create([
            TicketEvent(ticket=t, kind=kind, created_at=now,
                        new_value=t.response_due_at.isoformat()) for t in tickets
        ])
        engineers = list(User.objects.filter(role=Role.ENGINEER, is_active=True))
        outbox = Outbox()
        for ticket, event in zip(tickets, events, strict=True):
            notify(sla_recipients(ticket, engineers), ticket=ticket, event=event,
                   compose=_composer(ticket, breach=breach), outbox=outbox)
        outbox.write()
        # Per-batch hooks: ``tickets`` are the ones this run flagged (warned when not
        # ``breach``), inside the claim's transaction, so they act exactly once too.
        if not breach:
            for ticket in tickets:  # unassigned at its warning: page on call (SPEC §11)
                page_on_warning(ticket, now)
    return len(tickets)


def due_for_breach(now: datetime, batch: int = 1000) -> QuerySet[Ticket, int]:
    """Ids of unanswered tickets whose deadline has passed, oldest deadline first. The filter
    repeats the predicate of the partial index ``ticket_breach_due``, so the planner reads the
    small index instead of the whole table."""
    return Ticket.objects.filter(AWAITING_BREACH, response_due_at__lte=now) \
        .order_by("response_due_at").values_list("pk", flat=True)[:batch]


def due_for_warning(now: datetime, batch: int = 1000) -> QuerySet[Ticket, int]:
    """Ids of unanswered tickets past the warning point but not yet due (partial index
    ``ticket_warning_due``)."""
    return Ticket.objects.filter(AWAITING_WARNING, response_warn_at__lte=now,
                                 response_due_at__gt=now) \
        .order_by("response_warn_at").values_list("pk", flat=True)[:batch]


def _flag(now: datetime, *, breach: bool, batch: int) -> int:
    name = "breach" if breach else "warning"
    return run_batches(
        lambda size: (due_for_breach if breach else due_for_warning)(now, size),
        lambda pks: _claim_and_report(pks, now, breach=breach),
        batch=batch, what=lambda pk: f"SLA {name} for ticket {pk}", log=log,
    )


def flag_breaches(now: datetime | None = None, batch: int = BATCH) -> int:
    """Flag every unanswered ticket whose deadline has passed. Safe to run concurrently."""
    return _flag(now or timezone.now(), breach=True, batch=batch)


def flag_warnings(now: datetime | None = None, batch: int = BATCH) -> int:
    """Raise the warning for unanswered tickets past the warning point but not yet due."""
    return _flag(now or timezone.now(), breach=False, batch=batch)


def scan_lag(now: datetime | None = None) -> float:
    """Seconds since the oldest deadline that has passed without its breach being flagged
    (0 when none): how far behind the breach scan is. Healthy: under ``SLA_SCAN_SECONDS``."""
    now = now or timezone.now()
    oldest = due_for_breach(now, 1).values_list("response_due_at", flat=True).first()
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def scan_figures() -> dict[str, float]:
    """For ``/readyz`` details."""
    return {"scan_lag_seconds": round(scan_lag(), 1),
            "scan_interval_seconds": settings.SLA_SCAN_SECONDS}


def scan(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    lag = scan_lag(now)
    if lag > 2 * settings.SLA_SCAN_SECONDS:
        # Scans were skipped (the sla worker down or overloaded); this one catches up.
        log.warning("SLA scan is %.0f s behind the oldest unflagged deadline; catching up", lag)
    result = {"warnings": flag_warnings(now), "breaches": flag_breaches(now)}
    if any(result.values()):
        log.info("SLA scan at %s: %s", now.isoformat(), result)
    return result
