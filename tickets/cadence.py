"""The update cadence (SPEC §12): when a ticket's next public staff update is due, and the
record of every interval met or missed. The one place for these rules:

* The cadence runs while a ticket is ``open`` and has had its first response. Its interval is
  the ``update_interval`` of the ticket's (plan, severity) SLA policy, measured in that
  policy's calendar (``sla.deadlines``: business hours, holidays and DST included); for a
  signature-change request it is ``SignaturePolicy.update_interval``, around the clock. No
  interval: no cadence.
* A public staff reply written by a person (never an automatic notice) is an update: it
  settles the interval it falls in and the next update is due one interval after it.
* An update at the due instant is on time; from the next instant the interval is missed. A
  missed interval is recorded once (``UpdateInterval``, unique per (ticket, due)) and the next
  update is due one interval after the missed due. The SLA job (``sla.updates``) flags them
  with notifications; a late update flags what the job has not flagged yet, without them.
* Waiting on the customer, resolved or closed: no update is due. Back to ``open`` (a customer
  reply, or staff) restarts the cadence from that moment; so does a severity change.

Functions that change a ticket take it locked (``select_for_update``) inside the caller's
transaction and leave saving it to the caller.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from sla import deadlines
from sla.policies import policy_for
from tickets.models import (
    EventKind,
    Kind,
    SignaturePolicy,
    Status,
    Ticket,
    TicketEvent,
    UpdateInterval,
)

#: At most this many missed intervals are recorded at once (a job stopped for weeks must not
#: write thousands of rows for one ticket in one go; the rest follow on the next run).
MAX_CATCH_UP = 200

Cadence = tuple[timedelta, deadlines.Calendar]


def cadence_for(ticket: Ticket) -> Cadence | None:
    """The ticket's update interval and its calendar, or ``None`` without a cadence."""
    if ticket.kind == Kind.SIGNATURE_CHANGE:
        interval = SignaturePolicy.current().update_interval
        return (interval, deadlines.ALWAYS) if interval else None
    try:
        policy = policy_for(ticket.plan_id, ticket.severity)
    except ValidationError:
        return None
    if not policy.update_interval:
        return None
    calendar = policy.calendar.as_calendar(list(policy.calendar.holidays.all()))
    return policy.update_interval, calendar


def runs(ticket: Ticket) -> bool:
    """Whether an update can be due at all: open, and answered. Pure."""
    return ticket.status == Status.OPEN and ticket.first_response_at is not None


def next_due(cadence: Cadence | None, start: datetime) -> datetime | None:
    return None if cadence is None else deadlines.deadline(start, *cadence)


def missed_dues(ticket: Ticket, now: datetime, cadence: Cadence | None
                ) -> tuple[list[datetime], datetime | None]:
    """The due instants before ``now`` that passed without an update, oldest first, and the
    due instant that follows them. Reads only its arguments."""
    missed: list[datetime] = []
    due = ticket.update_due_at
    while due is not None and due < now and len(missed) < MAX_CATCH_UP:
        missed.append(due)
        due = next_due(cadence, due)
    return missed, due


def missed_rows(ticket: Ticket, dues: list[datetime]
                ) -> tuple[list[UpdateInterval], list[TicketEvent]]:
    """The unsaved rows recording missed intervals: one ``UpdateInterval`` each (unique per
    ticket and due) and an ``update_overdue`` event at each due, oldest first."""
    return (
        [UpdateInterval(ticket=ticket, due_at=due, settled_at=due, on_time=False) for due in dues],
        [TicketEvent(ticket=ticket, kind=EventKind.UPDATE_OVERDUE, new_value=due.isoformat(),
                     created_at=due) for due in dues],
    )


def record_missed(ticket: Ticket, dues: list[datetime]) -> list[TicketEvent]:
    """The record of missed intervals (a second writer of the same interval fails on the
    unique constraint and rolls back) and their events."""
    intervals, events = missed_rows(ticket, dues)
    UpdateInterval.objects.bulk_create(intervals)
    return TicketEvent.objects.bulk_create(events)


def catch_up(ticket: Ticket, now: datetime) -> list[TicketEvent]:
    """Record the intervals missed before ``now`` that nobody has flagged yet (the job runs
    once a minute) and move the due on past them."""
    if ticket.update_due_at is None or ticket.update_due_at >= now:
        return []
    dues, following = missed_dues(ticket, now, cadence_for(ticket))
    events = record_missed(ticket, dues)
    ticket.updates_missed += len(dues)
    ticket.update_due_at = following
    return events


def restart(ticket: Ticket, now: datetime) -> None:
    """Start the cadence from ``now`` (or stop it, when the ticket is not open or unanswered).
    Call :func:`catch_up` first, with the terms in force until ``now``."""
    ticket.update_due_at = next_due(cadence_for(ticket), now) if runs(ticket) else None


def staff_update(ticket: Ticket, now: datetime) -> None:
    """A public staff update at ``now``: the interval it falls in is met, the next one starts."""
    catch_up(ticket, now)
    if ticket.update_due_at is not None:
        UpdateInterval.objects.create(ticket=ticket, due_at=ticket.update_due_at,
                                      settled_at=now, on_time=True)
    restart(ticket, now)

