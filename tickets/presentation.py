"""Presentation helpers of the ticket pages, pure and shared by every feature package: spans of
time as people read them, and the merged timeline of a ticket (comments and events with their
values in words, never raw codes)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from support_portal.kernel import dates
from tickets.models import (
    Channel,
    Comment,
    EventKind,
    Severity,
    SignatureStatus,
    SlaState,
    Status,
    TicketEvent,
    VerificationState,
)


def format_duration(seconds: int) -> str:
    """A span of time as an engineer reads it at a glance: ``25 min``, ``3 h 10 min``,
    ``2 days 4 h``; below a minute, ``less than 1 min``. Rounds down (the sign is ignored),
    so "in 24 min" never promises more time than is left."""
    minutes_total = abs(seconds) // 60
    if minutes_total < 1:
        return _("less than 1 min")
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day_text = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hour_text = ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    minute_text = ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if days:
        # Past a day the minutes are noise.
        return f"{day_text} {hour_text}" if hours else day_text
    if hours:
        return f"{hour_text} {minute_text}" if minutes else hour_text
    return minute_text


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a comment, or an event with its values ready to show."""

    at: datetime
    comment: Comment | None = None
    event: TicketEvent | None = None
    old: str = ""
    new: str = ""
    note: str = ""
    sla: bool = False


#: Events the timeline shows through their comment instead.
_SHOWN_AS_COMMENT = {EventKind.REPLY, EventKind.NOTE}
_SLA_EVENTS = {EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.FIRST_RESPONSE,
               EventKind.DEADLINE, EventKind.UPDATE_OVERDUE}


def _when(value: str) -> str:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(at):
        return value
    return dates.local(at, "timeline")


def _label(choices: Any, value: str) -> str:
    if not value:
        return ""
    try:
        return str(choices(int(value) if choices is Severity else value).label)
    except ValueError:
        return value


def _paging_note(kind: str, old: str, new: str) -> tuple[str, str]:
    """(new, note) of a paging event (SPEC §11): the level paged and why, or how a page was
    acknowledged."""
    if kind == EventKind.PAGED:
        reasons = {"filed": _("severity-1 request filed"), "severity": _("raised to severity 1"),
                   "sla_warning": _("SLA warning, nobody assigned"),
                   "escalation": _("not acknowledged in time")}
        level = _("everyone") if new == "3" else _("level %(level)s") % {"level": new}
        return level, reasons.get(old, old)
    ways = {"api": _("through the API"), "link": _("with the e-mail's link"),
            "take": _("by taking the ticket"), "reply": _("by the first reply")}
    return "", ways.get(new, new)


def _event_entry(event: TicketEvent) -> Entry:
    kind, old, new, note = event.kind, event.old_value, event.new_value, ""
    if kind in (EventKind.STATUS, EventKind.REOPENED):
        old, new = _label(Status, old), _label(Status, new)
    elif kind == EventKind.SIGNATURE:
        old = _label(SignatureStatus, old) if old else ""
        new = _label(SignatureStatus, new)
    elif kind == EventKind.SEVERITY:
        old, new = _label(Severity, old), _label(Severity, new)
    elif kind == EventKind.CREATED:
        new = _label(Channel, new)
    elif kind == EventKind.DEADLINE:
        old, new = _when(old), _when(new)
    elif kind == EventKind.FIRST_RESPONSE:
        note = _("due %(at)s") % {"at": _when(old)} if old else ""
        old, new = "", _label(SlaState, new)
    elif kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH):
        note = _("deadline %(at)s") % {"at": _when(new)} if new else ""
        old = new = ""
    elif kind == EventKind.UPDATE_OVERDUE:
        note = _("an update was due %(at)s") % {"at": _when(new)}
        old = new = ""
    elif kind == EventKind.VERIFICATION:
        old, new = _label(VerificationState, old), _label(VerificationState, new)
    elif kind in (EventKind.PAGED, EventKind.PAGE_ACKNOWLEDGED):
        new, note = _paging_note(kind, old, new)
        old = ""
    return Entry(at=event.created_at, event=event, old=old, new=new, note=note,
                 sla=kind in _SLA_EVENTS)


def timeline(comments: list[Comment], events: list[TicketEvent]) -> list[Entry]:
    """Comments and events in one chronological list; at the same instant a comment comes
    before the events it caused (first response, status change)."""
    entries = [(c.created_at, 0, c.pk, Entry(at=c.created_at, comment=c)) for c in comments]
    entries += [(e.created_at, 1, e.pk, _event_entry(e)) for e in events
                if e.kind not in _SHOWN_AS_COMMENT]
    return [entry for *_key, entry in sorted(entries, key=lambda item: item[:3])]
