"""The update cadence (SPEC §12): after the first response, the next public staff update is due
one interval after the last one; waiting on the customer pauses it; the SLA job flags every
missed interval exactly once, with an ``update_overdue`` event and notifications to the
assignee and the account's TAM. Time is moved with ``time_machine``; every boundary is checked
one second before, at and after.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Plan, Role
from sla.models import SlaCalendar, SlaPolicy
from sla.tasks import scan_sla
from sla.updates import due_for_update, flag_missed_updates
from tests.factories import CompanyFactory, ContactFactory, UserFactory, file_ticket
from tickets import services
from tickets.models import (
    EventKind,
    Notification,
    OutboundEmail,
    Status,
    Ticket,
    TicketEvent,
    UpdateInterval,
)

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def crew(db, reference_data):
    """The assignee and the account's TAM hear about a missed update; the other engineer and
    the expert do not."""
    tam = UserFactory(role=Role.TAM)
    assignee, other = UserFactory(role=Role.ENGINEER), UserFactory(role=Role.ENGINEER)
    company = CompanyFactory(tam=tam)
    contact = ContactFactory(company=company).user
    return {"tam": tam, "assignee": assignee, "other": other, "company": company,
            "contact": contact, "expert": UserFactory(role=Role.EXPERT)}


def at(when: datetime):
    return time_machine.travel(when, tick=False)


def answered(crew, *, severity: int = 1, filed: datetime = T0,
             replied: datetime = T0 + timedelta(minutes=10)) -> Ticket:
    """A ticket filed at ``filed`` and first answered by the assignee at ``replied``."""
    with at(filed):
        ticket = file_ticket(crew["contact"], severity=severity)
        services.ticket_change(ticket=ticket, actor=crew["assignee"], assignee=crew["assignee"])
    reply(crew, ticket, replied)
    return reload(ticket)


def reply(crew, ticket: Ticket, when: datetime, **kwargs) -> None:
    with at(when):
        services.comment_add(ticket=ticket, author=crew["assignee"], body="Working on it.",
                             **kwargs)


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def scan(when: datetime) -> int:
    with at(when):
        return flag_missed_updates()


def overdue_events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.UPDATE_OVERDUE)
                .order_by("created_at").values_list("new_value", flat=True))


# --- When the next update is due -------------------------------------------------------------


def test_it_is_due_one_interval_after_the_last_public_staff_reply(crew, api):
    with at(T0):
        ticket = file_ticket(crew["contact"], severity=1)
    assert ticket.update_due_at is None  # no cadence before the first response
    first = T0 + timedelta(minutes=10)
    reply(crew, ticket, first)
    ticket = reload(ticket)
    assert ticket.first_response_at == first
    assert ticket.update_due_at == first + HOUR  # enhanced, severity 1: every hour

    second = first + timedelta(minutes=40)
    reply(crew, ticket, second)
    ticket = reload(ticket)
    assert ticket.update_due_at == second + HOUR
    assert list(UpdateInterval.objects.filter(ticket=ticket).values_list(
        "due_at", "settled_at", "on_time")) == [(first + HOUR, second, True)]

    with at(second + timedelta(minutes=5)):
        data = api(crew["contact"]).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert data["update_due_at"] == (second + HOUR).isoformat().replace("+00:00", "Z")
    assert data["updates_missed"] == 0


@pytest.mark.parametrize(("plan", "severity", "interval"), [
    ("enhanced", 1, timedelta(hours=1)),
    ("enhanced", 2, timedelta(hours=4)),
    ("enhanced", 3, timedelta(hours=24)),
    ("enhanced", 4, None),
    ("standard", 1, None),
])
def test_the_seeded_intervals_are_data(db, reference_data, plan, severity, interval):
    policy = SlaPolicy.objects.get(plan__code=plan, severity=severity)
    assert policy.update_interval == interval


def test_automatic_notices_and_internal_notes_are_not_updates(crew):
    with at(T0):
        ticket = file_ticket(crew["contact"], severity=1)
    reply(crew, ticket, T0 + timedelta(minutes=5), automatic=True)
    ticket = reload(ticket)
    assert ticket.first_response_at is None  # a templated notice is no answer (SPEC §4)
    assert ticket.update_due_at is None

    reply(crew, ticket, T0 + timedelta(minutes=10))
    due = reload(ticket).update_due_at
    assert due == T0 + timedelta(minutes=70)
    reply(crew, ticket, T0 + timedelta(minutes=30), automatic=True)
    reply(crew, ticket, T0 + timedelta(minutes=40), internal=True)
    assert reload(ticket).update_due_at == due
    assert not UpdateInterval.objects.filter(ticket=ticket).exists()


def test_no_cadence_without_an_interval(crew):
    four = answered(crew, severity=4)
    assert four.first_response_at is not None
    assert four.update_due_at is None
    standard = CompanyFactory(license="standard", plan=Plan.objects.get(code="standard"))
    crew["contact"] = ContactFactory(company=standard).user
    assert answered(crew, severity=1).update_due_at is None


# --- Flagged once per missed interval ------------------------------------------------------------


def test_it_flags_each_missed_interval_once_at_the_boundaries(crew):
    ticket = answered(crew)  # first reply at 10:10: due 11:10
    due = T0 + timedelta(minutes=70)
    assert ticket.update_due_at == due

    assert scan(due - SECOND) == 0
    assert scan(due) == 0  # an update at the due instant is still on time
    assert reload(ticket).updates_missed == 0
    assert scan(due + SECOND) == 1
    assert scan(due + SECOND) == 0  # the same run again: nothing
    ticket = reload(ticket)
    assert ticket.updates_missed == 1
    assert ticket.update_due_at == due + HOUR  # the next is due an interval after the missed one
    assert overdue_events(ticket) == [due.isoformat()]
    notified = set(Notification.objects.filter(ticket=ticket, event__kind=EventKind.UPDATE_OVERDUE)
                   .values_list("user_id", flat=True))
    assert notified == {crew["assignee"].pk, crew["tam"].pk}
    emailed = set(OutboundEmail.objects.filter(ticket=ticket, event__kind=EventKind.UPDATE_OVERDUE)
                  .values_list("to", flat=True))
    assert emailed == {crew["assignee"].email, crew["tam"].email}

    # A job that stopped for three hours flags each interval it missed, once, and notifies once.
    later = due + 4 * HOUR + SECOND
    assert scan(later) == 1
    assert scan(later) == 0
    ticket = reload(ticket)
    assert ticket.updates_missed == 5
    assert ticket.update_due_at == due + 5 * HOUR
    assert overdue_events(ticket) == [(due + n * HOUR).isoformat() for n in range(5)]
    assert Notification.objects.filter(ticket=ticket,
                                       event__kind=EventKind.UPDATE_OVERDUE).count() == 4
    assert UpdateInterval.objects.filter(ticket=ticket, on_time=False).count() == 5


def test_the_beat_task_runs_it_with_the_sla_scan(crew):
    ticket = answered(crew)
    with at(ticket.update_due_at + SECOND):
        assert scan_sla() == {"warnings": 0, "breaches": 0, "updates_missed": 1}
    assert reload(ticket).updates_missed == 1


def test_a_late_update_the_job_has_not_flagged_yet_still_counts_as_missed(crew):
    ticket = answered(crew)
    due = ticket.update_due_at
    reply(crew, ticket, due + timedelta(seconds=30))
    ticket = reload(ticket)
    assert ticket.updates_missed == 1
    assert overdue_events(ticket) == [due.isoformat()]
    # Nobody is nagged about an update that was given meanwhile.
    assert not Notification.objects.filter(event__kind=EventKind.UPDATE_OVERDUE).exists()
    assert ticket.update_due_at == due + timedelta(seconds=30) + HOUR
    assert scan(due + HOUR) == 0


@pytest.mark.django_db(transaction=True)
def test_two_scans_racing_flag_each_interval_once(crew, caplog):
    tickets = [answered(crew) for _ in range(20)]
    now = tickets[0].update_due_at + SECOND
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(flag_missed_updates(now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with caplog.at_level(logging.ERROR, logger="sla.updates"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert sum(results) == 20, results
    assert [r.getMessage() for r in caplog.records if r.name == "sla.updates"] == []
    for ticket in tickets:
        ticket = reload(ticket)
        assert ticket.updates_missed == 1
        assert len(overdue_events(ticket)) == 1
        assert Notification.objects.filter(ticket=ticket,
                                           event__kind=EventKind.UPDATE_OVERDUE).count() == 2


def test_the_due_query_reads_the_partial_index(crew):
    """Among 20,000 tickets, the few with an update due are read from the small index."""
    company, requester = crew["company"], crew["contact"]
    rows = [Ticket(company=company, plan=company.plan, requester=requester, subject="s",
                   description="d", severity=2, created_at=T0 - timedelta(days=30),
                   response_due_at=T0, response_warn_at=T0, first_response_at=T0,
                   status=Status.OPEN if i % 1000 == 0 else Status.CLOSED,
                   update_due_at=T0 + timedelta(minutes=i // 1000) if i % 1000 == 0 else None)
            for i in range(20_000)]
    Ticket.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    assert len(list(due_for_update(T0 + HOUR))) == 20
    plan = due_for_update(T0 + HOUR).explain()
    print(plan)
    assert "Seq Scan on tickets_ticket" not in plan
    assert "ticket_update_due" in plan, plan


# --- Paused while waiting on the customer -------------------------------------------------------


def test_waiting_on_the_customer_pauses_it_and_their_reply_restarts_it(crew):
    ticket = answered(crew)  # due 11:10
    with at(T0 + timedelta(minutes=40)):
        services.ticket_change(ticket=ticket, actor=crew["assignee"],
                               status=Status.WAITING_ON_CUSTOMER)
    assert reload(ticket).update_due_at is None
    assert scan(T0 + 5 * HOUR) == 0

    back = T0 + 6 * HOUR
    with at(back):
        services.comment_add(ticket=ticket, author=crew["contact"], body="Here are the logs.")
    ticket = reload(ticket)
    assert ticket.status == Status.OPEN
    assert ticket.update_due_at == back + HOUR  # restarted from the customer's reply
    assert scan(back + HOUR) == 0
    assert scan(back + HOUR + SECOND) == 1
    assert reload(ticket).updates_missed == 1


def test_a_customer_reply_while_open_does_not_move_it(crew):
    ticket = answered(crew)
    due = ticket.update_due_at
    with at(T0 + timedelta(minutes=30)):
        services.comment_add(ticket=ticket, author=crew["contact"], body="Any news?")
    assert reload(ticket).update_due_at == due


def test_resolving_stops_it_and_a_missed_interval_before_stays_on_record(crew):
    ticket = answered(crew)
    due = ticket.update_due_at
    with at(due + timedelta(minutes=5)):  # the job has not run: the miss is recorded now
        services.ticket_change(ticket=ticket, actor=crew["assignee"], status=Status.RESOLVED)
    ticket = reload(ticket)
    assert ticket.update_due_at is None
    assert ticket.updates_missed == 1
    assert scan(due + 10 * HOUR) == 0


def test_a_severity_change_restarts_it_with_the_new_interval(crew):
    ticket = answered(crew, severity=3)  # every 24 hours
    assert ticket.update_due_at == T0 + timedelta(minutes=10, hours=24)
    raised = T0 + 2 * HOUR
    with at(raised):
        services.ticket_change(ticket=ticket, actor=crew["assignee"], severity=1)
    assert reload(ticket).update_due_at == raised + HOUR
    with at(raised + HOUR):
        services.ticket_change(ticket=ticket, actor=crew["assignee"], severity=4)
    assert reload(ticket).update_due_at is None  # severity 4: no cadence


# --- Calendars ------------------------------------------------------------------------------------


def test_a_business_hours_calendar_counts_only_open_time_across_a_dst_change(crew):
    berlin = SlaCalendar.objects.create(
        name="Berlin office", timezone="Europe/Berlin",
        weekly_hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    SlaPolicy.objects.filter(plan__code="enhanced", severity=2).update(calendar=berlin)
    # Friday 27 March 2026, 16:00 CET: two open hours left that day; Europe switches to summer
    # time that Sunday, so Monday opens at 09:00 CEST = 07:00 UTC.
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    ticket = answered(crew, severity=2, filed=friday - timedelta(minutes=30), replied=friday)
    due = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # Monday 11:00 CEST: 2 h + 2 h of open time
    assert ticket.update_due_at == due
    assert scan(datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == 0  # the weekend does not count
    assert scan(due - SECOND) == 0
    assert scan(due) == 0
    assert scan(due + SECOND) == 1
    # The next interval is four more open hours: Monday 15:00 CEST.
    assert reload(ticket).update_due_at == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)


def test_around_the_clock_intervals_are_real_time_across_a_dst_change(crew):
    # Saturday 28 March 2026, 12:00 in Berlin (CET, 11:00 UTC); every 24 hours (severity 3).
    saturday = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    ticket = answered(crew, severity=3, filed=saturday - HOUR, replied=saturday)
    # 24 real hours later: Sunday 13:00 CEST on the clock, 11:00 UTC.
    assert ticket.update_due_at == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)


# --- Figures: the dashboard, the monthly review, the CSV, the queue ---------------------------


def test_update_compliance_agrees_on_the_dashboard_and_the_review(crew, api):
    from datetime import date

    from tickets.reports.selectors import month_report
    from tickets.tam.dashboards import dashboard_for

    ticket = answered(crew)  # due 11:10
    reply(crew, ticket, T0 + timedelta(minutes=50))  # on time; next due 11:50
    assert scan(T0 + timedelta(hours=1, minutes=51)) == 1  # missed; next due 12:50
    later = T0 + timedelta(days=1)
    dashboard = dashboard_for(crew["company"], later)
    assert (dashboard.update_compliance_30d, dashboard.updates_due_30d) == (50.0, 2)
    assert dashboard.update_compliance_90d == 50.0
    review = month_report(crew["company"], date(2026, 11, 1), later)
    assert review.update_compliance == 50.0
    with at(later):
        data = api(crew["tam"]).get(f"/api/v1/companies/{crew['company'].pk}/dashboard/").json()
        csv = b"".join(api(crew["tam"]).get(
            f"/api/v1/companies/{crew['company'].pk}/report/?month=2026-11&format=csv"
        ).streaming_content).decode().splitlines()
    assert data["update_compliance_30d"] == 50.0
    header, row = csv[0].split(","), csv[1].split(",")
    assert row[header.index("updates_missed")] == "1"


def test_the_queue_shows_the_next_update_beside_the_first_response_clock(client, crew):
    ticket = answered(crew)
    client.force_login(crew["assignee"])
    with at(T0 + timedelta(minutes=30)):
        html = client.get("/queue/").content.decode()
    row = html.split(f'data-ticket="{ticket.pk}"')[1].split("</tr>")[0]
    assert "responded" in row
    assert "update in 40 min" in row
    with at(T0 + timedelta(minutes=71)):
        row = client.get("/queue/").content.decode().split(
            f'data-ticket="{ticket.pk}"')[1].split("</tr>")[0]
    assert "update overdue 1 min" in row
    scan(T0 + timedelta(minutes=71))
    with at(T0 + timedelta(minutes=72)):
        row = client.get("/queue/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode().split(
            f'data-ticket="{ticket.pk}"')[1].split("</tr>")[0]
    assert "atualização em 58 min" in row
    assert "1 perdida" in row


def test_the_ticket_page_says_when_the_next_update_is_due(client, crew):
    ticket = answered(crew)
    scan(ticket.update_due_at + SECOND)
    client.force_login(crew["contact"])
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Next update due" in html
    assert "Updates missed" in html
    timeline = html.split('id="timeline-heading"')[1].split("</section>")[0]
    assert "Update overdue" in timeline


def test_the_queue_costs_the_same_queries_with_update_clocks(client, crew):
    client.force_login(crew["assignee"])
    for _ in range(3):
        answered(crew)
    with at(T0 + timedelta(minutes=30)):
        client.get("/queue/")  # warm: the session's first request may do more
        with CaptureQueriesContext(connection) as few:
            assert client.get("/queue/").status_code == 200
    for _ in range(12):
        answered(crew)
    with at(T0 + timedelta(minutes=30)), CaptureQueriesContext(connection) as many:
        html = client.get("/queue/").content.decode()
    assert html.count("update in 40 min") == 15
    assert len(many) == len(few), "a queue row costs a query of its own"


def test_a_batch_of_missed_updates_costs_the_same_queries_for_3_tickets_as_for_12(crew):
    """Set-based: one claim and one INSERT each of intervals, events, bells and e-mails per
    batch, whatever the number of its tickets."""
    groups = [[answered(crew) for _ in range(n)] for n in (1, 3, 12)]
    Ticket.objects.update(update_due_at=T0 + timedelta(days=1))  # each group made due in turn
    due = T0 + timedelta(minutes=70)
    counts = []
    for minutes, group in enumerate(groups):
        when = due + timedelta(minutes=minutes) + SECOND
        Ticket.objects.filter(pk__in=[t.pk for t in group]).update(
            update_due_at=when - SECOND)
        with at(when), CaptureQueriesContext(connection) as queries:
            assert flag_missed_updates() == len(group)
        counts.append(len([q for q in queries.captured_queries
                           if "SAVEPOINT" not in q["sql"].split(" ", 2)[:2]]))
    # The first run also reads the policy (plan and severity) and its calendar; then: the due
    # ids, the tickets, the claim, four INSERTs.
    assert counts[1] == counts[2] <= 9, counts
    for ticket in groups[2]:
        assert reload(ticket).updates_missed == 1
        assert Notification.objects.filter(ticket=ticket,
                                           event__kind=EventKind.UPDATE_OVERDUE).count() == 2
        assert OutboundEmail.objects.filter(ticket=ticket,
                                            event__kind=EventKind.UPDATE_OVERDUE).count() == 2
