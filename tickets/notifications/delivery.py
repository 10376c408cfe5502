"""Sending the e-mail outbox (SPEC §3 channels): each row becomes a threaded text + HTML
message in the recipient's language (``tickets.outbox`` writes the rows).

Delivery never gives up silently and never sends a row twice on purpose:

- a row is claimed with a conditional UPDATE (``SKIP LOCKED`` picks rows no other worker is
  claiming), so any number of workers share the outbox without sending a message twice;
- while the mail server cannot be reached at all (refused, timed out, 421), no attempt is
  spent: the run stops at once, and the next sweep tries again; an outage of any length costs
  nothing but time (at most one attempt of the one row being sent when it began), and the
  outbox drains at full speed when the server is back;
- a message the server refuses is retried on its own schedule (``next_attempt_at``):
  exponential backoff with jitter, ``EMAIL_MAX_ATTEMPTS`` in all, then the row is marked
  failed, logged as an error, counted on ``/readyz`` and listed in the admin for a resend;
- a worker that dies between the send and recording it leaves a claim that is taken back after
  ``EMAIL_STALE_CLAIM_FACTOR`` SMTP timeouts; the resend carries the same ``Message-ID``.
"""

import contextlib
import logging
import random
import re
import smtplib
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Contact
from tickets.mail_files import attachments_for
from tickets.models import OutboundEmail

log = logging.getLogger(__name__)

#: Set when the mail server could not be reached, so the after-commit nudges of a busy portal
#: do not each wait for a connection timeout; beat's sweep probes regardless, and the first
#: connection that works clears it.
SMTP_DOWN_KEY = "outbox:smtp-unreachable"


def _down_marker_seconds() -> float:
    return max(3 * settings.EMAIL_SWEEP_SECONDS, 2 * settings.EMAIL_TIMEOUT)


def stale_claim() -> timedelta:
    """A claim older than this is from a worker that died mid-send: tied to the SMTP timeout,
    which bounds how long a live worker can hold one."""
    return timedelta(seconds=settings.EMAIL_TIMEOUT * settings.EMAIL_STALE_CLAIM_FACTOR)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th refused attempt: base × 2^(n-1), capped, with jitter
    (a random 50–100 %), so a burst of refusals does not come back as one burst."""
    base = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    delay = min(settings.EMAIL_RETRY_MAX_SECONDS, base)
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311


def due(now: datetime) -> Q:
    """Rows to send now: pending, their time has come, and not held by a live worker."""
    return Q(sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim())
    )


def has_due() -> bool:
    return OutboundEmail.objects.filter(due(timezone.now())).exists()


def is_unreachable(exc: BaseException) -> bool:
    """The mail server as a whole is unavailable (not this one message refused)."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return True
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False
    return isinstance(exc, OSError)  # refused, reset, timed out, no route, DNS


def thread_id(ticket_id: int) -> str:
    """The Message-ID of a ticket's first e-mail; every later one refers to it."""
    return f"<ts-{ticket_id}@{settings.EMAIL_MESSAGE_DOMAIN}>"


def parse_thread_id(header: str) -> int | None:
    """The ticket id in any of our Message-IDs found in an In-Reply-To/References header."""
    domain = re.escape(settings.EMAIL_MESSAGE_DOMAIN)
    match = re.search(rf"<ts-(\d+)(?:\.\d+)*@{domain}>", header or "")
    return int(match.group(1)) if match else None


def replies_by_email(address: str) -> bool:
    """Whether a reply from ``address`` would be added to the ticket: only an active named
    contact's is (``inbound``). Staff are never invited to answer by e-mail, so a staff reply
    can never become a customer-visible comment by accident."""
    return Contact.objects.active().filter(user__email=address).exists()


def build_message(message: OutboundEmail, connection: Any = None) -> EmailMultiAlternatives:
    """The e-mail as sent: text and HTML bodies, threaded on the ticket. The Message-ID is
    derived from the row, so a resend (after a crash between the send and recording it)
    carries the same one and a mail client threads the rare duplicate as one message."""
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
    else:
        headers["Message-ID"] = f"<out-{message.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"
    headers["Auto-Submitted"] = "auto-generated"
    with translation.override(message.language or settings.LANGUAGE_CODE):
        context = {"message": message, "ticket": message.ticket,
                   "reply_by_email": bool(message.ticket_id) and replies_by_email(message.to),
                   "portal_url": settings.PORTAL_URL.rstrip("/"),
                   "PRIORITY_PHONE_LINE": settings.PRIORITY_PHONE_LINE}
        text = render_to_string("emails/message.txt", context)
        html = render_to_string("emails/message.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to], reply_to=[settings.SUPPORT_EMAIL_ADDRESS], headers=headers,
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments_for(message):
        email.attach(name, content, mimetype)
    return email


def _claim_next() -> int | None:
    """Claim the next due row and count the attempt; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        pk = (OutboundEmail.objects.filter(due(now)).order_by("next_attempt_at", "pk")
              .select_for_update(skip_locked=True).values_list("pk", flat=True).first())
        if pk is None:
            return None
        claimed = OutboundEmail.objects.filter(due(now), pk=pk).update(
            claimed_at=now, attempts=F("attempts") + 1)
    return pk if claimed == 1 else None


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


def _record_refusal(message: OutboundEmail, exc: Exception) -> Outcome:
    now = timezone.now()
    rows = OutboundEmail.objects.filter(pk=message.pk)
    if message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        rows.update(claimed_at=None, failed_at=now, last_error=str(exc)[:2000])
        log.error("e-mail %s to %s failed for good after %d attempts: %s",
                  message.pk, message.to, message.attempts, exc)
        return Outcome.FAILED
    rows.update(claimed_at=None, next_attempt_at=now + retry_delay(message.attempts),
                last_error=str(exc)[:2000])
    log.warning("e-mail %s to %s refused (attempt %d of %d): %s", message.pk, message.to,
                message.attempts, settings.EMAIL_MAX_ATTEMPTS, exc)
    return Outcome.RETRY


def _send_one(pk: int, connection: Any) -> Outcome:
    message = OutboundEmail.objects.select_related("ticket", "event").get(pk=pk)
    try:
        build_message(message, connection).send()
    except Exception as exc:
        # The attempt counts even when the server went away mid-send: a message that makes
        # the server drop the connection every time must end as failed, not block the
        # outbox forever. An outage costs at most this one attempt of this one row; the
        # rest of the batch waits without spending any (the run stops here).
        outcome = _record_refusal(message, exc)
        return Outcome.UNREACHABLE if is_unreachable(exc) else outcome
    OutboundEmail.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
    return Outcome.SENT


def _mark_unreachable(reason: object) -> None:
    log.warning("the mail server is unreachable (%s); the outbox waits for it", reason)
    with contextlib.suppress(Exception):  # the cache is an optimisation; Redis may be down
        cache.set(SMTP_DOWN_KEY, True, _down_marker_seconds())


def _recently_unreachable() -> bool:
    try:
        return bool(cache.get(SMTP_DOWN_KEY))
    except Exception:
        return False


def deliver_outbox(batch: int | None = None, *, probe: bool = True) -> int:
    """Send up to ``batch`` due e-mails over one SMTP connection; returns how many were sent.
    ``probe=False`` (after-commit nudges) skips the run while the server was just found
    unreachable; beat's sweep always probes."""
    batch = batch or settings.EMAIL_BATCH
    if not has_due() or (not probe and _recently_unreachable()):
        return 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        _mark_unreachable(exc)
        return 0
    with contextlib.suppress(Exception):  # the server is back: nudges may send again
        cache.delete(SMTP_DOWN_KEY)
    sent = 0
    try:
        for _ in range(batch):
            pk = _claim_next()
            if pk is None:
                break
            outcome = _send_one(pk, connection)
            if outcome is Outcome.SENT:
                sent += 1
            elif outcome is Outcome.UNREACHABLE:
                _mark_unreachable(OutboundEmail.objects.get(pk=pk).last_error)
                break
    finally:
        with contextlib.suppress(Exception):  # a broken connection need not close cleanly
            connection.close()
    return sent
