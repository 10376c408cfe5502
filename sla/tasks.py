"""Celery tasks of the SLA (thin: they call ``sla.jobs``)."""

from celery import shared_task
from django.utils import timezone

from sla import jobs, updates


@shared_task(ignore_result=True)
def scan_sla() -> dict[str, int]:
    """Beat runs this every SLA_SCAN_SECONDS: flag warnings, breaches and missed customer
    updates (SPEC §12), each exactly once."""
    now = timezone.now()
    return {**jobs.scan(now), "updates_missed": updates.flag_missed_updates(now)}
