"""Celery tasks of major incidents (thin): the fan-out of an update, and beat's sweep that
restarts a fan-out that stopped half-way (SPEC §13)."""

from celery import shared_task

from tickets.incidents import selectors, services


@shared_task(ignore_result=True)
def fan_out_update(update_id: int) -> int:
    """Post the update to every linked ticket still waiting for it, batch by batch."""
    return services.fan_out(update_id)


@shared_task(ignore_result=True)
def resume_fan_outs() -> int:
    """Beat: start again every fan-out with replies still to post. Running two of one update
    at once is safe: each batch locks its own rows (SKIP LOCKED)."""
    pending = selectors.pending_updates()
    for update_id in pending:
        fan_out_update.delay(update_id)
    return len(pending)
