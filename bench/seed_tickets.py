"""Seed data, part 2: tickets over the last 180 days with their comments and timeline events,
as rows for PostgreSQL ``COPY``, generated a chunk at a time. Deadlines come from the seeded SLA
policies; the shares of open, unanswered and breached tickets are fixed below.

Import only after ``django.setup()``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from accounts.models import Company
from sla import deadlines
from sla.models import SlaPolicy

#: Share of the open tickets still waiting for a first response.
UNANSWERED_SHARE = 0.25
#: Share of *all* tickets that breached their first-response target (SPEC §4).
BREACH_SHARE = 0.01
HISTORY_DAYS = 180

SEVERITY_WEIGHTS = {1: 5, 2: 20, 3: 45, 4: 30}
KIND_WEIGHTS = {"incident": 75, "service_request": 22, "signature_change": 3}
CHANNEL_WEIGHTS = {"portal": 60, "api": 15, "email": 15, "phone": 10}
PRODUCTS = [
    "Endpoint Security",
    "Mail Gateway",
    "Security Center",
    "File Server Protection",
    "Mobile Security",
    "Cloud Workload Protection",
]
VERSIONS = ["11.5", "12.0", "12.1", "12.2", "13.0"]
SUBJECTS = [
    "Servers crash after the latest update",
    "Quarantine fills the system disk",
    "Console shows a stale device list",
    "Licence count differs between two reports",
    "Mail gateway rejects signed messages",
    "Scheduled scan misses network shares",
    "Need an export of audit events",
    "Agent install fails on Windows Server 2025",
    "High CPU usage during real-time scanning",
    "False positive on an in-house build tool",
    "Update server returns HTTP 503",
    "Policy changes do not reach remote offices",
    "Cannot activate the new licence key",
    "Slow boot on VDI machines with the agent",
    "Detections missing from the weekly report",
    "Request: add a second administrator",
]
LOREM = (
    "Observed on several endpoints since this morning. The event log shows the service "
    "restarting every few minutes and users report that the machines become unresponsive. "
    "We rolled back one machine and the problem disappeared there. Logs from two affected "
    "hosts are available on request. Please advise on a workaround until a fix ships. "
)
REPLY_FIRST = (
    "Thanks for the report. We are reproducing it in our lab and will update you shortly."
)
REPLY_CUSTOMER = "Thanks. It happened again this morning on two more machines; logs attached."
REPLY_LAST = "We found the cause and a fix is scheduled; a workaround is in the knowledge base."
FOLLOW_UP_CUSTOMER = "Some more details: the problem started right after the last update."
NOTE_INTERNAL = "Looks like the known issue with the scanner driver; checking the build."
FOLLOW_UP_AGAIN = "Any news on this? It is affecting more users now."


class _Deadlines:
    """(plan, severity) → target and calendar, read from the seeded SLA policies."""

    def __init__(self) -> None:
        self.policies: dict[tuple[int, int], tuple[timedelta, deadlines.Calendar, float]] = {}
        for policy in SlaPolicy.objects.select_related("calendar"):
            calendar = policy.calendar.as_calendar([])
            self.policies[(policy.plan_id, policy.severity)] = (
                policy.target,
                calendar,
                policy.warning_percent / 100,
            )

    def target(self, plan_id: int, severity: int) -> timedelta:
        return self.policies[(plan_id, severity)][0]

    def due_and_warn(
        self, plan_id: int, severity: int, start: datetime
    ) -> tuple[datetime, datetime]:
        target, calendar, warn_share = self.policies[(plan_id, severity)]
        return (
            deadlines.deadline(start, target, calendar),
            deadlines.deadline(start, target * warn_share, calendar),
        )

    def after(self, plan_id: int, severity: int, start: datetime, share: float) -> datetime:
        """The instant ``share`` of the target's open time after ``start``."""
        target, calendar, _warn = self.policies[(plan_id, severity)]
        return deadlines.deadline(start, target * share, calendar)


def _weighted(rng: random.Random, weights: dict[Any, int], k: int) -> list[Any]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


TICKET_COLUMNS = [
    "id",
    "company_id",
    "requester_id",
    "subject",
    "description",
    "severity",
    "kind",
    "channel",
    "status",
    "assignee_id",
    "product",
    "product_version",
    "plan_id",
    "priority_tier",
    "created_at",
    "updated_at",
    "response_due_at",
    "response_warn_at",
    "first_response_at",
    "response_warned_at",
    "response_breached_at",
    "resolved_at",
    "closed_at",
]
COMMENT_COLUMNS = ["ticket_id", "author_id", "body", "internal", "created_at"]
EVENT_COLUMNS = [
    "ticket_id",
    "actor_id",
    "kind",
    "old_value",
    "new_value",
    "internal",
    "created_at",
]


Rows = list[tuple[Any, ...]]
#: Tickets generated (and copied) per chunk: memory stays flat at a million tickets.
CHUNK_TICKETS = 50_000
COMMENTS_PER_TICKET = 3


def build_tickets(
    rng: random.Random, now: datetime, total: int, open_count: int, accounts: dict[str, Any],
    counts: dict[str, int],
) -> Iterator[tuple[Rows, Rows, Rows]]:
    """Yields (tickets, comments, events) rows, CHUNK_TICKETS tickets at a time; fills
    ``counts`` as it goes."""
    sla = _Deadlines()
    companies: list[Company] = accounts["companies"]
    contacts: dict[int, dict[str, list[int]]] = accounts["contacts"]
    engineers: list[int] = accounts["engineers"]
    # Bigger (enhanced) customers file more tickets.
    company_weights = [3 if c.plan.code == "enhanced" else 1 for c in companies]

    open_count = min(open_count, total)
    unanswered = round(open_count * UNANSWERED_SHARE)
    answered_open = open_count - unanswered
    closed_count = total - open_count
    breach_budget = round(total * BREACH_SHARE)
    unanswered_breached = min(unanswered // 4, round(breach_budget * 0.4))
    answered_total = answered_open + closed_count
    late_share = max(0, breach_budget - unanswered_breached) / max(1, answered_total)

    # Kinds of ticket in id order: the oldest (closed) first, the open ones last.
    plan_kinds = (
        ["closed"] * closed_count
        + ["answered"] * answered_open
        + ["breached"] * unanswered_breached
        + ["waiting"] * (unanswered - unanswered_breached)
    )
    company_pick = rng.choices(companies, weights=company_weights, k=total)
    severities = _weighted(rng, SEVERITY_WEIGHTS, total)
    kinds = _weighted(rng, KIND_WEIGHTS, total)
    channels = _weighted(rng, CHANNEL_WEIGHTS, total)

    tickets: Rows = []
    comments: Rows = []
    events: Rows = []
    counts.update(breached=0, unanswered=unanswered, open=open_count)
    # Closed tickets spread over the history, oldest first, so ids grow with created_at.
    closed_ages = sorted((rng.uniform(2, HISTORY_DAYS) for _ in range(closed_count)), reverse=True)
    for i, what in enumerate(plan_kinds):
        pk = i + 1
        company = company_pick[i]
        plan_id, tier = company.plan_id, company.plan.priority_tier
        severity = severities[i]
        target = sla.target(plan_id, severity)
        people = contacts[company.pk]
        requester = rng.choice(people["all"] if what == "closed" else people["active"])
        first_response = warned = breached = resolved = closed = None
        assignee: int | None = rng.choice(engineers)
        status = "closed"

        if what == "closed":
            created = now - timedelta(days=closed_ages[i])
        elif what == "answered":
            # Open and answered: mostly recent, a long tail up to two months.
            age = min(timedelta(days=60), timedelta(days=rng.expovariate(1 / 8)))
            created = now - max(age, timedelta(hours=1))
            status = rng.choices(["open", "waiting_on_customer"], weights=[6, 4])[0]
        elif what == "breached":
            created = now - target * rng.uniform(1.1, 4.0) - timedelta(hours=rng.uniform(0, 72))
            status = rng.choices(["new", "open"], weights=[85, 15])[0]
            assignee = assignee if rng.random() < 0.4 else None
        else:  # waiting for a first response, deadline still ahead
            created = now - target * rng.uniform(0.0, 0.97)
            status = rng.choices(["new", "open"], weights=[85, 15])[0]
            assignee = assignee if rng.random() < 0.2 else None
        due, warn = sla.due_and_warn(plan_id, severity, created)

        if what == "breached":
            while due >= now:  # business hours can stretch the deadline past now
                created -= timedelta(days=1)
                due, warn = sla.due_and_warn(plan_id, severity, created)
            warned, breached = warn, due
        elif what == "waiting":
            warned = warn if warn <= now else None
        else:
            late = rng.random() < late_share
            if late:
                first_response = due + timedelta(minutes=rng.uniform(5, 240))
            else:
                first_response = sla.after(plan_id, severity, created, rng.uniform(0.05, 0.95))
            if first_response >= now:
                first_response = created + (now - created) * rng.uniform(0.1, 0.9)
                late = first_response > due
            if first_response > warn:
                warned = warn
            if late:
                breached = due
            if what == "closed":
                resolved = min(
                    first_response + timedelta(hours=rng.uniform(1, 240)), now - timedelta(hours=1)
                )
                if resolved < now - timedelta(days=7):
                    closed = resolved + timedelta(days=7)
                else:
                    status = "resolved"
        if breached is not None:
            counts["breached"] += 1
        updated = max(t for t in (created, first_response, resolved, closed) if t is not None)
        subject = rng.choice(SUBJECTS)
        tickets.append(
            (
                pk,
                company.pk,
                requester,
                subject,
                f"{subject}. {LOREM[: rng.randint(120, 600)]}",
                severity,
                kinds[i],
                channels[i],
                status,
                assignee,
                rng.choice(PRODUCTS),
                rng.choice(VERSIONS),
                plan_id,
                tier,
                created,
                updated,
                due,
                warn,
                first_response,
                warned,
                breached,
                resolved,
                closed,
            )
        )
        events.append((pk, requester, "created", "", "", False, created))
        if warned is not None:
            events.append((pk, None, "sla_warning", "", "", True, warned))
        if breached is not None and (first_response is None or breached < first_response):
            events.append((pk, None, "sla_breach", "", "", False, breached))
        if first_response is not None:
            # Three comments: the first response, the customer's answer, the engineer's reply.
            author = assignee or rng.choice(engineers)
            end = resolved or now
            later = first_response + (end - first_response) * rng.uniform(0.2, 0.5)
            last = later + (end - later) * rng.uniform(0.2, 0.9)
            comments.append((pk, author, REPLY_FIRST, False, first_response))
            comments.append((pk, requester, REPLY_CUSTOMER, False, later))
            comments.append((pk, author, REPLY_LAST, False, last))
            events.append((pk, author, "reply", "", "", False, first_response))
            events.append(
                (
                    pk,
                    author,
                    "first_response",
                    "",
                    "met_late" if breached else "met",
                    False,
                    first_response,
                )
            )
            events.append((pk, requester, "reply", "", "", False, later))
            events.append((pk, author, "reply", "", "", False, last))
        else:
            # Still waiting for a first response: two customer follow-ups and an internal
            # note (neither stops the SLA clock).
            span = now - created
            engineer = assignee or rng.choice(engineers)
            first, note, second = sorted(created + span * rng.uniform(0.05, 0.95)
                                         for _ in range(COMMENTS_PER_TICKET))
            comments.append((pk, requester, FOLLOW_UP_CUSTOMER, False, first))
            comments.append((pk, engineer, NOTE_INTERNAL, True, note))
            comments.append((pk, requester, FOLLOW_UP_AGAIN, False, second))
            events.append((pk, requester, "reply", "", "", False, first))
            events.append((pk, engineer, "note", "", "", True, note))
            events.append((pk, requester, "reply", "", "", False, second))
        if resolved is not None:
            events.append((pk, assignee, "status", "open", "resolved", False, resolved))
        if closed is not None:
            events.append((pk, None, "status", "resolved", "closed", False, closed))
        if len(tickets) >= CHUNK_TICKETS:
            yield tickets, comments, events
            tickets, comments, events = [], [], []
    if tickets:
        yield tickets, comments, events
