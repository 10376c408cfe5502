"""The SLA jobs (SPEC §4): flag warnings and breaches of the first-response clock exactly once.

Run by Celery beat (``sla.tasks.scan_sla``). Each ticket is claimed with a conditional UPDATE,
and the flag, its timeline event and its notifications are one transaction, so any number of
workers, beats and retries flag and notify once. This half of ``sla`` imports the ticket core;
``sla.policies`` (what ``tickets`` calls) never does.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from support_portal.kernel.dates import email_datetime
from tickets.models import (
    AWAITING_BREACH,
    AWAITING_WARNING,
    EventKind,
    Severity,
    Ticket,
    TicketEvent,
)
from tickets.outbox import notify
from tickets.paging import page_on_warning

log = logging.getLogger(__name__)


def sla_recipients(ticket: Ticket) -> list[User | None]:
    """Who hears about a warning or a breach: the assignee, every active engineer, and the
    account's TAM (SPEC §4)."""
    engineers: list[User | None] = list(User.objects.filter(role=Role.ENGINEER, is_active=True))
    return [*engineers, ticket.assignee, ticket.company.tam]


def _claim_and_report(pk: int, now: datetime, *, breach: bool) -> bool:
    """Flag one ticket, record the SLA event and queue its notifications — all in one
    transaction, so a crash leaves either everything or nothing.

    The flag records when the breach (or warning point) happened, not when the job noticed it,
    so a late run does not distort the record. The conditional UPDATE decides who acts: of any
    number of concurrent runs, exactly one sees ``rowcount == 1``; the rest change nothing and
    send nothing.
    """
    with transaction.atomic():
        if breach:
            claimed = Ticket.objects.filter(AWAITING_BREACH, pk=pk, response_due_at__lte=now) \
                .update(response_breached_at=F("response_due_at"))
        else:
            claimed = Ticket.objects.filter(
                AWAITING_WARNING, pk=pk, response_warn_at__lte=now, response_due_at__gt=now
            ).update(response_warned_at=F("response_warn_at"))
        if claimed != 1:
            return False
        ticket = Ticket.objects.select_related("company__tam", "assignee").get(pk=pk)
        kind = EventKind.SLA_BREACH if breach else EventKind.SLA_WARNING
        event = TicketEvent.objects.create(
            ticket=ticket, kind=kind, created_at=now,
            new_value=ticket.response_due_at.isoformat(),
        )

        def compose() -> tuple[str, str]:
            # In the recipient's language and zone (``tickets.outbox``): the severity in
            # words, the deadline spelled out with its zone.
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

        notify(sla_recipients(ticket), ticket=ticket, event=event, compose=compose)
        if not breach:
            page_on_warning(ticket, now)  # unassigned at its warning: page on call (SPEC §11)
    return True


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
    """Flag everything due at ``now``, batch after batch: a run that follows a skipped or
    late one catches up in full instead of leaving the rest for later runs."""
    flagged = 0
    failed: set[int] = set()
    while True:
        due = list(due_for_breach(now, batch) if breach else due_for_warning(now, batch))
        progress = 0
        for pk in due:
            if pk in failed:
                continue
            try:
                done = _claim_and_report(pk, now, breach=breach)
            except (OperationalError, InterfaceError):
                raise  # the database is gone: nothing else in this run can succeed
            except Exception:
                # The ticket's transaction rolled back, so it is still unflagged and the next
                # run retries it. One failing ticket must not hold up every deadline after it.
                log.exception("SLA %s for ticket %s failed; retrying on the next run",
                              "breach" if breach else "warning", pk)
                failed.add(pk)
                continue
            flagged += done
            progress += 1
        if len(due) < batch or not progress:
            return flagged


def flag_breaches(now: datetime | None = None, batch: int = 1000) -> int:
    """Flag every unanswered ticket whose deadline has passed. Safe to run concurrently."""
    return _flag(now or timezone.now(), breach=True, batch=batch)


def flag_warnings(now: datetime | None = None, batch: int = 1000) -> int:
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
