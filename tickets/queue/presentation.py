"""What a queue row says about its first-response clock (SPEC §5): pure functions of the
ticket's own fields, tested on their own."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from tickets.models import SlaState, Ticket
from tickets.presentation import format_duration


def time_left_text(seconds: int) -> str:
    """``in 25 min`` while the deadline is ahead; ``breached 2 h 40 min ago`` once it has
    passed (at the deadline itself the SLA is already breached, as in ``Ticket.sla_state``)."""
    if seconds > 0:
        return _("in %(duration)s") % {"duration": format_duration(seconds)}
    return _("breached %(duration)s ago") % {"duration": format_duration(seconds)}


@dataclass(frozen=True)
class Deadline:
    """What the queue shows about a row's first-response clock."""

    #: ``breached`` (red), ``at_risk`` (amber), ``on_track`` (green) or ``responded`` (grey).
    tone: str
    text: str
    #: The SLA state's label (for the tooltip and screen readers).
    state_label: str


def deadline_for(ticket: Ticket, now: datetime) -> Deadline:
    """The row's deadline text and colour. Pure: reads only the ticket's own fields."""
    state = SlaState(ticket.sla_state(now))
    if state == SlaState.MET:
        return Deadline("responded", _("responded"), str(state.label))
    if state == SlaState.MET_LATE:
        return Deadline("responded", _("responded late"), str(state.label))
    seconds = int((ticket.response_due_at - now).total_seconds())
    if state == SlaState.BREACHED and seconds > 0:
        # Flagged breached, then a severity change moved the deadline later: the breach
        # stays on record (SPEC §4), so the row stays red and says both.
        text = _("breached; now due in %(duration)s") % {"duration": format_duration(seconds)}
        return Deadline("breached", text, str(state.label))
    return Deadline(str(state.value), time_left_text(seconds), str(state.label))


@dataclass(frozen=True)
class UpdateDue:
    """What the queue shows about a row's update cadence (SPEC §12), beside the first-response
    clock."""

    #: ``overdue`` (red) or ``due`` (neutral).
    tone: str
    text: str


def update_due_for(ticket: Ticket, now: datetime) -> UpdateDue | None:
    """``update in 40 min``, or ``update overdue 5 min`` until the SLA job flags it; ``None``
    when no update is due. Pure: reads only the ticket's own fields."""
    if ticket.update_due_at is None:
        return None
    seconds = int((ticket.update_due_at - now).total_seconds())
    if seconds >= 0:
        return UpdateDue("due", _("update in %(duration)s") % {
            "duration": format_duration(seconds)})
    return UpdateDue("overdue", _("update overdue %(duration)s") % {
        "duration": format_duration(seconds)})
