"""Celery tasks of paging (thin; on the ``sla`` queue): escalation of unacknowledged pages and
the webhook calls to the SMS/voice gateway (SPEC §11)."""

from celery import shared_task

from tickets import paging
from tickets.oncall import webhooks


@shared_task(ignore_result=True)
def escalate_pages() -> int:
    """Beat, every SLA_SCAN_SECONDS: page the next level of every ticket whose page waited
    ``ack_minutes`` unacknowledged; exactly once per ticket and level."""
    return paging.escalate_due()


@shared_task(ignore_result=True)
def deliver_webhooks() -> int:
    """After a page's commit, and beat's sweep: every webhook call due, each claimed once."""
    return webhooks.deliver_due()
