"""A contact of company A gets 404 for every ticket, comment and attachment URL of company B,
and never sees an internal note in any API response (SPEC §1)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import file_ticket
from tickets import services

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL-ONLY-7f3a"


@pytest.fixture
def ticket_b(contact_b, engineer, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    ticket = file_ticket(contact_b)
    services.comment_add(ticket=ticket, author=contact_b, body="public b",
                         files=[SimpleUploadedFile("b.txt", b"company b data")])
    return ticket


def urls_of(ticket) -> list[tuple[str, str, dict]]:
    attachment = ticket.attachments.first()
    base = f"/api/v1/tickets/{ticket.pk}/"
    return [
        ("get", base, {}),
        ("patch", base, {"severity": 1}),
        ("get", f"{base}comments/", {}),
        ("post", f"{base}comments/", {"body": "hi"}),
        ("get", f"{base}attachments/", {}),
        ("get", f"/api/v1/attachments/{attachment.pk}/download/", {}),
    ]


def test_it_answers_404_for_every_url_of_another_company(api, contact_a, ticket_b):
    client = api(contact_a)
    for method, url, body in urls_of(ticket_b):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    upload = SimpleUploadedFile("x.txt", b"x")
    response = client.post(f"/api/v1/tickets/{ticket_b.pk}/attachments/", {"file": upload},
                           format="multipart")
    assert response.status_code == 404
    assert ticket_b.comments.count() == 1
    assert ticket_b.attachments.count() == 1
    ticket_b.refresh_from_db()
    assert ticket_b.severity == 2


def test_404_also_for_ids_that_do_not_exist(api, contact_a):
    client = api(contact_a)
    for url in ("/api/v1/tickets/99999999/", "/api/v1/tickets/99999999/comments/",
                "/api/v1/attachments/99999999/download/"):
        assert client.get(url).status_code == 404


def test_the_owning_company_can_reach_them(api, contact_b, ticket_b):
    client = api(contact_b)
    for method, url, _body in urls_of(ticket_b):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_internal_notes_and_their_files_never_reach_a_contact(api, contact_a, engineer):
    ticket = file_ticket(contact_a)
    note = services.comment_add(ticket=ticket, author=engineer, body=SECRET, internal=True,
                                files=[SimpleUploadedFile("secret.txt", SECRET.encode())])
    services.comment_add(ticket=ticket, author=engineer, body="Public reply")
    client = api(contact_a)
    responses = [
        client.get("/api/v1/tickets/"),
        client.get(f"/api/v1/tickets/{ticket.pk}/"),
        client.get(f"/api/v1/tickets/{ticket.pk}/comments/"),
        client.get(f"/api/v1/tickets/{ticket.pk}/attachments/"),
    ]
    for response in responses:
        assert response.status_code == 200
        assert SECRET not in json.dumps(response.json())
        assert "secret.txt" not in json.dumps(response.json())
    secret_file = note.attachments.get()
    assert client.get(f"/api/v1/attachments/{secret_file.pk}/download/").status_code == 404
    # Staff see both.
    staff = json.dumps(api(engineer).get(f"/api/v1/tickets/{ticket.pk}/comments/").json())
    assert SECRET in staff
    assert api(engineer).get(f"/api/v1/attachments/{secret_file.pk}/download/"
                             ).status_code == 200


def test_a_deactivated_contact_sees_nothing(api, contact_a):
    ticket = file_ticket(contact_a)
    contact = contact_a.contact
    contact.is_active = False
    contact.save()
    client = api(contact_a)
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
