"""In-portal notifications and the e-mail outbox.

Both are rows written in the caller's transaction, so a notification exists exactly when the
change it reports was committed, and unique constraints make a repeated call a no-op.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role, User
from tickets.models import Notification, OutboundEmail, Ticket, TicketEvent

log = logging.getLogger(__name__)

#: A claim older than this is taken to be from a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 8


def notify(
    users: Iterable[User], *, ticket: Ticket, event: TicketEvent, message: str,
    email_subject: str, email_body: str,
) -> None:
    recipients = {u.pk: u for u in users if u is not None and u.is_active}.values()
    Notification.objects.bulk_create(
        [Notification(user=u, ticket=ticket, event=event, message=message[:300])
         for u in recipients],
        ignore_conflicts=True,
    )
    email(
        [u.email for u in recipients], ticket=ticket, event=event, subject=email_subject,
        body=email_body,
    )


def email(
    addresses: Iterable[str], *, ticket: Ticket | None, event: TicketEvent | None,
    subject: str, body: str,
) -> None:
    OutboundEmail.objects.bulk_create(
        [OutboundEmail(to=a, ticket=ticket, event=event, subject=subject[:300], body=body)
         for a in sorted(set(addresses))],
        ignore_conflicts=True,
    )
    from support_portal.queueing import enqueue_on_commit
    from tickets.tasks import deliver_outbox

    enqueue_on_commit(deliver_outbox)


def sla_recipients(ticket: Ticket) -> list[User]:
    """The assignee, every active engineer, and the account's TAM (SPEC §4)."""
    engineers = list(User.objects.filter(role=Role.ENGINEER, is_active=True))
    return [*engineers, ticket.assignee, ticket.company.tam]  # type: ignore[list-item]


def deliver_outbox(batch: int = 100) -> int:
    """Send pending e-mails. Each row is claimed with a conditional UPDATE first, so two
    workers never send the same message. Returns how many were sent."""
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
        message = OutboundEmail.objects.get(pk=pk)
        try:
            send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to])
        except Exception as exc:  # SMTP errors of every kind: release the claim, retry later
            log.warning("e-mail %s to %s failed: %s", pk, message.to, exc)
            OutboundEmail.objects.filter(pk=pk).update(claimed_at=None, last_error=str(exc))
            continue
        OutboundEmail.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
        sent += 1
    return sent
