"""A few months of past tickets for the demo accounts, so the dashboards' trends and the monthly
service reviews have something to show from the first start.

History is written as history: rows with their past times (tickets, the public first reply,
the timeline, signature requests with their releases, the TAM's notes), as an import would,
not replayed through the services, so no e-mail or notification is sent for events months old.
The deadlines still come from the plan's SLA policies (``sla.policies``). Deterministic: the
same company gets the same history.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Company, ProactiveNote, User
from sla.policies import policy_for, response_deadlines
from tickets.models import (
    Comment,
    DatabaseRelease,
    EventKind,
    Kind,
    SignatureRequest,
    SignatureStatus,
    SignatureType,
    Status,
    Ticket,
    TicketEvent,
    VerificationState,
)

#: Tickets a month and the share answered in time, per demo account.
VOLUME = {"Northwind Bank": (42, 0.86), "Contoso Health": (18, 0.92),
          "Fabrikam Retail": (8, 0.8)}
MONTHS_BACK = 4
#: The newest history ends here; the demo's live tickets (seed_demo) are younger.
RECENT = timedelta(days=4)

SUBJECTS = [
    "Scheduled scan misses files on mapped drives",
    "Update agent stuck at 97 %",
    "Console login slow after upgrade",
    "False alarm on the payroll export tool",
    "Quarantine report shows wrong host names",
    "Mail gateway delays outbound messages",
    "Policy not applied to new laptops",
    "High CPU during full scan on file servers",
    "License usage report differs from the console",
    "Web filter blocks the partner portal",
    "Agent uninstall asks for a password we never set",
    "Request: export of last quarter's detections",
]
SEVERITY_WEIGHTS = {1: 8, 2: 25, 3: 42, 4: 25}
PRODUCTS = ["Endpoint Security", "Mail Gateway", "Security Center", "File Server Protection"]
NOTES = [
    ("Quarterly check-in booked", "We agreed to review the rollout of version 12.1 to the "
     "branch offices at the next check-in.", True),
    ("Scan schedule recommendation", "Moving the weekly full scan of the file servers to "
     "Sunday night would remove most of the CPU alerts seen this month.", True),
    ("Renewal conversation", "Budget owner changes in January; start the renewal early.", False),
]


def seed_history(company: Company, *, engineers: list[User], expert: User,
                 now: datetime | None = None) -> None:
    """``MONTHS_BACK`` months of answered and resolved tickets for ``company`` (nothing for an
    account the demo does not list), its signature requests and notes."""
    if company.name not in VOLUME:
        return
    now = now or timezone.now()
    rng = random.Random(f"history-{company.name}")
    per_month, in_time_share = VOLUME[company.name]
    contacts = [c.user for c in company.contacts.filter(is_active=True).select_related("user")]
    start = now - timedelta(days=30 * MONTHS_BACK + 10)
    Company.objects.filter(pk=company.pk).update(created_at=start - timedelta(days=30))
    span = (now - RECENT - start).total_seconds()
    count = round(per_month * span / (30 * 86400))
    policies = {s: policy_for(company.plan_id, s) for s in SEVERITY_WEIGHTS}
    created = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    for i, filed in enumerate(created):
        severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        due, warn = response_deadlines(policies[severity], filed)
        allowed = due - filed
        if rng.random() < in_time_share:
            answered = filed + allowed * rng.uniform(0.15, 0.95)
        else:
            answered = due + allowed * rng.uniform(0.1, 1.2)
        _ticket(company, rng, contacts[i % len(contacts)], engineers[i % len(engineers)], severity,
                filed, due, warn, answered, now, subject=SUBJECTS[i % len(SUBJECTS)])
    if company.tam is not None:
        _signature_requests(company, rng, contacts, expert, start, now)
        for month_back in range(MONTHS_BACK):
            title, body, shared = NOTES[month_back % len(NOTES)]
            ProactiveNote.objects.create(
                company=company, author=company.tam, title=title, body=body, shared=shared,
                created_at=now - timedelta(days=30 * month_back + rng.uniform(8, 20)))


def _ticket(company: Company, rng: random.Random, requester: User, engineer: User,
            severity: int, filed: datetime, due: datetime, warn: datetime,
            answered: datetime, now: datetime, *, subject: str,
            kind: str = Kind.INCIDENT, product: str = "", product_version: str = "") -> Ticket:
    late = answered > due
    resolved = answered + timedelta(hours=rng.uniform(2, 96))
    closed = resolved + timedelta(days=7) if resolved + timedelta(days=7) < now else None
    ticket = Ticket.objects.create(
        company=company, requester=requester, subject=subject, severity=severity, kind=kind,
        description=f"{subject}. Seen on several machines; logs attached to the first reply.",
        product=product or rng.choice(PRODUCTS),
        product_version=product_version or rng.choice(["12.0", "12.1", "11.5"]),
        channel=rng.choice(["portal", "portal", "api", "email", "phone"]), plan=company.plan,
        priority_tier=company.plan.priority_tier, status=Status.CLOSED if closed else
        Status.RESOLVED, assignee=engineer, created_at=filed, response_due_at=due,
        response_warn_at=warn, first_response_at=answered,
        response_warned_at=warn if answered > warn else None,
        response_breached_at=due if late else None, resolved_at=resolved, closed_at=closed,
    )
    Comment.objects.create(ticket=ticket, author=engineer, created_at=answered,
                           body="Thanks for the details. We reproduced it and are on it.")
    events = [
        TicketEvent(ticket=ticket, kind=EventKind.CREATED, actor=requester,
                    new_value=ticket.channel, created_at=filed),
        TicketEvent(ticket=ticket, kind=EventKind.REPLY, actor=engineer, created_at=answered),
        TicketEvent(ticket=ticket, kind=EventKind.FIRST_RESPONSE, actor=engineer,
                    old_value=due.isoformat(), new_value="met_late" if late else "met",
                    created_at=answered),
        TicketEvent(ticket=ticket, kind=EventKind.STATUS, actor=engineer, old_value="open",
                    new_value="resolved", created_at=resolved),
    ]
    if late:
        events.append(TicketEvent(ticket=ticket, kind=EventKind.SLA_BREACH,
                                  new_value=due.isoformat(), created_at=due))
    if closed:
        events.append(TicketEvent(ticket=ticket, kind=EventKind.STATUS, actor=engineer,
                                  old_value="resolved", new_value="closed", created_at=closed))
    TicketEvent.objects.bulk_create(events)
    return ticket


def _signature_requests(company: Company, rng: random.Random, contacts: list[User],
                        expert: User, start: datetime, now: datetime) -> None:
    """Two or three signature-change requests a month, most fixed in an expedited release."""
    policy = policy_for(company.plan_id, 2)
    filed = start + timedelta(days=rng.uniform(2, 9))
    number = 0
    while filed < now - timedelta(days=6):
        number += 1
        due, warn = response_deadlines(policy, filed)
        answered = filed + (due - filed) * rng.uniform(0.2, 0.8)
        kind = rng.choice([SignatureType.FALSE_POSITIVE, SignatureType.FALSE_NEGATIVE])
        ticket = _ticket(company, rng, rng.choice(contacts), expert, 2, filed, due, warn,
                         answered, now, kind=Kind.SIGNATURE_CHANGE,
                         subject=f"{SignatureType(kind).label}: Endpoint Security 12.1",
                         product="Endpoint Security", product_version="12.1")
        decided = answered + timedelta(hours=rng.uniform(3, 40))
        released = rng.random() < 0.8
        release = None
        if released:
            release = DatabaseRelease.objects.create(
                version=f"{decided:%Y.%m.%d}.{company.pk}{number:02d}", released_at=decided,
                expedited=True, created_by=expert)
        SignatureRequest.objects.create(
            ticket=ticket, type=kind, database_version=f"{filed:%Y.%m.%d}.01",
            sha256=f"{rng.getrandbits(256):064x}", analysis_started_at=answered,
            status=SignatureStatus.RELEASED if released else SignatureStatus.REJECTED,
            release=release, decided_at=decided, customer_informed_at=decided,
            rejection_reason="" if released else "The detection is correct: the file is a "
            "repackaged remote-access tool.", created_at=filed,
            verification_state=VerificationState.FIXED if released else "",
            verification_at=decided + timedelta(hours=20) if released else None)
        outcome = SignatureStatus.RELEASED if released else SignatureStatus.REJECTED
        TicketEvent.objects.bulk_create([
            TicketEvent(ticket=ticket, kind=EventKind.SIGNATURE, actor=ticket.requester,
                        new_value=SignatureStatus.RECEIVED, created_at=filed),
            TicketEvent(ticket=ticket, kind=EventKind.SIGNATURE, actor=expert,
                        old_value=SignatureStatus.RECEIVED, new_value=SignatureStatus.IN_ANALYSIS,
                        created_at=answered),
            TicketEvent(ticket=ticket, kind=EventKind.SIGNATURE, actor=expert,
                        old_value=SignatureStatus.IN_ANALYSIS, new_value=outcome,
                        created_at=decided),
        ])
        filed += timedelta(days=rng.uniform(8, 16))
