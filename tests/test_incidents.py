"""Major incidents (SPEC §13): staff open one, link tickets and post updates; every update is a
public staff reply on every linked ticket and one e-mail per requester, posted in batches that
can be retried without posting twice; resolving resolves the linked tickets; contacts of an
affected company see a banner and nothing about the other companies.

The fan-out runs here in-process (``services.fan_out``); ``test_incident_worker.py`` runs it in
a real Celery worker that is killed half-way.
"""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory, file_ticket
from tickets import services as ticket_services
from tickets.incident_links import incident_link
from tickets.incidents import services
from tickets.models import (
    Comment,
    EventKind,
    Incident,
    IncidentDelivery,
    IncidentLink,
    IncidentNotice,
    IncidentUpdate,
    Notification,
    OutboundEmail,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.notifications.delivery import deliver_outbox

URL = "/api/v1/incidents/"
PRODUCT = "Endpoint Security"


@pytest.fixture
def incident(engineer):
    return services.incident_create(actor=engineer, title="Release 2026.11.30 blocks Outlook",
                                    description="A signature detects outlook.exe.", severity=1,
                                    product=PRODUCT)


def link(incident, *tickets, actor):
    for ticket in tickets:
        incident_link(incident=incident, ticket=ticket, actor=actor)


def post(incident, author, body="We are rolling back the release.", status=None):
    update = services.incident_post_update(incident=incident, author=author, body=body,
                                           status=status)
    services.fan_out(update.pk)
    return update


# --- The API ------------------------------------------------------------------------------------


def test_staff_open_an_incident_and_contacts_may_not(api, engineer, contact_a):
    body = {"title": "Outlook blocked", "description": "False positive on outlook.exe",
            "severity": 1, "product": PRODUCT}
    response = api(engineer).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "investigating"
    assert response.json()["latest_update"] is None
    assert api(contact_a).post(URL, body, format="json").status_code == 403
    bad = api(engineer).post(URL, {**body, "severity": 7}, format="json")
    assert bad.status_code == 400
    assert "severity" in bad.json()["errors"]
    resolved = api(engineer).post(URL, {**body, "status": "resolved"}, format="json")
    assert resolved.status_code == 400


def test_linking_a_ticket_once(api, engineer, contact_a, incident):
    ticket = file_ticket(contact_a, product=PRODUCT)
    url = f"{URL}{incident.pk}/tickets/"
    assert api(engineer).post(url, {"ticket": ticket.pk}, format="json").status_code == 201
    assert api(engineer).post(url, {"ticket": ticket.pk}, format="json").status_code == 200
    other = services.incident_create(actor=engineer, title="Other", description="d", severity=2)
    refused = api(engineer).post(f"{URL}{other.pk}/tickets/", {"ticket": ticket.pk},
                                 format="json")
    assert refused.status_code == 409
    assert "already linked" in refused.json()["detail"]
    assert api(contact_a).post(url, {"ticket": ticket.pk}, format="json").status_code == 403
    assert api(engineer).post(url, {"ticket": 999999}, format="json").status_code == 404
    listed = api(engineer).get(url).json()
    assert [t["id"] for t in listed["results"]] == [ticket.pk]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.INCIDENT).count() == 1


def test_a_contact_sees_only_their_companys_incidents_and_no_counts(api, engineer, contact_a,
                                                                    contact_b, incident):
    unrelated = services.incident_create(actor=engineer, title="Elsewhere", description="d",
                                         severity=2)
    link(unrelated, file_ticket(contact_b), actor=engineer)
    link(incident, file_ticket(contact_a), file_ticket(contact_a), actor=engineer)
    for _ in range(3):  # other companies' tickets on the same incident
        link(incident, file_ticket(ContactFactory().user), actor=engineer)
    post(incident, engineer)

    data = api(contact_a).get(URL).json()
    assert [i["id"] for i in data["results"]] == [incident.pk]
    assert data["count"] == 1
    item = data["results"][0]
    assert set(item) == {"id", "title", "description", "severity", "status", "product",
                         "created_at", "updated_at", "resolved_at", "latest_update"}
    assert item["latest_update"]["body"] == "We are rolling back the release."
    assert api(contact_a).get(f"{URL}{unrelated.pk}/").status_code == 404
    assert api(contact_a).get(f"{URL}{incident.pk}/tickets/").status_code == 403
    updates = api(contact_a).get(f"{URL}{incident.pk}/updates/").json()["results"]
    assert set(updates[0]) == {"id", "incident", "body", "status", "created_at", "author_name"}
    assert api(contact_b).get(f"{URL}{incident.pk}/").status_code == 404
    assert [i["id"] for i in api(contact_b).get(URL).json()["results"]] == [unrelated.pk]


def test_posting_an_update_answers_at_once_and_the_fan_out_follows(api, engineer, contact_a,
                                                                    incident):
    tickets = [file_ticket(contact_a, product=PRODUCT) for _ in range(3)]
    link(incident, *tickets, actor=engineer)
    response = api(engineer).post(f"{URL}{incident.pk}/updates/",
                                  {"body": "Identified: signature 4711.", "status": "identified"},
                                  format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tickets_total"] == 3
    assert response.json()["tickets_posted"] == 0  # the worker posts them
    incident.refresh_from_db()
    assert incident.status == "identified"
    assert services.fan_out(response.json()["id"]) == 3
    assert api(engineer).post(f"{URL}{incident.pk}/updates/", {"body": " "},
                              format="json").status_code == 400


# --- The fan-out ----------------------------------------------------------------------------------


def test_every_linked_ticket_gets_one_reply_and_every_requester_one_email(engineer, contact_a,
                                                                         contact_b, incident):
    colleague = ContactFactory(company=contact_a.contact.company).user
    mine = [file_ticket(contact_a, product=PRODUCT), file_ticket(contact_a, product=PRODUCT)]
    theirs = [file_ticket(colleague), file_ticket(contact_b)]
    link(incident, *mine, *theirs, actor=engineer)
    OutboundEmail.objects.all().delete()
    update = post(incident, engineer)

    for ticket in [*mine, *theirs]:
        replies = Comment.objects.filter(ticket=ticket, author=engineer)
        assert replies.count() == 1
        assert "We are rolling back the release." in replies.get().body
        assert not replies.get().automatic
        assert not replies.get().internal
        ticket.refresh_from_db()
        # A written staff reply: the first response, and the update cadence starts (SPEC §12).
        assert ticket.first_response_at is not None
        assert ticket.status == Status.OPEN
        assert ticket.update_due_at is not None
    emails = list(OutboundEmail.objects.values_list("to", flat=True))
    assert sorted(emails) == sorted([contact_a.email, colleague.email, contact_b.email])
    to_a = OutboundEmail.objects.get(to=contact_a.email)
    assert mine[0].number in to_a.body
    assert mine[1].number in to_a.body
    assert theirs[1].number not in to_a.body  # nothing about another company
    assert "Release 2026.11.30 blocks Outlook" in to_a.subject
    assert Notification.objects.filter(user=contact_a).count() == 1
    assert IncidentNotice.objects.filter(update=update).count() == 3
    deliver_outbox()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails)


def test_a_retried_fan_out_never_posts_twice(engineer, contact_a, incident, monkeypatch,
                                             settings):
    settings.INCIDENT_FANOUT_BATCH = 2
    tickets = [file_ticket(ContactFactory().user) for _ in range(5)]
    link(incident, *tickets, actor=engineer)
    update = services.incident_post_update(incident=incident, author=engineer, body="Rolling back.")

    real = ticket_services.comment_add
    calls = []

    def crash_on_the_fourth(**kwargs):
        calls.append(kwargs["ticket"].pk)
        if len(calls) == 4:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(ticket_services, "comment_add", crash_on_the_fourth)
    assert services.deliver_batch(update.pk) == 2  # the first batch commits on its own
    with pytest.raises(RuntimeError):
        services.deliver_batch(update.pk)  # the second dies half-way: rolled back whole
    assert IncidentDelivery.objects.filter(update=update, delivered_at__isnull=False).count() == 2
    assert Comment.objects.filter(author=engineer).count() == 2
    assert OutboundEmail.objects.filter(subject__contains="Major incident").count() == 2

    monkeypatch.setattr(ticket_services, "comment_add", real)
    assert services.fan_out(update.pk) == 3
    assert services.fan_out(update.pk) == 0
    for ticket in tickets:
        assert Comment.objects.filter(ticket=ticket, author=engineer).count() == 1
    assert OutboundEmail.objects.filter(subject__contains="Major incident").count() == 5


def test_resolving_resolves_the_linked_tickets_with_the_final_update(api, engineer, contact_a,
                                                                     incident):
    open_one = file_ticket(contact_a, product=PRODUCT)
    closed = file_ticket(contact_a, product=PRODUCT)
    link(incident, open_one, closed, actor=engineer)
    ticket_services.ticket_change(ticket=closed, actor=engineer, status=Status.RESOLVED)
    ticket_services.ticket_change(ticket=closed, actor=engineer, status=Status.CLOSED)
    post(incident, engineer, body="The rollback is out: release 2026.12.01.", status="resolved")

    open_one.refresh_from_db()
    assert open_one.status == Status.RESOLVED
    assert open_one.update_due_at is None
    assert "The rollback is out" in Comment.objects.get(ticket=open_one).body
    assert not Comment.objects.filter(ticket=closed).exists()  # closed: nothing posted
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    again = api(engineer).post(f"{URL}{incident.pk}/updates/", {"body": "Late note"},
                               format="json")
    assert again.status_code == 409
    late = file_ticket(contact_a)
    assert api(engineer).post(f"{URL}{incident.pk}/tickets/", {"ticket": late.pk},
                              format="json").status_code == 409


def test_a_ticket_linked_after_an_update_gets_the_latest_one(engineer, contact_a, incident):
    link(incident, file_ticket(contact_a), actor=engineer)
    post(incident, engineer, body="First update.")
    post(incident, engineer, body="Second update.")
    late = file_ticket(contact_a, product=PRODUCT)
    link(incident, late, actor=engineer)
    latest = IncidentUpdate.objects.filter(incident=incident).order_by("-created_at").first()
    assert services.fan_out(latest.pk) == 1
    assert [c.body.split("\n\n")[1] for c in Comment.objects.filter(ticket=late)] == [
        "Second update."]


# --- Pages ---------------------------------------------------------------------------------------


def test_staff_run_an_incident_from_its_pages(client, engineer, contact_a, contact_b):
    client.force_login(engineer)
    response = client.post("/incidents/", {"title": "Outlook blocked", "severity": "1",
                                           "status": "investigating", "product": PRODUCT,
                                           "description": "False positive on outlook.exe"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    page = f"/incidents/{incident.pk}/"
    assert response["Location"] == page
    ticket = file_ticket(contact_a)
    assert client.post(f"{page}link/", {"ticket": ticket.number}).status_code == 302
    missing = client.post(f"{page}link/", {"ticket": "TS-999999"})
    assert missing.status_code == 400
    assert b"No such ticket." in missing.content
    assert client.post(f"{page}update/", {"body": "Identified.",
                                          "status": "identified"}).status_code == 302
    html = client.get(page).content.decode()
    assert ticket.number in html
    assert "Identified." in html
    assert "Posted to 0 of 1 linked tickets." in html
    listing = client.get("/incidents/").content.decode()
    assert "Outlook blocked" in listing
    # Contacts: the affected company reads the incident and its own tickets only.
    client.force_login(contact_a)
    html = client.get(page).content.decode()
    assert "Identified." in html
    assert ticket.number in html
    assert "linked ticket" not in html
    client.force_login(contact_b)
    assert client.get(page).status_code == 404
    assert client.post(f"{page}update/", {"body": "x", "status": "resolved"}).status_code == 404


def test_the_incident_page_costs_the_same_queries_for_2_or_40_tickets(client, engineer,
                                                                       incident):
    client.force_login(engineer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        return len(captured)

    link(incident, *[file_ticket(ContactFactory().user) for _ in range(2)], actor=engineer)
    services.incident_post_update(incident=incident, author=engineer, body="One")
    few = queries()
    link(incident, *[file_ticket(ContactFactory().user) for _ in range(38)], actor=engineer)
    services.incident_post_update(incident=incident, author=engineer, body="Two")
    assert queries() == few


def test_the_banner_shows_on_every_page_for_affected_contacts_only(client, engineer, contact_a,
                                                                   contact_b, incident):
    link(incident, file_ticket(contact_a), actor=engineer)
    for _ in range(4):
        link(incident, file_ticket(ContactFactory().user), actor=engineer)
    post(incident, engineer, body="We are rolling back the release.")
    client.force_login(contact_a)
    # Every page asks for it after loading (like the bell's badge), so no page pays for it.
    for url in ("/tickets/", "/signature-requests/", "/tickets/new/", "/accounts/profile/"):
        html = client.get(url).content.decode()
        assert 'hx-get="/incidents/banner/"' in html, url
    banner = client.get("/incidents/banner/").content.decode()
    assert 'class="incident-banner"' in banner
    assert "Release 2026.11.30 blocks Outlook" in banner
    assert "We are rolling back the release." in banner
    assert "Investigating" in banner
    words = re.sub(r"<[^>]+>", " ", re.sub(r"<time.*?</time>", "", banner, flags=re.S))
    words = words.replace("Release 2026.11.30 blocks Outlook", "")
    # Five companies are affected: the banner says neither how many nor which.
    assert not re.search(r"\d", words), words
    assert "compan" not in words.lower()

    client.force_login(contact_b)
    assert client.get("/incidents/banner/").content == b""
    client.force_login(engineer)
    assert 'hx-get="/incidents/banner/"' not in client.get("/queue/").content.decode()
    assert client.get("/incidents/banner/").status_code == 204
    client.logout()
    assert client.get("/incidents/banner/").status_code == 204

    post(incident, engineer, body="Fixed.", status="resolved")
    client.force_login(contact_a)
    assert client.get("/incidents/banner/").content == b""


def test_the_banner_costs_one_query_however_many_incidents(client, engineer, contact_a,
                                                          django_assert_num_queries):
    client.force_login(contact_a)
    for i in range(3):
        incident = services.incident_create(actor=engineer, title=f"Incident {i}",
                                            description="d", severity=2)
        link(incident, file_ticket(contact_a), actor=engineer)
        post(incident, engineer, body=f"Update {i}")
    # session, user, the contact (the two-factor rule of the contact's company, checked on
    # every request), the incidents with their latest update
    with django_assert_num_queries(4):
        html = client.get("/incidents/banner/").content.decode()
    assert html.count('class="incident-banner-item') == 3


def test_the_filing_page_offers_an_open_incident_on_the_same_product(client, engineer,
                                                                     contact_a, incident):
    client.force_login(contact_a)
    page = client.get("/tickets/new/").content.decode()
    assert 'hx-get="/incidents/offer/"' in page
    assert "{#" not in page
    assert "SPEC" not in page
    offer = client.get("/incidents/offer/", {"product": "endpoint security"}).content.decode()
    assert "Release 2026.11.30 blocks Outlook" in offer
    assert f'value="{incident.pk}"' in offer
    assert "Outlook" not in client.get("/incidents/offer/", {"product": "Mail Gateway"}) \
        .content.decode()
    client.force_login(engineer)
    assert client.get("/incidents/offer/", {"product": PRODUCT}).status_code == 403

    client.force_login(contact_a)
    response = client.post("/tickets/new/", {
        "subject": "Outlook quarantined", "description": "Since this morning.", "severity": "1",
        "kind": "incident", "product": PRODUCT, "product_version": "12", "incident": incident.pk,
    })
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get(subject="Outlook quarantined")
    assert IncidentLink.objects.get(ticket=ticket).incident == incident

    # An incident resolved meanwhile: the request is filed on its own, and the contact is told.
    post(incident, engineer, body="Fixed.", status="resolved")
    response = client.post("/tickets/new/", {
        "subject": "Still blocked?", "description": "d", "severity": "2", "kind": "incident",
        "product": PRODUCT, "incident": incident.pk,
    }, follow=True)
    assert response.status_code == 200
    assert not IncidentLink.objects.filter(ticket__subject="Still blocked?").exists()
    assert "no longer open" in response.content.decode()


def test_a_contact_cannot_link_to_an_incident_on_another_product(engineer, contact_a, incident):
    from django.core.exceptions import ValidationError

    ticket = file_ticket(contact_a, product="Mail Gateway")
    with pytest.raises(ValidationError):
        incident_link(incident=incident, ticket=ticket, actor=contact_a)
    other = file_ticket(ContactFactory().user, product=PRODUCT)
    with pytest.raises(ValidationError):
        incident_link(incident=incident, ticket=other, actor=contact_a)


def test_the_timeline_says_which_incident_in_words(client, engineer, contact_a, incident):
    ticket = file_ticket(contact_a)
    link(incident, ticket, actor=engineer)
    client.force_login(contact_a)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Major incident" in html
    assert "Release 2026.11.30 blocks Outlook" in html


def test_incidents_speak_portuguese(client, engineer, contact_a, incident):
    link(incident, file_ticket(contact_a), actor=engineer)
    contact_a.language = "pt-br"
    contact_a.save()
    post(incident, engineer)
    subjects = OutboundEmail.objects.filter(to=contact_a.email).values_list("subject", flat=True)
    assert any("Atualização de incidente grave" in s for s in subjects), list(subjects)
    client.force_login(contact_a)
    html = client.get("/incidents/banner/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Incidente grave" in html
    assert "Investigando" in html


def test_companies_are_never_named_to_contacts_in_the_reply(engineer, contact_a, contact_b,
                                                            incident):
    link(incident, file_ticket(contact_a), file_ticket(contact_b), actor=engineer)
    post(incident, engineer)
    for comment in Comment.objects.all():
        assert "Company A" not in comment.body
        assert "Company B" not in comment.body


def test_one_transaction_nudges_each_worker_once(engineer, incident,
                                                 django_capture_on_commit_callbacks):
    """Six tickets filed (six acknowledgements), linked, and an update posted and fanned out
    (six more e-mails), all in this test's one transaction: one nudge of the mail worker and
    one of the fan-out, not one per e-mail."""
    with django_capture_on_commit_callbacks() as callbacks:
        link(incident, *[file_ticket(ContactFactory().user) for _ in range(6)], actor=engineer)
        update = services.incident_post_update(incident=incident, author=engineer,
                                               body="Rolling back.")
        assert services.deliver_batch(update.pk) == 6
    nudges = [getattr(c, "nudge", None) for c in callbacks]
    assert sorted(nudges) == [("tickets.incidents.tasks.fan_out_update", (update.pk,)),
                              ("tickets.notifications.tasks.deliver_outbox", ())], nudges
    assert OutboundEmail.objects.filter(subject__contains="Major incident").count() == 6
