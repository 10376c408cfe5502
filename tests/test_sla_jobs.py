"""The SLA breach/warning jobs (SPEC §4): exactly once under concurrency, re-runs and crashes,
and their queries answered from the partial indexes.

The ``reference_data`` fixture (tests/conftest.py) puts back the seeded plans and SLA policies
that a transactional test's final flush empties.
"""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import sla.jobs
from accounts.models import Role
from sla.jobs import due_for_breach, due_for_warning, flag_breaches, flag_warnings, scan
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tickets.models import EventKind, Notification, OutboundEmail, Status, Ticket, TicketEvent
from tickets.services import ticket_create

# --- People and tickets --------------------------------------------------------------------------


@pytest.fixture
def crew(db, reference_data):
    """Who hears about an SLA event: two engineers (one assigned), the TAM. The expert does not."""
    tam = UserFactory(role=Role.TAM)
    engineers = [UserFactory(role=Role.ENGINEER) for _ in range(2)]
    expert = UserFactory(role=Role.EXPERT)
    company = CompanyFactory(tam=tam)
    contact = ContactFactory(company=company).user
    return {"tam": tam, "engineers": engineers, "assignee": engineers[0], "expert": expert,
            "company": company, "contact": contact,
            "recipients": {tam.pk, *(e.pk for e in engineers)}}


def file(crew, severity: int = 1) -> Ticket:
    ticket = ticket_create(requester=crew["contact"], subject="Scanner stops",
                           description="The on-access scanner stops.", severity=severity)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=crew["assignee"])
    ticket.refresh_from_db()
    return ticket


def make_due(tickets, ago: timedelta = timedelta(minutes=5)) -> None:
    now = timezone.now()
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        response_due_at=now - ago, response_warn_at=now - ago - timedelta(minutes=10)
    )


def sla_rows(kind: str) -> tuple[int, int, int]:
    """(events, notifications, e-mails) of one SLA event kind."""
    return (TicketEvent.objects.filter(kind=kind).count(),
            Notification.objects.filter(event__kind=kind).count(),
            OutboundEmail.objects.filter(event__kind=kind).count())


def assert_reported_once(ticket: Ticket, crew, kind: str = EventKind.SLA_BREACH) -> None:
    assert TicketEvent.objects.filter(ticket=ticket, kind=kind).count() == 1
    notified = list(Notification.objects.filter(ticket=ticket, event__kind=kind)
                    .values_list("user_id", flat=True))
    assert sorted(notified) == sorted(crew["recipients"])
    emailed = list(OutboundEmail.objects.filter(ticket=ticket, event__kind=kind)
                   .values_list("to", flat=True))
    users = [crew["tam"], *crew["engineers"]]
    assert sorted(emailed) == sorted(u.email for u in users)


# --- (a) Two workers at the same moment -----------------------------------------------------------

TICKETS = 50


@pytest.mark.django_db(transaction=True)
def test_it_flags_and_notifies_each_ticket_once_when_two_scans_race(crew, caplog):
    assert connection.vendor == "postgresql"
    tickets = [file(crew) for _ in range(TICKETS)]
    make_due(tickets)
    now = timezone.now()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            flagged = flag_breaches(now)
            with lock:
                results.append(flagged)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with caplog.at_level(logging.ERROR, logger="sla.jobs"):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    assert errors == []
    # The conditional claim decided, not a unique constraint failing in the loser's report.
    assert [r.getMessage() for r in caplog.records if r.name == "sla.jobs"] == []
    assert len(results) == 2
    assert sum(results) == TICKETS, results
    assert Ticket.objects.filter(response_breached_at__isnull=False).count() == TICKETS
    for ticket in tickets:
        assert_reported_once(ticket, crew)
    recipients = len(crew["recipients"])
    assert sla_rows(EventKind.SLA_BREACH) == (TICKETS, TICKETS * recipients, TICKETS * recipients)
    assert not Notification.objects.filter(user=crew["expert"]).exists()


# --- (b) Re-running -------------------------------------------------------------------------------


def test_it_flags_nothing_and_notifies_nobody_when_the_scan_runs_again(crew):
    due, warned, fresh = file(crew), file(crew, severity=4), file(crew)
    make_due([due])
    now = timezone.now()
    Ticket.objects.filter(pk=warned.pk).update(response_warn_at=now - timedelta(seconds=1))

    assert scan() == {"warnings": 1, "breaches": 1}
    counts = (Notification.objects.count(), OutboundEmail.objects.count(),
              TicketEvent.objects.count())
    assert scan() == {"warnings": 0, "breaches": 0}
    assert scan(timezone.now() + timedelta(seconds=30)) == {"warnings": 0, "breaches": 0}
    assert (Notification.objects.count(), OutboundEmail.objects.count(),
            TicketEvent.objects.count()) == counts
    assert_reported_once(due, crew)
    assert_reported_once(warned, crew, EventKind.SLA_WARNING)
    fresh.refresh_from_db()
    assert fresh.response_breached_at is None
    assert fresh.response_warned_at is None


# --- (c) A crash half-way -------------------------------------------------------------------------


def test_it_leaves_nothing_behind_when_notifying_crashes_and_flags_once_on_the_retry(
    crew, monkeypatch, caplog
):
    ticket = file(crew)
    make_due([ticket])
    real_notify = sla.jobs.notify
    calls = []

    def notify_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real_notify(*args, **kwargs)  # the rows are written, then the process "dies"
            raise RuntimeError("mail relay exploded")
        return real_notify(*args, **kwargs)

    monkeypatch.setattr(sla.jobs, "notify", notify_then_crash)
    with caplog.at_level(logging.ERROR, logger="sla.jobs"):
        assert flag_breaches() == 0
    assert "mail relay exploded" in caplog.text
    ticket.refresh_from_db()
    assert ticket.response_breached_at is None
    assert sla_rows(EventKind.SLA_BREACH) == (0, 0, 0)

    assert flag_breaches() == 1
    assert flag_breaches() == 0
    assert len(calls) == 2
    ticket.refresh_from_db()
    assert ticket.response_breached_at == ticket.response_due_at
    assert_reported_once(ticket, crew)


def test_it_still_flags_the_other_tickets_when_one_keeps_failing(crew, monkeypatch):
    """One ticket whose report always fails must not hold up every breach behind it."""
    poison, other = file(crew), file(crew)
    make_due([poison], ago=timedelta(hours=1))  # the oldest deadline: first in the batch
    make_due([other])
    real_notify = sla.jobs.notify

    def notify(*args, ticket, **kwargs):
        if ticket.pk == poison.pk:
            raise RuntimeError("cannot render this ticket")
        return real_notify(*args, ticket=ticket, **kwargs)

    monkeypatch.setattr(sla.jobs, "notify", notify)
    assert flag_breaches() == 1
    assert flag_breaches() == 0
    other.refresh_from_db()
    poison.refresh_from_db()
    assert other.response_breached_at is not None
    assert poison.response_breached_at is None
    assert_reported_once(other, crew)
    assert not TicketEvent.objects.filter(ticket=poison, kind=EventKind.SLA_BREACH).exists()

    monkeypatch.setattr(sla.jobs, "notify", real_notify)
    assert flag_breaches() == 1
    assert_reported_once(poison, crew)


# --- (d) The queries use the partial indexes ------------------------------------------------------

ROWS = 50_000
UNANSWERED = 20


def test_it_answers_the_due_queries_from_the_partial_indexes(crew):
    company, requester = crew["company"], crew["contact"]
    now = timezone.now()
    base = {"company": company, "plan": company.plan, "requester": requester, "subject": "s",
            "description": "d", "severity": 3}
    rows = []
    for i in range(ROWS):
        unanswered = i >= ROWS - UNANSWERED
        if unanswered:  # every 30 minutes over the last 10 hours: some warned, some due
            created = now - timedelta(minutes=30) * (i - (ROWS - UNANSWERED))
        else:
            created = now - timedelta(days=30) + timedelta(seconds=i * 40)
        rows.append(Ticket(
            **base, created_at=created,
            response_due_at=created + timedelta(hours=6),
            response_warn_at=created + timedelta(hours=4, minutes=30),
            status=Status.NEW if unanswered else Status.RESOLVED,
            first_response_at=None if unanswered else created + timedelta(minutes=20),
        ))
    Ticket.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        # Rolled-back inserts and updates of earlier tests leave dead entries in the partial
        # indexes (no autovacuum runs between tests), which can make the planner prefer the
        # other one; rebuilt, they are as lean as autovacuum keeps them in production.
        cursor.execute("REINDEX TABLE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticket")

    # Both queries have work to do, so the plans are not trivially empty.
    assert len(list(due_for_breach(now))) > 0
    assert len(list(due_for_warning(now))) > 0

    breach_plan = due_for_breach(now).explain()
    warning_plan = due_for_warning(now).explain()
    print("breach query plan:\n" + breach_plan)
    print("warning query plan:\n" + warning_plan)
    assert "Seq Scan on tickets_ticket" not in breach_plan
    assert any(f"{scan} on ticket_breach_due" in breach_plan or
               f"{scan} using ticket_breach_due" in breach_plan
               for scan in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"))
    assert "Seq Scan on tickets_ticket" not in warning_plan
    assert any(f"{scan} on ticket_warning_due" in warning_plan or
               f"{scan} using ticket_warning_due" in warning_plan
               for scan in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"))


# --- (e) The warning at 75 % ----------------------------------------------------------------------

SECOND = timedelta(seconds=1)


def test_it_warns_once_at_75_percent_and_not_for_a_ticket_already_due(crew):
    ticket = file(crew, severity=1)  # enhanced, severity 1: 30 minutes around the clock
    warn_at = ticket.created_at + timedelta(minutes=30) * 75 / 100
    assert ticket.response_warn_at == warn_at
    assert ticket.response_due_at == ticket.created_at + timedelta(minutes=30)

    assert flag_warnings(warn_at - SECOND) == 0
    ticket.refresh_from_db()
    assert ticket.response_warned_at is None
    assert flag_warnings(warn_at) == 1
    assert flag_warnings(warn_at + SECOND) == 0
    assert flag_warnings(ticket.response_due_at - SECOND) == 0
    ticket.refresh_from_db()
    assert ticket.response_warned_at == warn_at
    assert_reported_once(ticket, crew, EventKind.SLA_WARNING)

    late = file(crew, severity=1)
    after_due = late.response_due_at + timedelta(minutes=1)
    assert flag_warnings(after_due) == 0
    assert scan(after_due) == {"warnings": 0, "breaches": 2}
    assert not TicketEvent.objects.filter(ticket=late, kind=EventKind.SLA_WARNING).exists()
    assert_reported_once(late, crew)
    late.refresh_from_db()
    assert late.response_warned_at is None


# --- (f) Set-based: the queries of a batch do not grow with its tickets ---------------------------


def flag_counting(flag, **kwargs) -> tuple[int, list[str]]:
    """The statements a run sends, without the savepoints of its transactions (inside the
    test's own transaction each ``atomic`` block is a savepoint, in production a BEGIN)."""
    with CaptureQueriesContext(connection) as queries:
        flagged = flag(**kwargs)
    return flagged, [q["sql"] for q in queries.captured_queries
                     if "SAVEPOINT" not in q["sql"].split(" ", 2)[:2]]


@pytest.mark.parametrize("flag", [flag_breaches, flag_warnings])
def test_a_batch_costs_the_same_queries_for_3_tickets_as_for_12(crew, flag):
    few, many = [file(crew) for _ in range(3)], [file(crew) for _ in range(12)]
    now = timezone.now()

    def make_ready(tickets) -> None:
        if flag is flag_breaches:
            make_due(tickets)
        else:
            Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
                response_warn_at=now - timedelta(minutes=1))

    make_ready(few)
    flagged, small = flag_counting(flag)
    assert flagged == 3
    make_ready(many)
    flagged, big = flag_counting(flag)
    assert flagged == 12
    # The due ids; the claim (UPDATE … RETURNING); the claimed tickets with company, TAM and
    # assignee; one INSERT of events; the active engineers; one INSERT each of bells and
    # e-mails.
    assert len(small) == len(big) == 7, "\n".join(big)
    assert big[1].startswith("UPDATE")
    assert "RETURNING" in big[1]
    assert sum(q.startswith("INSERT") for q in big) == 3
    for ticket in many:
        assert_reported_once(ticket, crew, EventKind.SLA_BREACH if flag is flag_breaches
                             else EventKind.SLA_WARNING)

    # Batches of 5: three batches for 12 tickets, 7 queries each (the last due list is short).
    more = [file(crew) for _ in range(12)]
    make_ready(more)
    flagged, batched = flag_counting(flag, batch=5)
    assert flagged == 12
    assert len(batched) == 3 * 7, "\n".join(batched)


def test_a_failing_batch_is_retried_ticket_by_ticket_and_each_is_reported_once(
    crew, monkeypatch, caplog
):
    tickets = [file(crew) for _ in range(6)]
    poison = tickets[2]
    make_due(tickets)
    real_notify = sla.jobs.notify

    def notify(*args, ticket, **kwargs):
        if ticket.pk == poison.pk:
            raise RuntimeError("cannot render this ticket")
        return real_notify(*args, ticket=ticket, **kwargs)

    monkeypatch.setattr(sla.jobs, "notify", notify)
    with caplog.at_level(logging.WARNING, logger="sla.jobs"):
        assert flag_breaches() == 5
    assert "a batch of 6 failed" in caplog.text
    assert f"SLA breach for ticket {poison.pk} failed" in caplog.text
    assert sla_rows(EventKind.SLA_BREACH)[0] == 5
    for ticket in tickets:
        if ticket is not poison:
            assert_reported_once(ticket, crew)
    poison.refresh_from_db()
    assert poison.response_breached_at is None
