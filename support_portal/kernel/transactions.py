"""Transactions that survive lock contention: a deadlock or serialization failure is retried.

PostgreSQL aborts one side of a deadlock ("deadlock detected", SQLSTATE 40P01) and, under
REPEATABLE READ/SERIALIZABLE, a transaction that lost a race (40001). Both are safe to run again
from the start: nothing of the aborted transaction was committed. ``retry_on_conflict`` runs the
whole transaction again a few times with a short random pause, and when contention outlasts the
retries it answers a ``ConflictError`` (HTTP 409 "try again"), never a 500.
"""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.utils.translation import gettext as _

from support_portal.kernel.errors import ConflictError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: SQLSTATE codes of a transaction that may simply be run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 4


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (the driver's error is the ``__cause__``)."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return getattr(cause, "pgcode", None) in RETRYABLE_SQLSTATES


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in its own transaction, again on a deadlock or serialization failure.

    Only the outermost transaction can be retried: called inside an ``atomic`` block the
    function runs once in it (the caller's own transaction is the one to retry), so a service
    decorated with it stays usable from another service.
    """
    atomic_func = transaction.atomic(using=DEFAULT_DB_ALIAS)(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return atomic_func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return atomic_func(*args, **kwargs)
            except OperationalError as exc:
                if not is_retryable(exc):
                    raise
                log.warning("%s: %s (attempt %d of %d)", func.__qualname__,
                            str(exc).splitlines()[0], attempt, ATTEMPTS)
                if attempt < ATTEMPTS:
                    time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311
        raise ConflictError(_("The change collided with another one at the same moment. "
                              "Please try again."))

    return wrapper
