"""Celery tasks of e-mail in and out (queue ``mail``); beat runs both periodically."""

from celery import shared_task
from django.conf import settings

from support_portal.kernel.queueing import enqueue_now
from tickets.notifications import delivery, inbound

TASK = "tickets.notifications.tasks.deliver_outbox"


@shared_task(ignore_result=True)
def deliver_outbox(sweep: bool = False) -> int:
    """Send one batch of due e-mails. While more are due, keep going: beat's sweep fans out to
    ``EMAIL_DELIVERY_FANOUT`` parallel tasks, and every task that sent a batch hands over to
    one successor, so a backlog drains as fast as the workers can send, and ends by itself."""
    sent = delivery.deliver_outbox(probe=sweep)
    if sent and delivery.has_due():
        for _ in range(settings.EMAIL_DELIVERY_FANOUT if sweep else 1):
            enqueue_now(TASK)
    return sent


@shared_task(ignore_result=True)
def poll_inbound_mail() -> int:
    return inbound.poll_mailbox()
