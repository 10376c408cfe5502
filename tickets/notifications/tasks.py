"""Celery tasks of e-mail in and out; beat runs both every minute."""

from celery import shared_task

from tickets.notifications import delivery, inbound


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    return delivery.deliver_outbox()


@shared_task(ignore_result=True)
def poll_inbound_mail() -> int:
    return inbound.poll_mailbox()
