"""Enqueueing Celery work from the request path without ever failing the request.

Work is recorded in PostgreSQL first (outbox rows, SLA columns) and the periodic jobs find it
there, so a broker outage only delays it. The after-commit nudge below is an optimisation.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction

log = logging.getLogger(__name__)


def _try_enqueue(task: Task, args: tuple[Any, ...]) -> None:
    try:
        with task.app.producer_or_acquire() as producer:
            # One connection attempt and no publish retries: a dead broker fails fast instead
            # of holding the request. (Left to itself, kombu's reconnect loop sleeps
            # ``interval_start`` = 2 s before giving up on a refused connection.)
            producer.connection.ensure_connection(max_retries=0)
            task.apply_async(args=args, retry=False, producer=producer)
    except Exception as exc:  # the broker is down or unreachable
        log.warning("could not enqueue %s (%s); the periodic job will pick the work up",
                    task.name, exc)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    transaction.on_commit(lambda: _try_enqueue(task, args))
