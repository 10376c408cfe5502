"""The month's tickets as CSV, one row per ticket filed in the month (SPEC §15), streamed.

The rows come from a server-side cursor (``QuerySet.iterator``) a chunk at a time and leave as
soon as they are written, so memory stays flat however many tickets the month has. Times are
ISO 8601 in the company's time zone, with their offset; codes (severity, status, SLA state)
stay codes, as in the API.
"""

import csv
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import Ticket

COLUMNS = (
    "number", "subject", "severity", "created", "due", "first_response", "sla_state",
    "updates_missed", "status", "resolved",
)
#: Rows fetched from the database cursor at a time, and written out together.
CHUNK = 2000
#: A cell a spreadsheet would run as a formula starts with one of these (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: The ticket fields a row needs (``Ticket.sla_state`` reads the last five).
FIELDS = ("id", "subject", "severity", "status", "created_at", "resolved_at", "updates_missed",
          "response_due_at", "response_warn_at", "first_response_at", "response_warned_at",
          "response_breached_at")


class _Lines:
    """A file that hands back what the csv writer writes to it."""

    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    """User-written text, defused for spreadsheets: a leading ``'`` keeps ``=HYPERLINK(…)`` a
    string."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _time(value: datetime | None, tz: ZoneInfo) -> str:
    return "" if value is None else timezone.localtime(value, tz).isoformat(timespec="seconds")


def ticket_row(ticket: Ticket, tz: ZoneInfo, now: datetime) -> list[object]:
    """One CSV row. ``updates_missed``: the update-cadence intervals (SPEC §12) that passed
    without a public staff update, so far."""
    return [
        ticket.number, _text(ticket.subject), ticket.severity, _time(ticket.created_at, tz),
        _time(ticket.response_due_at, tz), _time(ticket.first_response_at, tz),
        ticket.sla_state(now), ticket.updates_missed, ticket.status,
        _time(ticket.resolved_at, tz),
    ]


def csv_lines(tickets: QuerySet[Ticket], tz: ZoneInfo, now: datetime | None = None
              ) -> Iterator[str]:
    """The CSV text of ``tickets`` (a queryset of the month's tickets), header first, in chunks
    of ``CHUNK`` rows."""
    now = now or timezone.now()
    writer = csv.writer(_Lines())
    yield writer.writerow(COLUMNS)
    rows = tickets.only(*FIELDS).order_by("created_at", "pk").iterator(chunk_size=CHUNK)
    batch: list[str] = []
    for ticket in rows:
        batch.append(writer.writerow(ticket_row(ticket, tz, now)))
        if len(batch) >= CHUNK:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)
