"""Celery tasks of accounts."""

from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Expired sessions are dead weight in the session table; drop them."""
    call_command("clearsessions")
