"""Paging the on-call engineer (SPEC §11): when a ticket pages, escalation, acknowledgement.

Everything here runs in the caller's transaction and writes rows only: the ``Page`` rows, the
ticket's timeline event, the bell and the e-mail outbox (``tickets.outbox``), and the pending
webhook call on each page; Celery delivers them after commit (``tickets.oncall``).

Exactly once, whatever the number of workers, beats, retries or crashes: starting to page and
each escalation are claimed with a conditional UPDATE of the ticket's ``paging_level``
(``paging_level = L`` → ``L + 1`` only while nobody acknowledged and ``ack_minutes`` have
passed); only the run that changed the row writes the next level's pages, in the same
transaction; ``Page`` is unique per (ticket, level, user) as the second wall.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import Role, User
from support_portal.kernel.dates import email_datetime
from support_portal.kernel.queueing import enqueue_on_commit
from tickets.models import (
    AWAITING_ESCALATION,
    EventKind,
    Page,
    PagingPolicy,
    Severity,
    Ticket,
    TicketEvent,
)
from tickets.outbox import notify
from tickets.rota import on_call_at

log = logging.getLogger(__name__)

#: The task delivering pending webhook calls (``tickets.oncall.tasks``), named, not imported.
WEBHOOK_TASK = "tickets.oncall.tasks.deliver_webhooks"
_LINK_SALT = "tickets.paging.ack-link"
PREMIUM_PLAN = "enhanced"


class Reason:
    FILED = "filed"
    SEVERITY = "severity"
    SLA_WARNING = "sla_warning"
    ESCALATION = "escalation"


def pages_when_filed(ticket: Ticket) -> bool:
    """An unanswered severity-1 ticket of a premium customer pages at any hour (SPEC §11)."""
    return (ticket.severity == Severity.CRITICAL and ticket.first_response_at is None
            and ticket.plan.code == PREMIUM_PLAN)


def recipients_at(level: int, ticket: Ticket, now: datetime) -> list[User]:
    """Who a page at ``level`` goes to: the person on call at levels 1 and 2; at level 3 every
    active engineer and the account's TAM."""
    if level in (1, 2):
        user = on_call_at(now)[level]
        return [user] if user is not None else []
    people = {u.pk: u for u in User.objects.filter(role=Role.ENGINEER, is_active=True)
              .order_by("pk")}
    tam = ticket.company.tam
    if tam is not None and tam.is_active:
        people.setdefault(tam.pk, tam)
    return list(people.values())


def _next_level(start: int, ticket: Ticket, now: datetime) -> tuple[int, list[User]]:
    """The first level from ``start`` with somebody to page (a level with nobody on call is
    skipped at once); level 3 even if empty."""
    for level in range(start, 3):
        people = recipients_at(level, ticket, now)
        if people:
            return level, people
    return 3, recipients_at(3, ticket, now)


def ack_token(page: Page) -> str:
    return signing.TimestampSigner(salt=_LINK_SALT).sign(f"{page.pk}.{page.link_nonce}")


def read_ack_token(token: str) -> tuple[int, str] | None:
    """(page id, nonce) of a valid, unexpired link, else ``None``."""
    try:
        value = signing.TimestampSigner(salt=_LINK_SALT).unsign(
            token, max_age=timedelta(hours=settings.PAGING_ACK_LINK_HOURS))
        page_id, nonce = value.split(".", 1)
        return int(page_id), nonce
    except (signing.BadSignature, ValueError):
        return None


def _write_pages(ticket: Ticket, level: int, people: Iterable[User], now: datetime,
                 reason: str) -> list[Page]:
    event = TicketEvent.objects.create(ticket=ticket, kind=EventKind.PAGED, old_value=reason,
                                       new_value=str(level), internal=True, created_at=now)
    webhook = bool(settings.PAGING_WEBHOOK_URL)
    pages = Page.objects.bulk_create([
        Page(ticket=ticket, level=level, user=user, created_at=now,
             link_nonce=secrets.token_hex(16), webhook_next_at=now if webhook else None)
        for user in people
    ])
    for page in pages:
        link = settings.PORTAL_URL.rstrip("/") + reverse("oncall:ack-link",
                                                         args=[ack_token(page)])
        ticket_url = settings.PORTAL_URL.rstrip("/") + reverse("tickets:detail",
                                                               args=[ticket.pk])

        def compose(link: str = link, ticket_url: str = ticket_url) -> tuple[str, str]:
            values = {"number": ticket.number, "sev": Severity(ticket.severity).label,
                      "company": ticket.company.name, "level": level}
            if level == 3 and reason == Reason.ESCALATION:
                message = _("Escalated page: %(number)s (severity %(sev)s, %(company)s) is "
                            "not acknowledged") % values
            elif level == 3:
                message = _("Page (nobody on call, everyone): %(number)s, severity %(sev)s, "
                            "%(company)s") % values
            else:
                message = _("Page (level %(level)s): %(number)s, severity %(sev)s, "
                            "%(company)s") % values
            return message, _(
                "%(message)s\n\nSubject: %(subject)s\nFirst response due: %(due)s\n"
                "Ticket: %(ticket_url)s\n\nAcknowledge this page (one click, works once, "
                "for %(hours)s hours):\n%(link)s\n") % {
                "message": message, "subject": ticket.subject,
                "due": email_datetime(ticket.response_due_at), "ticket_url": ticket_url,
                "link": link, "hours": settings.PAGING_ACK_LINK_HOURS,
            }

        notify([page.user], ticket=ticket, event=event, compose=compose)
    if webhook and pages:
        enqueue_on_commit(WEBHOOK_TASK)
    return pages


def page_ticket(*, ticket: Ticket, reason: str, now: datetime | None = None) -> int:
    """Start paging for ``ticket`` (caller's transaction): level 1, or the first level with
    somebody on call. A ticket already paged is left alone. Returns the level paged, or 0."""
    now = now or timezone.now()
    if ticket.paging_level:
        return 0
    level, people = _next_level(1, ticket, now)
    claimed = Ticket.objects.filter(pk=ticket.pk, paging_level=0).update(
        paging_level=level, paged_at=now, last_paged_at=now)
    if claimed != 1:
        return 0
    ticket.paging_level, ticket.paged_at, ticket.last_paged_at = level, now, now
    _write_pages(ticket, level, people, now, reason)
    return level


def page_on_warning(ticket: Ticket, now: datetime) -> int:
    """The SLA warning of a ticket nobody is assigned to pages (SPEC §11)."""
    return 0 if ticket.assignee_id else page_ticket(ticket=ticket, reason=Reason.SLA_WARNING,
                                                    now=now)


def escalation_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=PagingPolicy.current().ack_minutes)


def due_for_escalation(now: datetime, batch: int = 500) -> list[int]:
    """Ids of paged, unacknowledged tickets whose latest level waited ``ack_minutes``
    (partial index ``ticket_escalation_due``)."""
    return list(Ticket.objects.filter(AWAITING_ESCALATION,
                                      last_paged_at__lte=escalation_cutoff(now))
                .order_by("last_paged_at").values_list("pk", flat=True)[:batch])


def escalate(pk: int, now: datetime) -> int:
    """Page the next level of one ticket if it is due: one transaction, claimed by the
    conditional UPDATE. Returns the level paged, or 0 when another run (or an acknowledgement)
    got there first."""
    with transaction.atomic():
        cutoff = escalation_cutoff(now)
        ticket = Ticket.objects.select_related("company__tam").filter(
            AWAITING_ESCALATION, pk=pk, last_paged_at__lte=cutoff).first()
        if ticket is None:
            return 0
        current = ticket.paging_level
        level, people = _next_level(current + 1, ticket, now)
        claimed = Ticket.objects.filter(AWAITING_ESCALATION, pk=pk, paging_level=current,
                                        last_paged_at__lte=cutoff) \
            .update(paging_level=level, last_paged_at=now)
        if claimed != 1:
            return 0
        ticket.paging_level, ticket.last_paged_at = level, now
        _write_pages(ticket, level, people, now, Reason.ESCALATION)
        return level


def escalate_due(now: datetime | None = None) -> int:
    """Escalate every ticket due (beat, every ``SLA_SCAN_SECONDS``). Safe to run concurrently."""
    now = now or timezone.now()
    done = 0
    for pk in due_for_escalation(now):
        try:
            done += bool(escalate(pk, now))
        except Exception:
            # Rolled back whole: the next run retries this ticket; the others go on.
            log.exception("escalating ticket %s failed; retrying on the next run", pk)
    return done


def acknowledge(*, ticket: Ticket, by: User, via: str, request: object = None,
                now: datetime | None = None) -> bool:
    """Acknowledge every open page of ``ticket`` (caller's transaction); escalation stops.
    False when nothing was waiting for an acknowledgement."""
    now = now or timezone.now()
    claimed = Ticket.objects.filter(pk=ticket.pk, paging_level__gt=0,
                                    paging_acked_at__isnull=True) \
        .update(paging_acked_at=now, paging_acked_by=by)
    if claimed != 1:
        return False
    ticket.paging_acked_at, ticket.paging_acked_by = now, by
    Page.objects.filter(ticket_id=ticket.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by, link_nonce="")
    TicketEvent.objects.create(ticket_id=ticket.pk, kind=EventKind.PAGE_ACKNOWLEDGED, actor=by,
                               new_value=via, internal=True, created_at=now)
    audit.record(action=audit.Action.PAGE_ACKNOWLEDGED, actor=by, company=ticket.company,
                 object=ticket, request=request,  # type: ignore[arg-type]
                 detail={"via": via, "ticket": ticket.number})
    return True


def acknowledge_on_staff_action(ticket: Ticket, by: User, via: str,
                                now: datetime | None = None) -> None:
    """Taking the ticket or its first public staff reply acknowledges its open pages; no query
    when the ticket (a locked, fresh row) has none."""
    if ticket.paging_level and ticket.paging_acked_at is None:
        acknowledge(ticket=ticket, by=by, via=via, now=now)
