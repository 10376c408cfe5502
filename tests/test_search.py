"""Search (SPEC §16): full-text over number, subject, description and comments, ranked, with
English and Portuguese stemming; a contact's search covers their company's tickets and public
comments only, staff's internal notes too. The index is kept up to date by PostgreSQL
triggers, so these tests file and comment through the real services and search at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import file_ticket
from tickets.models import Comment, TicketSearch
from tickets.search import parse_sort, search_tickets
from tickets.services import comment_add

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return [t["number"] for t in response.json()["results"]]


def test_it_finds_words_with_english_and_portuguese_stemming(api, contact_a):
    crash = file_ticket(contact_a, subject="Servers crashed after the update",
                        description="Two machines.")
    printer = file_ticket(contact_a, subject="Impressoras não imprimem",
                          description="Desde ontem as impressoras param.")
    file_ticket(contact_a, subject="Unrelated", description="Nothing to see.")
    client = api(contact_a)
    assert numbers(client.get("/api/v1/tickets/", {"q": "crashing servers"})) == [crash.number]
    assert numbers(client.get("/api/v1/tickets/", {"q": "impressora"})) == [printer.number]
    assert numbers(client.get("/api/v1/tickets/", {"q": "imprimir"})) == [printer.number]


def test_it_finds_a_ticket_by_its_number(api, contact_a):
    ticket = file_ticket(contact_a)
    file_ticket(contact_a)
    client = api(contact_a)
    for text in (ticket.number, ticket.number.lower(), str(ticket.pk), f"{ticket.pk:06d}"):
        assert numbers(client.get("/api/v1/tickets/", {"q": text})) == [ticket.number], text


def test_a_contact_never_matches_an_internal_note_and_staff_do(api, contact_a, engineer):
    ticket = file_ticket(contact_a, subject="Scanner stops", description="On access.")
    comment_add(ticket=ticket, author=engineer, body="Suspect the quarantine driver kraken",
                internal=True)
    comment_add(ticket=ticket, author=engineer, body="We are looking at the gateway logs.")
    assert numbers(api(contact_a).get("/api/v1/tickets/", {"q": "kraken"})) == []
    assert numbers(api(engineer).get("/api/v1/tickets/", {"q": "kraken"})) == [ticket.number]
    # A public comment is found by both.
    assert numbers(api(contact_a).get("/api/v1/tickets/", {"q": "gateway"})) == [ticket.number]
    row = TicketSearch.objects.get(ticket=ticket)
    assert "kraken" in str(row.everything)
    assert "kraken" not in str(row.public)


def test_a_contact_finds_only_their_companys_tickets(api, contact_a, contact_b):
    mine = file_ticket(contact_a, subject="Firewall blocks updates")
    file_ticket(contact_b, subject="Firewall blocks updates")
    assert numbers(api(contact_a).get("/api/v1/tickets/", {"q": "firewall"})) == [mine.number]


def test_the_index_follows_edits_and_deletions(api, contact_a, engineer):
    ticket = file_ticket(contact_a, subject="Console slow", description="Very slow.")
    note = comment_add(ticket=ticket, author=engineer, body="zeppelin in the logs", internal=True)
    staff = api(engineer)
    assert numbers(staff.get("/api/v1/tickets/", {"q": "zeppelin"})) == [ticket.number]
    # A note made public later enters the contacts' vector; a deleted one leaves both.
    Comment.objects.filter(pk=note.pk).update(internal=False)
    assert numbers(api(contact_a).get("/api/v1/tickets/", {"q": "zeppelin"})) == [ticket.number]
    Comment.objects.filter(pk=note.pk).delete()
    assert numbers(staff.get("/api/v1/tickets/", {"q": "zeppelin"})) == []
    ticket.subject = "Dashboard freezes"
    ticket.save()
    assert numbers(staff.get("/api/v1/tickets/", {"q": "freezes"})) == [ticket.number]
    assert numbers(staff.get("/api/v1/tickets/", {"q": "console"})) == []


def test_it_ranks_a_subject_match_above_a_comment_match(api, contact_a, engineer):
    in_comment = file_ticket(contact_a, subject="Agent install fails", description="Setup.")
    comment_add(ticket=in_comment, author=engineer, body="Could be the proxy.")
    in_subject = file_ticket(contact_a, subject="Proxy rejects the agent", description="Hmm.")
    found = numbers(api(contact_a).get("/api/v1/tickets/", {"q": "proxy"}))
    assert found == [in_subject.number, in_comment.number]


def test_web_search_syntax_and_odd_input_never_fail(api, contact_a):
    ticket = file_ticket(contact_a, subject="Mail gateway rejects signed messages")
    client = api(contact_a)
    assert numbers(client.get("/api/v1/tickets/", {"q": '"signed messages"'})) == [ticket.number]
    assert numbers(client.get("/api/v1/tickets/", {"q": "gateway -signed"})) == []
    for odd in ("&&||!:*", "'", "(", "a" * 5000, "  ", "-"):
        response = client.get("/api/v1/tickets/", {"q": odd})
        assert response.status_code == 200, odd


def test_the_search_api_runs_a_constant_number_of_queries(api, contact_a, engineer):
    client = api(engineer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/tickets/", {"q": "scanner"}).status_code == 200
        return len(captured)

    for _ in range(3):
        file_ticket(contact_a, subject="Scanner stops")
    few = queries()
    for _ in range(12):
        file_ticket(contact_a, subject="Scanner stops")
    assert queries() == few


def test_the_ticket_list_page_searches_and_sorts(client, contact_a, engineer):
    low = file_ticket(contact_a, subject="Quarantine grows", severity=4)
    high = file_ticket(contact_a, subject="Quarantine overflow", severity=1)
    file_ticket(contact_a, subject="Other thing", severity=2)
    client.force_login(contact_a)
    page = client.get("/tickets/", {"q": "quarantine"}).content.decode()
    assert low.number in page
    assert high.number in page
    assert "Other thing" not in page
    assert 'role="search"' in page
    by_severity = client.get("/tickets/", {"q": "quarantine", "sort": "severity"})
    text = by_severity.content.decode()
    assert text.index(high.number) < text.index(low.number)
    assert 'aria-sort="ascending"' in text
    reverse = client.get("/tickets/", {"q": "quarantine", "sort": "-severity"}).content.decode()
    assert reverse.index(low.number) < reverse.index(high.number)
    # A contact has no company column to sort by, and a made-up key is ignored.
    for bad in ("company", "password", "-; drop table", "--created"):
        assert client.get("/tickets/", {"sort": bad}).status_code == 200
    assert "No tickets match" in client.get("/tickets/", {"q": "nothing-like-it"}).content.decode()


def test_parse_sort_accepts_only_known_keys():
    assert parse_sort("severity") == "severity"
    assert parse_sort("-created") == "-created"
    assert parse_sort("company", allowed=frozenset({"number"})) == "-created"
    assert parse_sort("subject; drop") == "-created"
    assert parse_sort(None) == "-created"


def test_the_queue_searches_notes_too(client, contact_a, engineer):
    ticket = file_ticket(contact_a, subject="Something")
    file_ticket(contact_a, subject="Another")
    comment_add(ticket=ticket, author=engineer, body="walrus driver suspected", internal=True)
    client.force_login(engineer)
    page = client.get("/queue/", {"q": "walrus"}).content.decode()
    assert ticket.number in page
    assert "Another" not in page


def test_the_selector_keeps_the_visibility_it_is_given(contact_a, contact_b):
    from tickets.access import visible_tickets

    file_ticket(contact_b, subject="Shared words here")
    assert not search_tickets(contact_a, visible_tickets(contact_a), "shared words").exists()
