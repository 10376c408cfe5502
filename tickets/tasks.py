from celery import shared_task

from tickets import notifications


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    return notifications.deliver_outbox()
