"""What pages and whom (SPEC §11): an unanswered severity-1 ticket of a premium customer when
filed (any channel) or raised to severity 1, and any unassigned ticket at its SLA warning;
empty levels skipped; escalation after ``ack_minutes`` exactly once per level; the bell and an
e-mail with a one-click link for each page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from sla.jobs import flag_warnings
from tests.factories import CompanyFactory, ContactFactory, UserFactory, file_ticket, plan
from tickets import paging, services
from tickets.models import (
    Channel,
    EventKind,
    Notification,
    OutboundEmail,
    Override,
    Page,
    PagingPolicy,
    Rotation,
    RotationMember,
    Ticket,
    TicketEvent,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def rotation(level, *members, start=None, hours=12):
    rot = Rotation.objects.create(name=f"L{level}", level=level, shift_hours=hours,
                                  starts_at=start or timezone.now() - timedelta(hours=1))
    for i, member in enumerate(members):
        RotationMember.objects.create(rotation=rot, user=member, position=i)
    return rot


@pytest.fixture
def primary(db):
    return UserFactory(role=Role.ENGINEER, full_name="Ana Souza")


@pytest.fixture
def secondary(db):
    return UserFactory(role=Role.ENGINEER, full_name="Bruno Lima")


@pytest.fixture
def rota(primary, secondary):
    rotation(1, primary)
    rotation(2, secondary)


def pages_of(ticket):
    return list(Page.objects.filter(ticket=ticket).order_by("level", "user_id")
                .values_list("level", "user_id"))


@pytest.mark.usefixtures("rota")
def test_it_pages_the_primary_when_a_premium_s1_is_filed(contact_a, primary):
    ticket = file_ticket(contact_a, severity=1)
    assert pages_of(ticket) == [(1, primary.pk)]
    ticket.refresh_from_db()
    assert ticket.paging_level == 1
    assert ticket.paged_at is not None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PAGED)
    assert event.internal
    assert event.new_value == "1"
    assert Notification.objects.filter(user=primary, ticket=ticket).count() == 1
    mail = OutboundEmail.objects.get(to=primary.email, ticket=ticket)
    assert re.search(r"/oncall/ack/[^/\s]+/", mail.body)
    assert "Page (level 1)" in mail.subject


@pytest.mark.usefixtures("rota")
@pytest.mark.parametrize(("severity", "plan_code"), [(2, "enhanced"), (1, "standard")])
def test_it_does_not_page_for_other_severities_or_plans(severity, plan_code):
    company = CompanyFactory(plan=plan(plan_code))
    contact = ContactFactory(company=company).user
    ticket = file_ticket(contact, severity=severity)
    assert pages_of(ticket) == []
    assert Ticket.objects.get(pk=ticket.pk).paging_level == 0


@pytest.mark.usefixtures("rota")
def test_it_pages_for_a_phone_call_logged_by_staff_and_an_api_filing(api, engineer, contact_a,
                                                                     primary):
    phone = api(engineer).post("/api/v1/tickets/", {
        "subject": "Down", "description": "All servers", "severity": 1,
        "requester": contact_a.pk}, format="json")
    assert phone.json()["channel"] == Channel.PHONE
    by_api = api(contact_a).post("/api/v1/tickets/", {
        "subject": "Down", "description": "All servers", "severity": 1}, format="json")
    for answer in (phone, by_api):
        assert pages_of(Ticket.objects.get(pk=answer.json()["id"])) == [(1, primary.pk)]


def test_it_skips_a_level_with_nobody_on_call(contact_a, secondary):
    rotation(2, secondary)
    ticket = file_ticket(contact_a, severity=1)
    assert pages_of(ticket) == [(2, secondary.pk)]


def test_it_pages_everyone_when_nobody_is_on_call(contact_a, tam):
    engineers = [UserFactory(role=Role.ENGINEER) for _ in range(3)]
    UserFactory(role=Role.ENGINEER, is_active=False)
    UserFactory(role=Role.EXPERT)
    ticket = file_ticket(contact_a, severity=1)
    assert pages_of(ticket) == sorted((3, u.pk) for u in [*engineers, tam])
    assert OutboundEmail.objects.filter(ticket=ticket,
                                       subject__contains="nobody on call").count() == 4


@pytest.mark.usefixtures("rota")
def test_an_override_decides_who_is_paged(contact_a, admin):
    stand_in = UserFactory(role=Role.TAM)
    now = timezone.now()
    Override.objects.create(user=stand_in, level=1, starts_at=now - timedelta(minutes=1),
                            ends_at=now + timedelta(hours=1), created_by=admin)
    assert pages_of(file_ticket(contact_a, severity=1)) == [(1, stand_in.pk)]


@pytest.mark.usefixtures("rota")
def test_raising_to_severity_1_pages_once(contact_a, engineer, primary):
    ticket = file_ticket(contact_a, severity=3)
    assert pages_of(ticket) == []
    services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    assert pages_of(ticket) == [(1, primary.pk)]
    services.ticket_change(ticket=ticket, actor=engineer, severity=2)
    services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    assert pages_of(ticket) == [(1, primary.pk)]
    assert Ticket.objects.get(pk=ticket.pk).paging_level == 1


@pytest.mark.usefixtures("rota")
def test_an_answered_ticket_raised_to_severity_1_does_not_page(contact_a, engineer):
    ticket = file_ticket(contact_a, severity=3)
    services.comment_add(ticket=ticket, author=engineer, body="Looking at it.")
    services.ticket_change(ticket=ticket, actor=engineer, severity=1)
    assert pages_of(ticket) == []


@pytest.mark.usefixtures("rota")
def test_the_sla_warning_of_an_unassigned_ticket_pages(contact_a, engineer, primary):
    unassigned = file_ticket(contact_a, severity=3)
    assigned = file_ticket(contact_a, severity=3)
    services.ticket_change(ticket=assigned, actor=engineer, assignee=engineer)
    assigned.refresh_from_db()
    assert flag_warnings(assigned.response_warn_at) == 2  # the later of the two
    assert pages_of(unassigned) == [(1, primary.pk)]
    assert pages_of(assigned) == []
    assert TicketEvent.objects.get(ticket=unassigned, kind=EventKind.PAGED).old_value == \
        "sla_warning"


@pytest.mark.usefixtures("rota")
def test_it_escalates_after_ack_minutes_once_per_level(contact_a, primary, secondary, tam):
    PagingPolicy.objects.update_or_create(pk=1, defaults={"ack_minutes": 5})
    ticket = file_ticket(contact_a, severity=1)
    paged = Ticket.objects.get(pk=ticket.pk).last_paged_at
    five = timedelta(minutes=5)
    assert paging.escalate_due(paged + five - timedelta(seconds=1)) == 0
    assert paging.escalate_due(paged + five) == 1
    assert paging.escalate_due(paged + five) == 0  # a second beat at the same instant
    assert pages_of(ticket) == [(1, primary.pk), (2, secondary.pk)]
    assert paging.escalate_due(paged + 2 * five - timedelta(seconds=1)) == 0
    assert paging.escalate_due(paged + 2 * five) == 1
    everyone = sorted([primary.pk, secondary.pk, tam.pk])
    assert pages_of(ticket) == [(1, primary.pk), (2, secondary.pk),
                                *[(3, pk) for pk in everyone]]
    assert paging.escalate_due(paged + timedelta(hours=5)) == 0  # level 3 is the last
    assert Page.objects.filter(ticket=ticket).count() == 5
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PAGED).count() == 3


@pytest.mark.usefixtures("rota")
def test_an_escalation_that_crashes_leaves_nothing_and_runs_once_on_the_retry(
        contact_a, secondary, monkeypatch):
    ticket = file_ticket(contact_a, severity=1)
    later = Ticket.objects.get(pk=ticket.pk).last_paged_at + timedelta(minutes=6)

    def broken(*args, **kwargs):
        raise RuntimeError("mail composer down")

    monkeypatch.setattr(paging, "notify", broken)
    assert paging.escalate_due(later) == 0
    assert Ticket.objects.get(pk=ticket.pk).paging_level == 1
    assert Page.objects.filter(ticket=ticket, level=2).count() == 0
    monkeypatch.undo()
    assert paging.escalate_due(later) == 1
    assert Page.objects.filter(ticket=ticket, level=2).count() == 1


@pytest.mark.usefixtures("rota")
def test_a_resolved_ticket_does_not_escalate(contact_a, engineer):
    ticket = file_ticket(contact_a, severity=1)
    services.ticket_change(ticket=ticket, actor=engineer, status="resolved")
    later = timezone.now() + timedelta(minutes=30)
    assert paging.escalate_due(later) == 0
