"""Writing notifications: the in-portal bell and the e-mail outbox (SPEC §3, §4, §7).

Both are rows written in the caller's transaction, so a notification exists exactly when the
change it reports was committed, and unique constraints make a repeated call a no-op. Each
recipient gets the text in their own language: callers pass a ``compose`` function that is
called once per recipient language with that language active.

Delivery (composing the MIME message, SMTP, retries) and inbound mail live in
``tickets.notifications``; this core half only records what is to be sent and nudges the
delivery task by name after commit.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.preferences import zone_of
from support_portal.kernel.bulk import insert_rows
from support_portal.kernel.dates import zone_name
from support_portal.kernel.queueing import enqueue_on_commit
from tickets.models import Notification, OutboundEmail, Ticket, TicketEvent

#: The Celery task that sends the outbox (``tickets.notifications.tasks``); beat also runs it
#: every minute, so a lost nudge only delays an e-mail.
DELIVER_TASK = "tickets.notifications.tasks.deliver_outbox"

#: Returns (subject, text body) in the active language.
Compose = Callable[[], tuple[str, str]]


def _recipients(users: Iterable[User | None], *, only_active: bool = True) -> list[User]:
    return list({u.pk: u for u in users
                 if u is not None and (u.is_active or not only_active)}.values())


def subject_with_number(subject: str, number: str) -> str:
    """The ticket number in brackets once (it threads replies back to the ticket): a number
    the text already names is bracketed where it stands, otherwise it leads the subject."""
    if f"[{number}]" in subject:
        return subject
    if number in subject:
        return subject.replace(number, f"[{number}]", 1)
    return f"[{number}] {subject}"


class _Texts:
    """``compose`` once per (language, time zone) among the recipients, not once per
    recipient: the text depends on nothing else (a batch job notifies ten people of each of a
    thousand tickets, most of them sharing a language and zone)."""

    def __init__(self, compose: Compose) -> None:
        self.compose = compose
        self.done: dict[tuple[str, str], tuple[tuple[str, str], tuple[str, str]]] = {}

    def __call__(self, user: User, *, footer: bool = False) -> tuple[str, str]:
        """(subject, body); with ``footer``, the body ends by naming the zone its times are
        in (e-mails)."""
        language = user.language or settings.LANGUAGE_CODE
        zone = zone_of(user)
        key = (language, zone.key)
        if key not in self.done:
            with translation.override(language), timezone.override(zone):
                subject, body = self.compose()
                closing = _("Times in this e-mail are in %(zone)s.") % {"zone": zone_name()}
            self.done[key] = ((subject, body),
                              (subject, body.rstrip("\n") + "\n\n" + closing + "\n"))
        return self.done[key][footer]


class Outbox:
    """Bell and e-mail rows of any number of changes, gathered in memory and written by
    :meth:`write` with one INSERT each, in the caller's transaction. Unique constraints (one
    bell and one e-mail per recipient and event) make a repeated row a no-op."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.emails: list[dict[str, Any]] = []

    def notify(self, users: Iterable[User | None], *, ticket: Ticket,
               event: TicketEvent | None, compose: Compose) -> None:
        """The bell and an e-mail for each user; the subject is the notification's text."""
        recipients = _recipients(users)
        texts = _Texts(compose)
        event_id = event.pk if event is not None else None
        self.notifications += [
            {"user_id": u.pk, "ticket_id": ticket.pk, "event_id": event_id,
             "message": texts(u)[0][:300]}
            for u in recipients
        ]
        self._email(recipients, ticket=ticket, event=event, texts=texts)

    def email(self, users: Iterable[User | None], *, ticket: Ticket | None,
              event: TicketEvent | None, compose: Compose, only_active: bool = True) -> None:
        self._email(_recipients(users, only_active=only_active), ticket=ticket, event=event,
                    texts=_Texts(compose))

    def _email(self, recipients: list[User], *, ticket: Ticket | None,
               event: TicketEvent | None, texts: _Texts) -> None:
        for user in recipients:
            subject, body = texts(user, footer=True)
            if ticket is not None:
                subject = subject_with_number(subject, ticket.number)
            self.emails.append({
                "to": user.email, "ticket_id": ticket.pk if ticket is not None else None,
                "event_id": event.pk if event is not None else None, "subject": subject[:300],
                "body": body, "language": user.language,
            })

    def write(self) -> None:
        """Two INSERTs (whatever the number of changes) and one delivery nudge after commit."""
        now = timezone.now()
        insert_rows(Notification, [{**row, "created_at": now} for row in self.notifications],
                    ignore_conflicts=True)
        insert_rows(OutboundEmail, [{**row, "created_at": now, "next_attempt_at": now}
                                    for row in self.emails], ignore_conflicts=True)
        enqueue_on_commit(DELIVER_TASK)
        self.notifications, self.emails = [], []


def notify(
    users: Iterable[User | None], *, ticket: Ticket, event: TicketEvent | None, compose: Compose,
    outbox: Outbox | None = None,
) -> None:
    """The bell and an e-mail for each user; the subject is the notification's text. With
    ``outbox``, the rows join that batch (written by its ``write()``); otherwise now."""
    batch = outbox or Outbox()
    batch.notify(users, ticket=ticket, event=event, compose=compose)
    if outbox is None:
        batch.write()


def email_users(
    users: Iterable[User | None], *, ticket: Ticket | None, event: TicketEvent | None,
    compose: Compose, only_active: bool = True,
) -> None:
    """``only_active=False`` only for answers to someone who wrote to us (e.g. telling a
    deactivated contact why their e-mail was refused)."""
    batch = Outbox()
    batch.email(users, ticket=ticket, event=event, compose=compose, only_active=only_active)
    batch.write()


@transaction.atomic
def outbox_resend(*, emails: QuerySet[OutboundEmail]) -> int:
    """Give e-mails that failed for good a fresh set of attempts, due now (the admin's resend
    action). Sent or still pending ones are left alone. Returns how many will be resent."""
    count = emails.filter(failed_at__isnull=False, sent_at__isnull=True).update(
        failed_at=None, attempts=0, claimed_at=None, next_attempt_at=timezone.now())
    if count:
        enqueue_on_commit(DELIVER_TASK)
    return count


def outbox_figures() -> dict[str, Any]:
    """For ``/readyz`` details: e-mails waiting, failed for good (to resend from the admin),
    and the age of the oldest wait."""
    pending = OutboundEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "pending": pending.count(),
        "failed": OutboundEmail.objects.filter(failed_at__isnull=False).count(),
        "oldest_pending_seconds": (round((timezone.now() - oldest).total_seconds(), 1)
                                   if oldest else 0),
    }
