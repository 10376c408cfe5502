"""The live ticket page: a poll that answers 204 while nothing changed and the changed parts
when someone else replies, changes the status or takes the ticket; and the "another staff
member is writing a reply" notice, kept in the cache (Redis)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory, file_ticket
from tickets.models import Comment
from tickets.services import comment_add, ticket_change

pytestmark = pytest.mark.django_db


def stamp_of(html: str) -> str:
    found = re.search(r'/live/\?stamp=([0-9a-f]+)"', html)
    assert found, "the page carries no live poller"
    return found.group(1)


def poll(client, ticket, stamp):
    return client.get(f"/tickets/{ticket.pk}/live/", {"stamp": stamp},
                      headers={"HX-Request": "true"})


def test_the_poll_is_empty_until_someone_else_replies(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    stamp = stamp_of(client.get(f"/tickets/{ticket.pk}/").content.decode())
    assert poll(client, ticket, stamp).status_code == 204
    comment_add(ticket=ticket, author=engineer, body="We are on it: collect the logs please.")
    changed = poll(client, ticket, stamp)
    assert changed.status_code == 200
    html = changed.content.decode()
    assert "We are on it" in html
    assert 'id="timeline" hx-swap-oob="true"' in html
    # The status went from new to open and the SLA clock stopped: both parts come along.
    assert 'id="ticket-badges" hx-swap-oob="true"' in html
    assert "Open" in html
    assert 'id="sla-box" hx-swap-oob="true"' in html
    assert poll(client, ticket, stamp_of(html)).status_code == 204


def test_the_poll_shows_a_status_change_and_a_take(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    other = UserFactory(full_name="Ana Souza")
    client.force_login(engineer)
    stamp = stamp_of(client.get(f"/tickets/{ticket.pk}/").content.decode())
    ticket_change(ticket=ticket, actor=other, assignee=other)
    html = poll(client, ticket, stamp).content.decode()
    assert "Ana Souza" in html
    assert 'id="ticket-facts" hx-swap-oob="true"' in html
    stamp = stamp_of(html)
    ticket.refresh_from_db()
    ticket_change(ticket=ticket, actor=other, status="waiting_on_customer")
    assert "Waiting on customer" in poll(client, ticket, stamp).content.decode()


def test_a_contact_never_gets_an_internal_note_through_the_poll(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    stamp = stamp_of(client.get(f"/tickets/{ticket.pk}/").content.decode())
    comment_add(ticket=ticket, author=engineer, body="Secret analysis", internal=True)
    response = poll(client, ticket, stamp)
    assert response.status_code == 204  # nothing the contact may see changed
    assert b"Secret analysis" not in poll(client, ticket, "stale").content


def test_the_poll_answers_404_for_another_companys_ticket(client, contact_a, contact_b):
    ticket = file_ticket(contact_b)
    client.force_login(contact_a)
    assert poll(client, ticket, "x").status_code == 404
    assert client.post(f"/tickets/{ticket.pk}/writing/").status_code == 404


def test_the_poll_runs_a_constant_number_of_queries(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert poll(client, ticket, "stale").status_code == 200
        return len(captured)

    for n in range(2):
        comment_add(ticket=ticket, author=engineer, body=f"Reply {n}")
    few = queries()
    for n in range(15):
        comment_add(ticket=ticket, author=contact_a if n % 2 else engineer, body=f"More {n}",
                    internal=bool(n % 3 == 0) and n % 2 == 0)
    assert queries() == few
    assert Comment.objects.filter(ticket=ticket).count() == 17


def test_staff_see_who_else_is_writing_and_contacts_never_do(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    writer = UserFactory(full_name="Bruno Lima")
    client.force_login(writer)
    assert client.post(f"/tickets/{ticket.pk}/writing/").status_code == 204
    # The writer is not told about themselves.
    assert "is writing a reply" not in client.get(f"/tickets/{ticket.pk}/").content.decode()

    client.force_login(engineer)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Bruno Lima is writing a reply to this ticket." in page
    stamp = stamp_of(page)
    assert poll(client, ticket, stamp).status_code == 204

    client.force_login(writer)
    client.post(f"/tickets/{ticket.pk}/writing/", {"done": "1"})
    client.force_login(engineer)
    html = poll(client, ticket, stamp).content.decode()
    assert 'id="writing"' in html
    assert "is writing" not in html

    client.force_login(contact_a)
    assert client.post(f"/tickets/{ticket.pk}/writing/").status_code == 403
    assert "is writing" not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_sending_the_reply_clears_the_writing_notice(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    writer = UserFactory(full_name="Carla Dias")
    client.force_login(writer)
    client.post(f"/tickets/{ticket.pk}/writing/")
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Done.", "internal": ""})
    client.force_login(engineer)
    assert "Carla Dias is writing" not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_public_reply_and_an_internal_note_are_two_different_buttons(client, contact_a,
                                                                        engineer):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="internal" value="" class="primary"' in page
    assert "Send public reply to the customer" in page
    assert 'name="internal" value="on" class="note-button"' in page
    assert "Save as internal note" in page
    assert ">Post<" not in page
    assert 'type="checkbox" name="internal"' not in page
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Note body", "internal": "on"})
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Reply body", "internal": ""})
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", "internal")) == [
        ("Note body", True), ("Reply body", False)]


def test_an_empty_reply_comes_back_at_the_form_with_its_errors(client, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'action="/tickets/{ticket.pk}/reply/#reply"' in page
    refused = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "  "})
    assert refused.status_code == 400
    assert 'class="error-box" role="alert" tabindex="-1"' in refused.content.decode()
