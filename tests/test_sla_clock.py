"""The response-time clock per severity, moved with time_machine (SPEC §4)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.jobs import flag_breaches, flag_warnings, scan
from tests.factories import file_ticket
from tickets import services
from tickets.models import EventKind, Notification, Ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ENHANCED = {1: timedelta(minutes=30), 2: timedelta(hours=4), 3: timedelta(hours=6),
            4: timedelta(hours=8)}
SECOND = timedelta(seconds=1)


def filed_at(when, requester, **kwargs) -> Ticket:
    with time_machine.travel(when, tick=False):
        return file_ticket(requester, **kwargs)


def events(ticket, kind) -> int:
    return ticket.events.filter(kind=kind).count()


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
def test_it_breaches_exactly_at_the_deadline_and_only_once(severity, contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=severity)
    due = T0 + ENHANCED[severity]
    assert ticket.response_due_at == due

    assert flag_breaches(due - SECOND) == 0
    ticket.refresh_from_db()
    assert ticket.response_breached_at is None
    assert ticket.sla_state(due - SECOND) == "at_risk"

    assert flag_breaches(due) == 1
    ticket.refresh_from_db()
    assert ticket.response_breached_at == due
    assert ticket.sla_state(due) == "breached"

    assert flag_breaches(due + SECOND) == 0
    assert flag_breaches(due + timedelta(hours=5)) == 0
    assert events(ticket, EventKind.SLA_BREACH) == 1
    assert Notification.objects.filter(user=engineer, ticket=ticket,
                                       event__kind="sla_breach").count() == 1


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
def test_it_warns_once_at_75_percent(severity, contact_a, tam):
    ticket = filed_at(T0, contact_a, severity=severity)
    warn = T0 + ENHANCED[severity] * 3 / 4
    assert flag_warnings(warn - SECOND) == 0
    assert ticket.sla_state(warn - SECOND) == "on_track"
    assert flag_warnings(warn) == 1
    assert flag_warnings(warn + SECOND) == 0
    ticket.refresh_from_db()
    assert ticket.response_warned_at == warn
    assert ticket.sla_state(warn) == "at_risk"
    assert events(ticket, EventKind.SLA_WARNING) == 1
    # The account's TAM hears about it (once; with nobody on call they are also paged, a
    # notification of its own: SPEC §11).
    assert Notification.objects.filter(user=tam, ticket=ticket,
                                       event__kind=EventKind.SLA_WARNING).count() == 1


def test_a_ticket_already_past_due_gets_the_breach_not_a_late_warning(contact_a):
    ticket = filed_at(T0, contact_a, severity=1)
    assert scan(T0 + timedelta(hours=1)) == {"warnings": 0, "breaches": 1}
    assert events(ticket, EventKind.SLA_WARNING) == 0
    assert events(ticket, EventKind.SLA_BREACH) == 1


def test_a_first_public_staff_reply_in_time_is_met_and_stops_the_clock(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=1)
    with time_machine.travel(T0 + timedelta(minutes=29, seconds=59), tick=False):
        services.comment_add(ticket=ticket, author=engineer, body="Looking at it now.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + timedelta(minutes=29, seconds=59)
    assert ticket.sla_state() == "met"
    assert flag_breaches(T0 + timedelta(days=1)) == 0
    assert events(ticket, EventKind.FIRST_RESPONSE) == 1


def test_a_reply_after_the_deadline_is_met_late_and_the_breach_stays(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=1)
    flag_breaches(T0 + timedelta(minutes=30))
    with time_machine.travel(T0 + timedelta(minutes=45), tick=False):
        services.comment_add(ticket=ticket, author=engineer, body="Sorry for the wait.")
    ticket.refresh_from_db()
    assert ticket.sla_state() == "met_late"
    assert ticket.response_breached_at == T0 + timedelta(minutes=30)
    assert ticket.events.get(kind=EventKind.FIRST_RESPONSE).new_value == "met_late"


def test_a_reply_exactly_at_the_deadline_is_met(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=2)
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        services.comment_add(ticket=ticket, author=engineer, body="On it.")
    ticket.refresh_from_db()
    assert ticket.sla_state() == "met"


@pytest.mark.parametrize("who", ["internal_note", "customer_comment", "acknowledgement"])
def test_only_a_public_staff_reply_counts_as_the_first_response(who, contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=1)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        if who == "internal_note":
            services.comment_add(ticket=ticket, author=engineer, body="note", internal=True)
        elif who == "customer_comment":
            services.comment_add(ticket=ticket, author=contact_a, body="any news?")
    ticket.refresh_from_db()
    # The acknowledgement e-mail was queued at filing; none of these stops the clock.
    assert ticket.first_response_at is None
    assert flag_breaches(T0 + timedelta(minutes=30)) == 1


def test_a_severity_change_before_the_response_recomputes_from_creation(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=4)
    assert ticket.response_due_at == T0 + timedelta(hours=8)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    ticket.refresh_from_db()
    assert ticket.response_due_at == T0 + timedelta(minutes=30)
    assert ticket.response_warn_at == T0 + timedelta(minutes=22, seconds=30)
    deadline = ticket.events.get(kind=EventKind.DEADLINE)
    assert deadline.old_value == (T0 + timedelta(hours=8)).isoformat()
    assert deadline.new_value == (T0 + timedelta(minutes=30)).isoformat()
    assert flag_breaches(T0 + timedelta(minutes=30) - SECOND) == 0
    assert flag_breaches(T0 + timedelta(minutes=30)) == 1


def test_a_severity_change_after_the_response_keeps_the_deadline(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=4)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        services.comment_add(ticket=ticket, author=engineer, body="Hello")
        services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    ticket.refresh_from_db()
    assert ticket.response_due_at == T0 + timedelta(hours=8)
    assert ticket.sla_state() == "met"


def test_a_resolved_ticket_without_a_reply_is_not_flagged(contact_a, engineer):
    ticket = filed_at(T0, contact_a, severity=1)
    services.ticket_change(ticket=ticket, actor=engineer, status="resolved")
    assert scan(T0 + timedelta(hours=2)) == {"warnings": 0, "breaches": 0}


def test_the_standard_plan_counts_business_hours(contact_a, company_a):
    from accounts.models import Plan

    company_a.plan = Plan.objects.get(code="standard")
    company_a.license = "standard"
    company_a.save()
    friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    ticket = filed_at(friday_5pm, contact_a, severity=2)
    # 8 business hours, 09:00-18:00 UTC on weekdays: 1 h on Friday, 7 h on Monday -> 16:00.
    assert ticket.response_due_at == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert flag_breaches(datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)) == 0
    assert flag_breaches(datetime(2026, 3, 9, 16, 0, tzinfo=UTC)) == 1


def test_the_api_reports_the_sla_fields(api, contact_a):
    ticket = filed_at(T0, contact_a, severity=1)
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        data = api(contact_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert data["sla_state"] == "at_risk"
    assert data["response_due_at"] == "2026-03-02T10:30:00Z"
    assert data["response_breached_at"] is None
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        flag_breaches()
        data = api(contact_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert data["sla_state"] == "breached"
    assert data["response_breached_at"] == "2026-03-02T10:30:00Z"
