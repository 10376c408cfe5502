"""In-portal notifications and the e-mail outbox.

Both are rows written in the caller's transaction, so a notification exists exactly when the
change it reports was committed, and unique constraints make a repeated call a no-op. Each
recipient gets the text in their own language: callers pass a ``compose`` function that is
called once per recipient language with that language active.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Role, User
from tickets.models import Notification, OutboundEmail, Ticket, TicketEvent

log = logging.getLogger(__name__)

#: A claim older than this is taken to be from a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 8

#: Returns (subject, text body) in the active language.
Compose = Callable[[], tuple[str, str]]


def _recipients(users: Iterable[User | None], *, only_active: bool = True) -> list[User]:
    return list({u.pk: u for u in users
                 if u is not None and (u.is_active or not only_active)}.values())


def _in_language(user: User, compose: Compose) -> tuple[str, str]:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return compose()


def notify(
    users: Iterable[User | None], *, ticket: Ticket, event: TicketEvent, compose: Compose,
) -> None:
    """The bell and an e-mail for each user; the subject is the notification's text."""
    recipients = _recipients(users)
    Notification.objects.bulk_create(
        [Notification(user=u, ticket=ticket, event=event,
                      message=_in_language(u, compose)[0][:300]) for u in recipients],
        ignore_conflicts=True,
    )
    email_users(recipients, ticket=ticket, event=event, compose=compose)


def email_users(
    users: Iterable[User | None], *, ticket: Ticket | None, event: TicketEvent | None,
    compose: Compose, only_active: bool = True,
) -> None:
    """``only_active=False`` only for answers to someone who wrote to us (e.g. telling a
    deactivated contact why their e-mail was refused)."""
    rows = []
    for user in _recipients(users, only_active=only_active):
        subject, body = _in_language(user, compose)
        if ticket is not None and f"[{ticket.number}]" not in subject:
            # The number in the subject threads replies back to the ticket.
            subject = f"[{ticket.number}] {subject}"
        rows.append(OutboundEmail(to=user.email, ticket=ticket, event=event,
                                  subject=subject[:300], body=body, language=user.language))
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
    from support_portal.queueing import enqueue_on_commit
    from tickets.tasks import deliver_outbox

    enqueue_on_commit(deliver_outbox)


def sla_recipients(ticket: Ticket) -> list[User | None]:
    """The assignee, every active engineer, and the account's TAM (SPEC §4)."""
    engineers: list[User | None] = list(User.objects.filter(role=Role.ENGINEER, is_active=True))
    return [*engineers, ticket.assignee, ticket.company.tam]


def thread_id(ticket_id: int) -> str:
    """The Message-ID of a ticket's first e-mail; every later one refers to it."""
    return f"<ts-{ticket_id}@{settings.EMAIL_MESSAGE_DOMAIN}>"


def parse_thread_id(header: str) -> int | None:
    """The ticket id in any of our Message-IDs found in an In-Reply-To/References header."""
    import re

    domain = re.escape(settings.EMAIL_MESSAGE_DOMAIN)
    match = re.search(rf"<ts-(\d+)(?:\.\d+)*@{domain}>", header or "")
    return int(match.group(1)) if match else None


def build_message(message: OutboundEmail) -> EmailMultiAlternatives:
    """The e-mail as sent: text and HTML bodies, threaded on the ticket."""
    headers = {}
    if message.ticket_id:
        root = thread_id(message.ticket_id)
        if message.event is not None and message.event.kind == "created":
            headers["Message-ID"] = root
        else:
            headers["Message-ID"] = (f"<ts-{message.ticket_id}.{message.pk}"
                                     f"@{settings.EMAIL_MESSAGE_DOMAIN}>")
            headers["In-Reply-To"] = root
            headers["References"] = root
    headers["Auto-Submitted"] = "auto-generated"
    with translation.override(message.language or settings.LANGUAGE_CODE):
        context = {"message": message, "ticket": message.ticket,
                   "portal_url": settings.PORTAL_URL.rstrip("/"),
                   "PRIORITY_PHONE_LINE": settings.PRIORITY_PHONE_LINE}
        text = render_to_string("emails/message.txt", context)
        html = render_to_string("emails/message.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to], reply_to=[settings.SUPPORT_EMAIL_ADDRESS], headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


def deliver_outbox(batch: int = 100) -> int:
    """Send pending e-mails. Each row is claimed with a conditional UPDATE first, so two
    workers never send the same message. Failures release the claim and are retried by the
    next run (up to MAX_ATTEMPTS). Returns how many were sent."""
    now = timezone.now()
    claimable = Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM)
    )
    sent = 0
    for pk in OutboundEmail.objects.filter(claimable).values_list("pk", flat=True)[:batch]:
        with transaction.atomic():
            claimed = OutboundEmail.objects.filter(claimable, pk=pk).update(
                claimed_at=now, attempts=F("attempts") + 1
            )
        if claimed != 1:
            continue
        message = OutboundEmail.objects.select_related("ticket", "event").get(pk=pk)
        try:
            build_message(message).send()
        except Exception as exc:  # SMTP errors of every kind: release the claim, retry later
            log.warning("e-mail %s to %s failed: %s", pk, message.to, exc)
            OutboundEmail.objects.filter(pk=pk).update(claimed_at=None, last_error=str(exc))
            continue
        OutboundEmail.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
        sent += 1
    return sent
