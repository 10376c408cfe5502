"""The first-response target of a ticket and its deadlines (SPEC §4): the pure half of the
SLA that ``tickets`` calls when it files a ticket or changes its severity.

It reads policies and calendars (``sla.models``) and does the arithmetic with
``sla.deadlines``; it never imports ``tickets``. The jobs that flag breaches and warnings live
in ``sla.jobs``, which imports ``tickets`` — never both directions from one module.

Policies, calendars and holidays change rarely (an administrator edits them) and are read by
every ticket filed, so each process keeps what it read, keyed by a version token in the shared
cache (Redis). Saving or deleting a policy, calendar or holiday puts a new token there once
the change commits (``sla.apps``), and every process drops its copies at its next look-up.
Without a cache shared by all processes (the demo's in-memory default), or with the cache
unreachable, nothing is kept: every look-up reads the database, as before.
"""

import contextlib
import threading
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sla import deadlines
from sla.models import SlaPolicy

VERSION_KEY = "sla:policies:version"
#: Caches private to one process cannot tell the other processes about an edit.
_UNSHARED = ("django.core.cache.backends.locmem.", "django.core.cache.backends.dummy.")

_lock = threading.Lock()
_kept: dict[str, Any] = {"version": None, "policies": {}}


def _shared_cache() -> bool:
    return not settings.CACHES["default"]["BACKEND"].startswith(_UNSHARED)


def _current_version() -> str | None:
    """The version token all processes agree on; ``None`` when nothing may be kept."""
    if not _shared_cache():
        return None
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # Never keep copies under "no token": a flushed cache would then look unchanged.
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:  # the cache is down: read the database, never fail the caller
        return None
    return version


def _bump() -> None:
    # An unreachable cache cannot be told; no process can keep copies without it either.
    with contextlib.suppress(Exception):
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


_bump.sla_policies = True  # type: ignore[attr-defined]


def _changing() -> bool:
    """Whether the open transaction changed policies and has not committed yet: until it
    does, look-ups read the database and keep nothing (what they read may be rolled back)."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(
        getattr(pending[1], "sla_policies", False) for pending in connection.run_on_commit)


def policies_changed() -> None:
    """A policy, calendar or holiday changed: a new token once the change commits (at once
    outside a transaction), so no process keeps what it read before. Connected to their
    ``post_save`` and ``post_delete`` in ``sla.apps``."""
    with _lock:  # this process's own copies go at once
        _kept["version"], _kept["policies"] = None, {}
    if not _changing():
        transaction.on_commit(_bump)


def _read_policy(plan_id: int, severity: int) -> SlaPolicy | None:
    """The (plan, severity) policy with its calendar and holidays: two queries."""
    return (
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related("calendar__holidays")
        .filter(plan_id=plan_id, severity=severity)
        .first()
    )


def policy_for(plan_id: int, severity: int) -> SlaPolicy:
    """The (plan, severity) policy with its calendar and holidays (no query when this process
    read it since the last edit). Treat it as read-only: it is shared by later callers."""
    version = None if _changing() else _current_version()
    key = (plan_id, severity)
    policy: SlaPolicy | None
    if version is not None:
        with _lock:
            if _kept["version"] != version:
                _kept["version"], _kept["policies"] = version, {}
            hit = key in _kept["policies"]
            policy = _kept["policies"].get(key)
        if not hit:
            # Kept under the token read *before* the database: a change committed meanwhile
            # has a newer token, so the next look-up drops this copy.
            policy = _read_policy(plan_id, severity)
            with _lock:
                if _kept["version"] == version:
                    _kept["policies"][key] = policy
    else:
        policy = _read_policy(plan_id, severity)
    if policy is None:
        raise ValidationError(
            _("No response-time target is configured for this plan and severity %(severity)d.")
            % {"severity": severity}
        )
    return policy


def response_deadlines(policy: SlaPolicy, start: datetime) -> tuple[datetime, datetime]:
    """(due, warn): when the first response is due and when the warning is raised."""
    calendar = policy.calendar.as_calendar(list(policy.calendar.holidays.all()))
    due = deadlines.deadline(start, policy.target, calendar)
    warn = deadlines.deadline(start, policy.warning_after, calendar)
    return due, warn
