"""The live ticket page: what changed since the page was drawn, and who else is writing a reply.

A page polls ``tickets:live`` with the ``stamp`` it was drawn with; ``stamp`` summarises
everything the page shows that others can change (status, severity, assignee, the SLA clock,
the last comment and event it may see, and who is writing), so an unchanged ticket costs a
204 and no rendering.

"Someone is writing": while a staff member types a reply, their page tells the server every
few seconds (``tickets:writing``); the record lives in the cache (Redis) for ``WRITING_TTL``
seconds and is never written to the database. Only staff see it, and only other people's.
"""

import hashlib
import time
from collections.abc import Sequence

from django.core.cache import cache

from accounts.models import User
from tickets.models import Comment, Ticket, TicketEvent

#: Seconds between two polls of an open ticket page.
LIVE_SECONDS = 10
#: Seconds a "writing" record lasts after the last keystroke report.
WRITING_TTL = 20


def _key(ticket_id: int) -> str:
    return f"tickets:writing:{ticket_id}"


def writing_mark(*, ticket: Ticket, user: User) -> None:
    """``user`` is writing a reply on ``ticket`` now (staff only; the caller checks)."""
    now = time.time()
    writers = {int(k): v for k, v in (cache.get(_key(ticket.pk)) or {}).items()
               if v[1] > now}
    writers[user.pk] = (user.full_name, now + WRITING_TTL)
    cache.set(_key(ticket.pk), writers, WRITING_TTL)


def writing_clear(*, ticket: Ticket, user: User) -> None:
    """``user`` sent (or left) the reply."""
    writers = cache.get(_key(ticket.pk)) or {}
    if user.pk in writers:
        del writers[user.pk]
        cache.set(_key(ticket.pk), writers, WRITING_TTL)


def writers_other_than(ticket: Ticket, user: User) -> list[str]:
    """Names of the other staff members writing a reply on ``ticket`` now."""
    now = time.time()
    return sorted(name for pk, (name, until) in (cache.get(_key(ticket.pk)) or {}).items()
                  if pk != user.pk and until > now)


def stamp(ticket: Ticket, sla_state: str, comments: Sequence[Comment],
          events: Sequence[TicketEvent], writers: Sequence[str]) -> str:
    """A short digest of what the page shows that someone else can change."""
    parts = [ticket.status, str(ticket.severity), str(ticket.assignee_id), sla_state,
             str(comments[-1].pk if comments else 0), str(len(comments)),
             str(events[-1].pk if events else 0), str(len(events)),
             str(ticket.paged_at), str(ticket.paging_acked_at), *writers]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
