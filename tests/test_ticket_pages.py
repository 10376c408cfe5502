"""The server-rendered ticket pages: list, filing (portal and phone), the ticket page with its
timeline, replies and staff changes, and the admin of tickets and SLA data."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.functional import empty

from tickets import services
from tickets.models import (
    Attachment,
    Channel,
    Comment,
    OutboundEmail,
    Status,
    Ticket,
    TicketEvent,
    private_storage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads of these tests go to a temporary folder, not the checkout's var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


def file_ticket(requester, **fields):
    values = {"subject": "Scanner crashes", "description": "It stops at 40 %.", "severity": 3}
    return services.ticket_create(requester=requester, **(values | fields))


def new_ticket_form(**fields):
    return {"subject": "Update fails on all servers", "description": "Error 0x80070005.",
            "severity": "2", "kind": "incident", "product": "Endpoint Security",
            "product_version": "12.1"} | fields


def expire_license(company):
    company.license_valid_until = timezone.localdate() - timedelta(days=1)
    company.save()


# --- Filing through the portal ---------------------------------------------------------------


def test_it_files_a_ticket_through_the_portal(client, contact_a, company_a):
    client.force_login(contact_a)
    upload = SimpleUploadedFile("trace.log", b"stack trace", content_type="text/plain")
    response = client.post("/tickets/new/", new_ticket_form(attachments=[upload]))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.requester, ticket.company) == ("portal", contact_a, company_a)
    assert (ticket.severity, ticket.product_version) == (2, "12.1")
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.comment is None
    assert attachment.sha256 == hashlib.sha256(b"stack trace").hexdigest()

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"Your request {ticket.number} was filed.".encode() in page.content
    assert b"trace.log" in page.content
    assert attachment.sha256.encode() in page.content
    assert f'href="/api/v1/attachments/{attachment.pk}/download/"'.encode() in page.content


def test_it_shows_the_priority_line_next_to_severity_1(client, contact_a, settings):
    settings.PRIORITY_PHONE_LINE = "+1 800 555 0100"
    # Office hours, so the after-hours reminder (tested in test_priority_line) stays away.
    with time_machine.travel(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), tick=False):
        client.force_login(contact_a)
        page = client.get("/tickets/new/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "also call the priority line" in content
    assert "+1 800 555 0100" in content
    # The notice sits right after the severity-1 choice, before severity 2.
    assert content.index('id="id_severity_0"') < content.index("+1 800 555 0100") \
        < content.index('id="id_severity_1"')
    for meaning in ("stops the business", "without an outage", "non-critical problem",
                    "does not affect functionality"):
        assert meaning in content


def test_it_repeats_the_priority_line_on_a_filed_severity_1_ticket(client, contact_a, settings):
    settings.PRIORITY_PHONE_LINE = "+1 800 555 0100"
    client.force_login(contact_a)
    response = client.post("/tickets/new/", new_ticket_form(severity="1"), follow=True)
    assert response.status_code == 200
    assert b"please call the priority line now" in response.content
    assert b"+1 800 555 0100" in response.content

    ticket = file_ticket(contact_a, severity=3)
    assert b"please call the priority line now" not in client.get(f"/tickets/{ticket.pk}/").content


def test_it_explains_an_expired_license_and_refuses_to_file(client, contact_a, company_a):
    expire_license(company_a)
    client.force_login(contact_a)

    page = client.get("/tickets/new/")
    assert page.status_code == 403
    assert b"is not valid (it ended on" in page.content
    assert b'name="subject"' not in page.content

    response = client.post("/tickets/new/", new_ticket_form())
    assert response.status_code == 403
    assert b"is not valid (it ended on" in response.content
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()

    listing = client.get("/tickets/")
    assert b"Your license has expired" in listing.content
    assert b'href="/tickets/new/"' not in listing.content.split(b"</header>")[1]


def test_it_shows_errors_for_bad_input_and_writes_nothing(client, contact_a):
    client.force_login(contact_a)
    response = client.post("/tickets/new/", new_ticket_form(subject="", severity="7"))
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert b"Select a valid choice. 7 is not one of the available choices." in response.content
    assert b'aria-invalid="true"' in response.content
    assert b"Error 0x80070005." in response.content  # what the contact typed is kept
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_it_shows_the_services_errors_on_the_form(client, contact_a):
    client.force_login(contact_a)
    response = client.post("/tickets/new/", new_ticket_form(subject="   "))
    assert response.status_code == 400
    assert b"A subject is required." in response.content or b"This field is required." \
        in response.content
    assert not Ticket.objects.exists()


def test_it_refuses_an_attachment_over_the_limit_and_writes_nothing(client, contact_a,
                                                                      settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(contact_a)
    big = SimpleUploadedFile("dump.bin", b"x" * (1024 * 1024 + 1))
    response = client.post("/tickets/new/", new_ticket_form(attachments=[big]))
    assert response.status_code == 400
    assert "“dump.bin” is larger than the 1 MB limit.".encode() in response.content
    assert not Ticket.objects.exists()


def test_it_sends_staff_from_the_new_ticket_page_to_the_phone_form(client, engineer):
    client.force_login(engineer)
    response = client.get("/tickets/new/")
    assert response.status_code == 302
    assert response["Location"] == "/tickets/phone/"


# --- The list --------------------------------------------------------------------------------


def test_it_lists_only_the_contacts_company_tickets(client, contact_a, contact_b, company_a):
    mine = file_ticket(contact_a, subject="Ours")
    file_ticket(contact_b, subject="Theirs")
    client.force_login(contact_a)
    response = client.get("/tickets/")
    assert response.status_code == 200
    assert b"Ours" in response.content
    assert mine.number.encode() in response.content
    assert b"Theirs" not in response.content
    assert b"Company B" not in response.content
    assert b"1 / 8" in response.content  # the account summary


def test_it_lists_every_ticket_with_its_company_for_staff(client, engineer, contact_a,
                                                         contact_b):
    file_ticket(contact_a, subject="Ours")
    file_ticket(contact_b, subject="Theirs")
    client.force_login(engineer)
    content = client.get("/tickets/").content
    for text in (b"Ours", b"Theirs", b"Company A", b"Company B", b">Company<",
                 b"Log a phone call"):
        assert text in content


def test_it_filters_the_list_by_status_and_paginates(client, engineer, contact_a):
    tickets = [file_ticket(contact_a, subject=f"Ticket number {i}") for i in range(27)]
    services.ticket_change(ticket=tickets[0], actor=engineer, status=Status.RESOLVED)
    client.force_login(engineer)

    resolved = client.get("/tickets/?status=resolved").content
    assert b"Ticket number 0<" in resolved
    assert b"Ticket number 1<" not in resolved

    first = client.get("/tickets/").content
    assert first.count(b'<tr>') == 1 + 25
    assert b"Page 1 of 2" in first
    second = client.get("/tickets/?page=2").content
    assert second.count(b'<tr>') == 1 + 2
    assert client.get("/tickets/?status=nonsense").status_code == 200


@pytest.mark.parametrize("persona", ["contact_a", "engineer"])
def test_it_lists_tickets_with_a_constant_number_of_queries(client, request, persona,
                                                           contact_a, engineer):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/tickets/").status_code == 200
        return len(captured)

    for _ in range(5):
        file_ticket(contact_a)
    few = queries()
    for _ in range(25):
        file_ticket(contact_a)
    # Session, user, (contact), count, one page of tickets with company and requester joined,
    # (the account summary): none of them grows with the rows on the page.
    assert queries() == few, "the ticket list runs a query per row; select_related is missing"
    assert few <= 7


# --- The ticket page -------------------------------------------------------------------------


def test_it_answers_404_for_another_companys_ticket(client, contact_a, contact_b):
    ticket = file_ticket(contact_a)
    client.force_login(contact_b)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/tickets/{ticket.pk}/reply/", {"body": "hi"}).status_code == 404
    assert client.get("/tickets/999999999/").status_code == 404
    assert not Comment.objects.exists()


def test_it_never_shows_internal_notes_to_contacts(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.comment_add(ticket=ticket, author=engineer, body="Customer misconfigured it",
                         internal=True,
                         files=[SimpleUploadedFile("internal-analysis.txt", b"secret")])
    services.comment_add(ticket=ticket, author=engineer, body="Please send the logs.")

    client.force_login(contact_a)
    content = client.get(f"/tickets/{ticket.pk}/").content
    assert b"Please send the logs." in content
    for hidden in (b"Customer misconfigured it", b"internal-analysis.txt", b"Internal note",
                   b"Staff only", hashlib.sha256(b"secret").hexdigest().encode()):
        assert hidden not in content
    assert b"Reply or add an internal note" not in content
    assert b'name="internal"' not in content

    client.force_login(engineer)
    content = client.get(f"/tickets/{ticket.pk}/").content
    for shown in (b"Customer misconfigured it", b"internal-analysis.txt", b"Internal note",
                  b"tl-internal", b'name="internal"'):
        assert shown in content


def test_it_shows_one_chronological_timeline(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.ticket_change(ticket=ticket, actor=engineer, severity=2)
    services.comment_add(ticket=ticket, author=engineer, body="Looking into it.")
    client.force_login(contact_a)
    content = client.get(f"/tickets/{ticket.pk}/").content.decode()
    order = ["Ticket filed", "Severity changed", "Looking into it.", "First response",
             "Status changed"]
    positions = [content.index(text) for text in order]
    assert positions == sorted(positions)
    assert "3 – Medium" in content  # the old severity, shown as its label
    assert "tl-sla" in content


def test_it_stops_the_clock_on_the_first_staff_reply(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "We are on it."})
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"

    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Status.OPEN
    page = client.get(response["Location"]).content
    assert b"Your reply was added." in page
    assert b'class="sla sla-met"' in page
    assert b">Met<" in page


def test_it_does_not_stop_the_clock_on_an_internal_note(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)
    response = client.post(f"/tickets/{ticket.pk}/reply/",
                           {"body": "Check the proxy.", "internal": "on"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert Comment.objects.get().internal


def test_it_reopens_a_resolved_ticket_on_a_contact_reply(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.ticket_change(ticket=ticket, actor=engineer, status=Status.RESOLVED)
    client.force_login(contact_a)
    page = client.get(f"/tickets/{ticket.pk}/").content
    assert b"Replying reopens it." in page

    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Still broken."},
                           follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert b"the ticket is open again" in response.content
    assert b"Reopened by the customer" in response.content


def test_a_contact_cannot_write_an_internal_note(client, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "Sneaky", "internal": "on"})
    assert not Comment.objects.filter(internal=True).exists()


def test_it_keeps_an_empty_reply_on_the_page_with_an_error(client, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": ""})
    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert not Comment.objects.exists()


def test_it_attaches_files_to_a_reply(client, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    upload = SimpleUploadedFile("screen.png", b"\x89PNG...")
    client.post(f"/tickets/{ticket.pk}/reply/", {"body": "See attached", "attachments": [upload]})
    attachment = Attachment.objects.get()
    assert attachment.comment is not None
    page = client.get(f"/tickets/{ticket.pk}/").content
    assert page.count(f"/api/v1/attachments/{attachment.pk}/download/".encode()) == 2


def test_it_shows_an_error_for_an_invalid_status_transition(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    events = TicketEvent.objects.count()
    client.force_login(engineer)
    response = client.post(f"/tickets/{ticket.pk}/change/",
                           {"severity": "1", "status": "closed", "assignee": ""})
    assert response.status_code == 409
    assert "A ticket cannot go from “New” to “Closed”.".encode() in response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity) == (Status.NEW, 3)  # nothing half-applied
    assert TicketEvent.objects.count() == events


def test_staff_change_severity_status_and_assignee(client, contact_a, engineer, tam):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)
    response = client.post(f"/tickets/{ticket.pk}/change/",
                           {"severity": "2", "status": "open", "assignee": str(tam.pk)})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.severity, ticket.status, ticket.assignee) == (2, Status.OPEN, tam)
    assert b"updated." in client.get(response["Location"]).content


def test_staff_take_a_ticket(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    client.force_login(engineer)
    assert b"Take (assign to me)" in client.get(f"/tickets/{ticket.pk}/").content
    response = client.post(f"/tickets/{ticket.pk}/take/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == engineer
    assert b"Take (assign to me)" not in client.get(f"/tickets/{ticket.pk}/").content


def test_contacts_cannot_change_or_take_tickets(client, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    assert client.post(f"/tickets/{ticket.pk}/change/",
                       {"severity": "1", "status": "open", "assignee": ""}).status_code == 403
    assert client.post(f"/tickets/{ticket.pk}/take/").status_code == 403
    ticket.refresh_from_db()
    assert (ticket.severity, ticket.status, ticket.assignee) == (3, Status.NEW, None)


def test_the_ticket_forms_require_csrf(contact_a):
    ticket = file_ticket(contact_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(contact_a)
    assert client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 403
    assert client.post("/tickets/new/", new_ticket_form()).status_code == 403
    assert Ticket.objects.count() == 1


# --- Phone calls -------------------------------------------------------------------------


def test_staff_log_a_phone_call_as_a_ticket(client, engineer, contact_a, company_a):
    client.force_login(engineer)
    page = client.get("/tickets/phone/")
    assert page.status_code == 200
    assert contact_a.email.encode() in page.content
    assert b'<optgroup label="Company A">' in page.content

    called = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=2)
    response = client.post("/tickets/phone/", new_ticket_form(
        contact=str(contact_a.pk), received_at=called.strftime("%Y-%m-%dT%H:%M"), severity="1",
    ))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.requester, ticket.company) == (Channel.PHONE, contact_a,
                                                                   company_a)
    assert ticket.created_at == called
    assert ticket.events.get(kind="created").actor == engineer


def test_the_phone_form_refuses_a_call_older_than_a_day(client, engineer, contact_a):
    client.force_login(engineer)
    called = timezone.localtime() - timedelta(days=2)
    response = client.post("/tickets/phone/", new_ticket_form(
        contact=str(contact_a.pk), received_at=called.strftime("%Y-%m-%dT%H:%M"),
    ))
    assert response.status_code == 400
    assert b"The call time must be within the last day." in response.content
    assert not Ticket.objects.exists()


def test_the_phone_form_explains_an_expired_license(client, engineer, contact_a, company_a):
    expire_license(company_a)
    client.force_login(engineer)
    response = client.post("/tickets/phone/", new_ticket_form(
        contact=str(contact_a.pk), received_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    ))
    assert response.status_code == 400
    assert b"is not valid (it ended on" in response.content
    assert not Ticket.objects.exists()


def test_contacts_cannot_open_the_phone_form(client, contact_a):
    client.force_login(contact_a)
    assert client.get("/tickets/phone/").status_code in (403, 404)
    response = client.post("/tickets/phone/", new_ticket_form(contact=str(contact_a.pk)))
    assert response.status_code in (403, 404)
    assert not Ticket.objects.exists()


# --- Navigation, language, admin ---------------------------------------------------------


@pytest.mark.parametrize(("persona", "heading"), [("contact_a", b"Your company's tickets"),
                                                   ("admin", b"All tickets")])
def test_home_is_the_ticket_list(client, request, persona, heading):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 200
    assert heading in response.content


@pytest.mark.parametrize(("persona", "start"), [
    ("engineer", "/queue/"),
    # Issue #16: TAMs start on their portfolio, experts on the signature-change queue.
    ("tam", "/tam/"),
    ("expert", "/signature-requests/"),
])
def test_staff_start_where_their_work_is(client, request, persona, start):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == start


def test_the_ticket_pages_require_sign_in(client, contact_a):
    ticket = file_ticket(contact_a)
    for url in ("/tickets/", "/tickets/new/", "/tickets/phone/", f"/tickets/{ticket.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_it_renders_the_new_ticket_page_in_brazilian_portuguese(client, contact_a):
    client.force_login(contact_a)
    response = client.get("/tickets/new/", headers={"accept-language": "pt-BR,pt;q=0.9"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="pt-br"' in content
    assert "Registrar uma nova solicitação" in content
    assert "Crítica" in content
    assert "ligue também para a linha prioritária" in content


@pytest.mark.parametrize("model", ["tickets/ticket", "tickets/comment", "tickets/attachment",
                                   "tickets/ticketevent", "tickets/notification",
                                   "tickets/outboundemail", "sla/slacalendar", "sla/slapolicy"])
def test_the_admin_lists_every_model(client, admin, contact_a, model):
    ticket = file_ticket(contact_a)
    services.comment_add(ticket=ticket, author=admin, body="Hello",
                         files=[SimpleUploadedFile("a.txt", b"a")])
    client.force_login(admin)
    assert client.get(f"/admin/{model}/").status_code == 200


def test_the_admin_changes_a_ticket_through_the_service(client, admin, contact_a):
    ticket = file_ticket(contact_a)
    client.force_login(admin)
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert client.get("/admin/tickets/ticket/add/").status_code == 403

    inlines = {f"{prefix}-{key}": "0" for prefix in ("comments", "attachments", "events")
               for key in ("TOTAL_FORMS", "INITIAL_FORMS")}
    refused = client.post(url, {"severity": "3", "status": "closed", "assignee": "",
                                **inlines})
    assert refused.status_code == 200
    assert "cannot go from “New” to “Closed”".encode() in refused.content

    response = client.post(url, {"severity": "2", "status": "open", "assignee": "", **inlines})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.severity, ticket.status) == (2, Status.OPEN)
    assert ticket.events.filter(kind="status", actor=admin).exists()


def test_the_admin_never_links_an_attachment_inline(client, admin, contact_a):
    ticket = file_ticket(contact_a)
    attachment = services.attachment_add(ticket=ticket, uploaded_by=contact_a,
                                         upload=SimpleUploadedFile("x.html", b"<script>"))
    client.force_login(admin)
    page = client.get(f"/admin/tickets/attachment/{attachment.pk}/change/")
    assert page.status_code == 200
    assert attachment.file.name.encode() not in page.content
    assert f"/api/v1/attachments/{attachment.pk}/download/".encode() in page.content
