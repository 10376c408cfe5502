"""Enqueueing Celery work from the request path without ever failing the request.

Work is recorded in PostgreSQL first (outbox rows, SLA columns) and the periodic jobs find it
there, so a broker outage only delays it. The after-commit nudge below is an optimisation.
Tasks are named, not imported, so a module that records work need not import the package that
does it (the outbox is written by the ticket core and delivered by ``tickets.notifications``).
"""

import logging
from typing import Any

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)


def _try_enqueue(task_name: str, args: tuple[Any, ...]) -> bool:
    try:
        with current_app.producer_or_acquire() as producer:
            # One connection attempt and no publish retries: a dead broker fails fast instead
            # of holding the request. (Left to itself, kombu's reconnect loop sleeps
            # ``interval_start`` = 2 s before giving up on a refused connection.)
            producer.connection.ensure_connection(max_retries=0)
            current_app.send_task(task_name, args=args, retry=False, producer=producer)
    except Exception as exc:  # the broker is down or unreachable
        log.warning("could not enqueue %s (%s); the periodic job will pick the work up",
                    task_name, exc)
        return False
    return True


def enqueue_now(task_name: str, *args: Any) -> bool:
    """Send ``task_name`` at once (from a task: no transaction to wait for). False when the
    broker refused it; the periodic job then picks the work up."""
    return _try_enqueue(task_name, args)


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send ``task_name`` once the current transaction commits (at once outside one). The same
    nudge asked for again before the commit is sent once: a transaction that writes a thousand
    outbox rows (an incident update's fan-out batch) nudges the delivery task once, not a
    thousand times."""
    key = (task_name, args)
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(pending[1], "nudge", None) == key for pending in connection.run_on_commit
    ):
        return

    def nudge() -> None:
        _try_enqueue(task_name, args)

    nudge.nudge = key  # type: ignore[attr-defined]
    transaction.on_commit(nudge)
