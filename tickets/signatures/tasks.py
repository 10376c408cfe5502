"""Celery tasks of signature-change requests (thin): beat runs both (SPEC §7)."""

from celery import shared_task

from tickets.signatures import custody, verification


@shared_task(ignore_result=True)
def assume_fixed() -> int:
    """Releases the customer did not confirm in time are taken as fixed, exactly once."""
    return verification.assume_fixed()


@shared_task(ignore_result=True)
def purge_samples() -> int:
    """Sample bytes past their retention after closing are deleted; hash, size, name stay."""
    return custody.purge_samples()
