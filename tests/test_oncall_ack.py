"""Acknowledging pages (SPEC §11): the API, the e-mail's one-click link (signed, single-use,
expiring; a GET only confirms), taking the ticket, the first public staff reply. Each stops the
escalation and is audited; the customer then sees who acknowledged, by name only."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.audit import Action, AuditEntry
from accounts.models import Role
from tests.factories import UserFactory, file_ticket
from tickets import paging, services
from tickets.models import OutboundEmail, Page, Rotation, RotationMember, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def primary(db):
    user = UserFactory(role=Role.ENGINEER, full_name="Ana Souza", email="ana@vendor.example")
    rotation = Rotation.objects.create(name="Primary", level=1, shift_hours=24,
                                       starts_at=timezone.now() - timedelta(hours=1))
    RotationMember.objects.create(rotation=rotation, user=user, position=0)
    return user


@pytest.fixture
def paged(contact_a, primary):
    return file_ticket(contact_a, severity=1)


def link_of(ticket, user):
    body = OutboundEmail.objects.get(ticket=ticket, to=user.email).body
    return re.search(r"https?://[^/\s]+(/oncall/ack/[^/\s]+/)", body).group(1)


def escalates(ticket):
    return paging.escalate_due(timezone.now() + timedelta(hours=1))


def test_the_api_acknowledges_once_and_stops_the_escalation(api, paged, engineer):
    page = Page.objects.get(ticket=paged)
    listed = api(engineer).get("/api/v1/pages/", {"ticket": paged.pk}).json()
    assert listed["count"] == 1
    assert listed["results"][0]["acknowledged_at"] is None
    assert set(listed["results"][0]) == {"id", "ticket", "level", "user", "created_at",
                                         "acknowledged_at", "acknowledged_by"}
    answer = api(engineer).post(f"/api/v1/pages/{page.pk}/ack/")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["acknowledged_by"]["id"] == engineer.pk
    again = api(engineer).post(f"/api/v1/pages/{page.pk}/ack/")
    assert again.status_code == 409
    assert "detail" in again.json()
    assert escalates(paged) == 0
    assert AuditEntry.objects.filter(action=Action.PAGE_ACKNOWLEDGED, actor=engineer).count() == 1


def test_the_pages_api_is_for_staff_only(api, paged, contact_a):
    page = Page.objects.get(ticket=paged)
    assert api(contact_a).get("/api/v1/pages/", {"ticket": paged.pk}).status_code == 403
    assert api(contact_a).post(f"/api/v1/pages/{page.pk}/ack/").status_code == 403
    assert Page.objects.get(pk=page.pk).acknowledged_at is None


def test_the_pages_api_answers_404_and_400(api, engineer):
    assert api(engineer).post("/api/v1/pages/424242/ack/").status_code == 404
    assert api(engineer).get("/api/v1/pages/", {"ticket": 424242}).status_code == 404
    assert api(engineer).get("/api/v1/pages/", {"ticket": "x"}).status_code == 400


def test_the_link_confirms_on_get_and_acknowledges_once_on_post(paged, primary):
    url = link_of(paged, primary)
    browser = Client(enforce_csrf_checks=True)
    shown = browser.get(url)
    assert shown.status_code == 200
    assert b"Acknowledge this page?" in shown.content
    assert Page.objects.get(ticket=paged).acknowledged_at is None  # a GET changes nothing
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown.content.decode())
    assert browser.post(url).status_code == 403  # without the CSRF token
    done = browser.post(url, {"csrfmiddlewaretoken": token.group(1)})
    assert done.status_code == 200
    assert b"Page acknowledged" in done.content
    ticket = Ticket.objects.get(pk=paged.pk)
    assert ticket.paging_acked_by == primary
    assert AuditEntry.objects.get(action=Action.PAGE_ACKNOWLEDGED).detail["via"] == "link"
    # Single use: the second click finds nothing.
    assert browser.get(url).status_code == 410
    assert Client().post(url).status_code == 410
    assert escalates(paged) == 0


def test_an_expired_or_tampered_link_does_nothing(paged, primary):
    url = link_of(paged, primary)
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        assert Client().get(url).status_code == 410
        assert Client().post(url).status_code == 410
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    assert Client().post(tampered).status_code == 410
    assert Client().post("/oncall/ack/nonsense/").status_code == 410
    assert Page.objects.get(ticket=paged).acknowledged_at is None


def test_a_link_stops_working_once_the_page_is_acknowledged_another_way(api, paged, primary,
                                                                        engineer):
    url = link_of(paged, primary)
    api(engineer).post(f"/api/v1/pages/{Page.objects.get(ticket=paged).pk}/ack/")
    assert Client().post(url).status_code == 410
    assert Ticket.objects.get(pk=paged.pk).paging_acked_by == engineer


def test_taking_the_ticket_acknowledges_every_open_page(paged, engineer, tam):
    # Escalated to everyone first: several open pages.
    later = timezone.now() + timedelta(minutes=6)
    assert paging.escalate_due(later) == 1
    assert Page.objects.filter(ticket=paged, acknowledged_at__isnull=True).count() > 1
    services.ticket_change(ticket=paged, actor=engineer, assignee=engineer)
    assert not Page.objects.filter(ticket=paged, acknowledged_at__isnull=True).exists()
    assert set(Page.objects.filter(ticket=paged).values_list("acknowledged_by", flat=True)) == \
        {engineer.pk}
    assert paging.escalate_due(later + timedelta(hours=1)) == 0


def test_assigning_someone_else_does_not_acknowledge(paged, engineer):
    other = UserFactory(role=Role.ENGINEER)
    services.ticket_change(ticket=paged, actor=engineer, assignee=other)
    assert Ticket.objects.get(pk=paged.pk).paging_acked_at is None


def test_the_first_public_reply_acknowledges_but_an_internal_note_does_not(paged, engineer):
    services.comment_add(ticket=paged, author=engineer, body="Checking", internal=True)
    assert Ticket.objects.get(pk=paged.pk).paging_acked_at is None
    services.comment_add(ticket=paged, author=engineer, body="We are on it.")
    ticket = Ticket.objects.get(pk=paged.pk)
    assert ticket.paging_acked_by == engineer
    assert ticket.paging_acked_at == ticket.first_response_at


def test_the_customer_sees_who_acknowledged_by_name_only(api, paged, primary, contact_a,
                                                         contact_b):
    before = api(contact_a).get(f"/api/v1/tickets/{paged.pk}/").json()
    assert before["paging"]["acknowledged_at"] is None
    assert before["paging"]["engineer"] is None
    assert before["paging"]["paged_at"]
    services.ticket_change(ticket=paged, actor=primary, assignee=primary)
    body = api(contact_a).get(f"/api/v1/tickets/{paged.pk}/")
    assert body.json()["paging"]["engineer"] == "Ana Souza"
    assert primary.email not in body.content.decode()
    listed = api(contact_a).get("/api/v1/tickets/").json()["results"][0]
    assert listed["paging"]["engineer"] == "Ana Souza"
    assert api(contact_b).get(f"/api/v1/tickets/{paged.pk}/").status_code == 404
    unpaged = file_ticket(contact_a, severity=3)
    assert api(contact_a).get(f"/api/v1/tickets/{unpaged.pk}/").json()["paging"] is None
