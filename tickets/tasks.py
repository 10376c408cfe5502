from celery import shared_task

from tickets import notifications


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    return notifications.deliver_outbox()


@shared_task(ignore_result=True)
def poll_inbound_mail() -> int:
    from tickets.inbound import poll_mailbox

    return poll_mailbox()
