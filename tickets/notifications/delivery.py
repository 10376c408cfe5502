"""Sending the e-mail outbox (SPEC §3 channels): each row becomes a threaded text + HTML
message in the recipient's language, claimed by a conditional UPDATE so two workers never send
the same message, and retried by beat until it goes (``tickets.outbox`` writes the rows)."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Contact
from tickets.mail_files import attachments_for
from tickets.models import OutboundEmail

log = logging.getLogger(__name__)

#: A claim older than this is taken to be from a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)
MAX_ATTEMPTS = 8


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
                   "reply_by_email": bool(message.ticket_id) and replies_by_email(message.to),
                   "portal_url": settings.PORTAL_URL.rstrip("/"),
                   "PRIORITY_PHONE_LINE": settings.PRIORITY_PHONE_LINE}
        text = render_to_string("emails/message.txt", context)
        html = render_to_string("emails/message.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to], reply_to=[settings.SUPPORT_EMAIL_ADDRESS], headers=headers,
    )
    email.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments_for(message):
        email.attach(name, content, mimetype)
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
