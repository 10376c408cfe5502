"""The engineers' priority queue: the exact order of SPEC §5, filters, and a flat query cost."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Plan
from tests.factories import CompanyFactory, ContactFactory, file_ticket
from tickets import services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(minutes=100)
QUEUE = "/api/v1/queue/"


def at(minutes: float, requester, severity: int, subject: str, responded_by=None):
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        ticket = file_ticket(requester, severity=severity, subject=subject)
        if responded_by is not None:
            services.comment_add(ticket=ticket, author=responded_by, body="On it.")
    return ticket


@pytest.fixture
def mixed_queue(contact_a, engineer):
    standard = CompanyFactory(name="Standard Co", license="standard",
                              plan=Plan.objects.get(code="standard"))
    std = ContactFactory(company=standard).user
    e = contact_a
    # Filed in an order unrelated to the expected queue order.
    at(-10, e, 3, "e-responded-s3-new", responded_by=engineer)
    at(90, e, 4, "e-on-track-s4")             # due +570
    at(-200, std, 1, "s-breached-s1")         # standard 2 h on 24x7: due -80
    at(-140, e, 3, "e-tie-s3")                # due +220
    at(50, e, 1, "e-breached-s1")             # due +80, breached at +100
    at(-500, e, 3, "e-responded-s3-old", responded_by=engineer)
    at(-300, e, 2, "e-breached-s2")           # due -60
    at(0, e, 1, "e-responded-s1", responded_by=engineer)
    at(95, e, 1, "e-on-track-s1")             # due +125
    at(-20, e, 2, "e-tie-s2")                 # due +220, same as e-tie-s3: severity decides
    at(-200, e, 3, "e-at-risk-s3")            # due +160, warning point +70
    at(-30, std, 2, "s-responded-s2", responded_by=engineer)
    resolved = at(-40, e, 1, "e-resolved")
    services.ticket_change(ticket=resolved, actor=engineer, status="resolved")
    return [
        "e-breached-s2", "e-breached-s1", "e-on-track-s1", "e-at-risk-s3", "e-tie-s2",
        "e-tie-s3", "e-on-track-s4", "e-responded-s1", "e-responded-s3-old",
        "e-responded-s3-new", "s-breached-s1", "s-responded-s2",
    ]


def test_it_orders_the_api_exactly_as_the_spec_says(api, engineer, mixed_queue):
    with time_machine.travel(NOW, tick=False):
        data = api(engineer).get(QUEUE).json()
    assert [row["subject"] for row in data["results"]] == mixed_queue
    states = {row["subject"]: row["sla_state"] for row in data["results"]}
    assert states["e-breached-s2"] == "breached"
    assert states["e-at-risk-s3"] == "at_risk"
    assert states["e-on-track-s4"] == "on_track"
    assert states["e-responded-s1"] == "met"
    first = data["results"][0]
    assert first["seconds_to_deadline"] == -160 * 60  # breached 160 minutes ago
    assert data["results"][2]["seconds_to_deadline"] == 25 * 60
    assert first["plan"] == "enhanced"
    assert data["results"][-1]["seconds_to_deadline"] is None


@pytest.mark.parametrize(("params", "expected"), [
    ({"severity": 1}, ["e-breached-s1", "e-on-track-s1", "e-responded-s1", "s-breached-s1"]),
    ({"q": "tie"}, ["e-tie-s2", "e-tie-s3"]),
    ({"assignee": "unassigned"}, None),
])
def test_it_filters(api, engineer, mixed_queue, params, expected):
    with time_machine.travel(NOW, tick=False):
        rows = api(engineer).get(QUEUE, params).json()["results"]
    subjects = [r["subject"] for r in rows]
    assert subjects == (expected if expected is not None else mixed_queue)


def test_it_finds_a_ticket_by_number(api, engineer, mixed_queue):
    from tickets.models import Ticket

    ticket = Ticket.objects.get(subject="e-tie-s3")
    rows = api(engineer).get(QUEUE, {"q": ticket.number}).json()["results"]
    assert [r["id"] for r in rows] == [ticket.pk]


def test_mine_shows_the_tickets_assigned_to_me(api, engineer, mixed_queue):
    from tickets.models import Ticket

    ticket = Ticket.objects.get(subject="e-on-track-s4")
    services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
    rows = api(engineer).get(QUEUE, {"assignee": "mine"}).json()["results"]
    assert [r["subject"] for r in rows] == ["e-on-track-s4"]


@pytest.mark.parametrize("params", [{"severity": 9}, {"assignee": "bob"}, {"kind": "x"},
                                    {"company": "acme"}])
def test_bad_filters_are_400(api, engineer, params):
    response = api(engineer).get(QUEUE, params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_contacts_cannot_see_the_queue(api, contact_a):
    assert api(contact_a).get(QUEUE).status_code == 403


def test_the_queue_api_costs_the_same_queries_for_5_or_60_tickets(
    api, engineer, contact_a, django_assert_num_queries
):
    client = api(engineer)
    for _ in range(5):
        file_ticket(contact_a)
    # 1 count + 1 page (tickets joined with company, plan, requester, assignee).
    with django_assert_num_queries(2):
        assert len(client.get(QUEUE).json()["results"]) == 5
    for _ in range(55):
        file_ticket(contact_a)
    with django_assert_num_queries(2):
        assert len(client.get(QUEUE, {"page_size": 60}).json()["results"]) == 60


def test_pages_continue_the_exact_order(api, engineer, mixed_queue):
    """The queue pages sort and cut the ticket ids first, then join the page's rows."""
    with time_machine.travel(NOW, tick=False):
        client = api(engineer)
        pages = [client.get(QUEUE, {"page_size": 5, "page": n}).json() for n in (1, 2, 3)]
    subjects = [row["subject"] for page in pages for row in page["results"]]
    assert subjects == mixed_queue
    assert pages[0]["count"] == len(mixed_queue)
    assert pages[2]["next"] is None
