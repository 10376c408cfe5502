"""Hostile and oversized input gets a clear 400 and writes nothing (issue "Nothing lost, nothing
late", defect 5): JSON nesting and size limits, invalid UTF-8, field lengths on every channel,
and a bounded excerpt in the acknowledgement e-mail."""

import json

import pytest
from django.core.exceptions import ValidationError

from support_portal.kernel.parsers import json_depth
from tests.factories import file_ticket
from tickets import limits
from tickets.models import Comment, OutboundEmail, Ticket
from tickets.services import comment_add

pytestmark = pytest.mark.django_db

TICKET = {"subject": "Scanner stops", "description": "It stops.", "severity": 2}


def post_raw(client, path: str, body: bytes):
    return client.post(path, data=body, content_type="application/json")


def test_json_depth_counts_only_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}', 10) == 3
    assert json_depth(b'"\\"[[["', 10) == 0
    assert json_depth(b"[" * 5000, 32) == 33  # stops counting past the limit


@pytest.mark.parametrize("body", [
    b"[" * 1000 + b"]" * 1000,
    b"[" * 100_000,
    ('{"subject": ' + "[" * 50 + "1" + "]" * 50 + "}").encode(),
    b'{"a":' * 1000 + b"1" + b"}" * 1000,
])
def test_deeply_nested_json_is_a_400_not_a_500(api, contact_a, body):
    response = post_raw(api(contact_a), "/api/v1/tickets/", body)
    assert response.status_code == 400, response.content
    assert "nested" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_body_over_the_size_limit_is_a_400(api, contact_a, settings):
    settings.API_JSON_MAX_BYTES = 64 * 1024
    body = json.dumps({**TICKET, "description": "x" * 100_000}).encode()
    response = post_raw(api(contact_a), "/api/v1/tickets/", body)
    assert response.status_code == 400
    assert "larger than 64 kB" in response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", [
    b'{"subject": "\xff\xfe bad", "description": "x", "severity": 2}',
    b'{"subject": "x", "description": "\xc3\x28", "severity": 2}',
    b'{"subject": "x",',
    b"\x00\x01\x02",
])
def test_invalid_utf8_and_malformed_json_are_400s(api, contact_a, body):
    response = post_raw(api(contact_a), "/api/v1/tickets/", body)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("field", "limit"), [
    ("subject", limits.SUBJECT_MAX), ("description", limits.DESCRIPTION_MAX),
    ("product", limits.PRODUCT_MAX), ("product_version", limits.PRODUCT_VERSION_MAX),
])
def test_each_ticket_field_has_its_limit_in_the_api(api, contact_a, field, limit):
    at_limit = api(contact_a).post("/api/v1/tickets/", {**TICKET, field: "x" * limit},
                                   format="json")
    assert at_limit.status_code == 201, at_limit.content
    over = api(contact_a).post("/api/v1/tickets/", {**TICKET, field: "x" * (limit + 1)},
                               format="json")
    assert over.status_code == 400
    assert field in over.json()["errors"]
    assert Ticket.objects.count() == 1


def test_the_services_enforce_the_limits_for_every_channel(contact_a, engineer):
    with pytest.raises(ValidationError) as raised:
        file_ticket(contact_a, description="x" * (limits.DESCRIPTION_MAX + 1),
                    subject="y" * (limits.SUBJECT_MAX + 1))
    assert set(raised.value.message_dict) == {"description", "subject"}
    ticket = file_ticket(contact_a)
    with pytest.raises(ValidationError):
        comment_add(ticket=ticket, author=engineer, body="z" * (limits.COMMENT_MAX + 1))
    assert not Comment.objects.exists()


def test_a_comment_over_the_limit_is_a_400(api, contact_a):
    ticket = file_ticket(contact_a)
    response = api(contact_a).post(f"/api/v1/tickets/{ticket.pk}/comments/",
                                   {"body": "z" * (limits.COMMENT_MAX + 1)}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("payload", [
    {**TICKET, "severity": "abc"}, {**TICKET, "severity": [2]}, {**TICKET, "subject": {"a": 1}},
    {**TICKET, "subject": None}, {**TICKET, "severity": 10**400}, [TICKET], "ticket", 42,
])
def test_wrong_types_are_400s(api, contact_a, payload):
    response = api(contact_a).post("/api/v1/tickets/", payload, format="json")
    assert response.status_code == 400, response.content
    assert not Ticket.objects.exists()


def test_the_acknowledgement_quotes_a_bounded_excerpt(contact_a):
    description = ("word " * 10_000).strip()
    ticket = file_ticket(contact_a, description=description)
    ack = OutboundEmail.objects.get(ticket=ticket)
    assert len(ack.body) < limits.ACK_EXCERPT_CHARS + 1000
    assert "…" in ack.body
    assert Ticket.objects.get(pk=ticket.pk).description == description  # kept whole


def test_the_schema_declares_the_limits(api, admin):
    schema = api(admin).get("/api/v1/schema/?format=json").json()
    fields = schema["components"]["schemas"]["TicketCreateInputRequest"]["properties"]
    assert fields["description"]["maxLength"] == limits.DESCRIPTION_MAX
    assert fields["subject"]["maxLength"] == limits.SUBJECT_MAX


def test_the_new_ticket_page_refuses_a_too_long_subject_with_a_form_error(client, contact_a):
    client.force_login(contact_a)
    response = client.post("/tickets/new/", {**TICKET, "subject": "s" * 201, "kind": "incident"})
    assert response.status_code == 400  # the form again, with the error next to the field
    assert "at most 200 characters" in response.content.decode()
    assert not Ticket.objects.exists()
