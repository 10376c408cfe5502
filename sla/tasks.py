"""Celery tasks of the SLA (thin: they call ``sla.jobs``)."""

from celery import shared_task

from sla import jobs


@shared_task(ignore_result=True)
def scan_sla() -> dict[str, int]:
    """Beat runs this every SLA_SCAN_SECONDS: flag warnings and breaches exactly once."""
    return jobs.scan()
