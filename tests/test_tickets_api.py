"""Tickets API: filing, reading, staff changes, comments, attachments (SPEC §3, §8)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import ContactFactory, file_ticket
from tickets.models import Comment, EventKind, OutboundEmail, Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
BODY = {"subject": "Update fails", "description": "Error 0x80 on update.", "severity": 3,
        "kind": "incident", "product": "Endpoint Security", "product_version": "12.1"}
READ_FIELDS = {"id", "number", "company", "requester", "status", "channel", "assignee",
               "created_at", "response_due_at", "first_response_at", "response_breached_at",
               "sla_state", "subject", "description", "severity", "kind", "product",
               "product_version"}


class TestFiling:
    def test_a_contact_files_for_their_company_through_the_api(self, api, contact_a, company_a):
        response = api(contact_a).post(TICKETS, BODY, format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        assert set(data) >= READ_FIELDS
        assert data["company"] == company_a.pk
        assert data["requester"] == contact_a.pk
        assert data["channel"] == "api"
        assert data["status"] == "new"
        assert data["sla_state"] == "on_track"
        assert data["number"] == f"TS-{data['id']:06d}"
        assert data["first_response_at"] is None
        assert "+00:00" in data["created_at"] or data["created_at"].endswith("Z")

    def test_the_deadline_follows_the_enhanced_targets(self, api, contact_a):
        for severity, minutes in ((1, 30), (2, 240), (3, 360), (4, 480)):
            ticket = Ticket.objects.get(
                pk=api(contact_a).post(TICKETS, {**BODY, "severity": severity}).json()["id"]
            )
            assert ticket.response_due_at - ticket.created_at == timedelta(minutes=minutes)
            assert ticket.response_warn_at - ticket.created_at == timedelta(minutes=minutes * .75)

    def test_filing_sends_an_acknowledgement_with_the_deadline(self, api, contact_a):
        ticket_id = api(contact_a).post(TICKETS, BODY).json()["id"]
        ack = OutboundEmail.objects.get(ticket_id=ticket_id)
        assert ack.to == contact_a.email
        assert "respond by" in ack.body

    @pytest.mark.parametrize(("change", "field"), [
        ({"severity": 0}, "severity"), ({"severity": 5}, "severity"),
        ({"severity": "high"}, "severity"), ({"subject": ""}, "subject"),
        ({"subject": None}, "subject"), ({"description": None}, "description"),
        ({"kind": "signature_change"}, "kind"), ({"kind": "party"}, "kind"),
    ])
    def test_bad_input_is_400_and_nothing_is_written(self, api, contact_a, change, field):
        body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
        response = api(contact_a).post(TICKETS, body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert Ticket.objects.count() == 0
        assert OutboundEmail.objects.count() == 0

    def test_a_contact_cannot_set_staff_fields(self, api, contact_a, company_b, contact_b):
        response = api(contact_a).post(TICKETS, {**BODY, "company": company_b.pk,
                                                 "requester": contact_b.pk, "channel": "phone"})
        assert response.status_code == 400
        assert "Only support staff" in response.json()["detail"]
        assert Ticket.objects.count() == 0

    def test_an_expired_license_refuses_new_tickets_with_a_reason(self, api, contact_a, company_a):
        company_a.license_valid_until = timezone.localdate() - timedelta(days=1)
        company_a.save()
        response = api(contact_a).post(TICKETS, BODY)
        assert response.status_code == 403
        assert "license" in response.json()["detail"]
        assert Ticket.objects.count() == 0
        # History stays readable.
        assert api(contact_a).get(TICKETS).status_code == 200

    def test_staff_file_on_behalf_of_a_contact_by_phone(self, api, engineer, contact_a, company_a):
        called = timezone.now() - timedelta(minutes=10)
        response = api(engineer).post(TICKETS, {**BODY, "severity": 1, "requester": contact_a.pk,
                                                "received_at": called.isoformat()})
        assert response.status_code == 201, response.content
        ticket = Ticket.objects.get(pk=response.json()["id"])
        assert ticket.channel == "phone"
        assert ticket.company == company_a
        assert ticket.created_at == called
        assert ticket.response_due_at == called + timedelta(minutes=30)
        assert ticket.events.get(kind=EventKind.CREATED).actor == engineer

    def test_staff_must_name_an_active_contact(self, api, engineer, contact_a):
        assert api(engineer).post(TICKETS, BODY).status_code == 400
        contact_a.contact.is_active = False
        contact_a.contact.save()
        response = api(engineer).post(TICKETS, {**BODY, "requester": contact_a.pk})
        assert response.status_code == 400
        assert Ticket.objects.count() == 0

    def test_staff_cannot_mix_a_company_with_another_companys_contact(
        self, api, engineer, contact_a, company_b
    ):
        response = api(engineer).post(TICKETS, {**BODY, "requester": contact_a.pk,
                                                "company": company_b.pk})
        assert response.status_code == 400
        assert Ticket.objects.count() == 0

    def test_anonymous_gets_401(self, api):
        assert api().post(TICKETS, BODY).status_code == 401
        assert api().get(TICKETS).status_code == 401


class TestReading:
    def test_a_contact_lists_only_their_companys_tickets(self, api, contact_a, contact_b):
        colleague = ContactFactory(company=contact_a.contact.company).user
        mine = {file_ticket(contact_a).pk, file_ticket(colleague).pk}
        file_ticket(contact_b)
        listed = api(contact_a).get(TICKETS).json()
        assert {t["id"] for t in listed["results"]} == mine
        assert listed["count"] == 2

    @pytest.mark.parametrize("who", ["engineer", "tam", "other_tam", "expert", "admin"])
    def test_staff_see_every_ticket(self, api, personas, who):
        ids = {file_ticket(personas["contact_a"]).pk, file_ticket(personas["contact_b"]).pk}
        listed = api(personas[who]).get(TICKETS).json()["results"]
        assert {t["id"] for t in listed} == ids

    def test_the_list_costs_the_same_queries_for_3_or_30_tickets(
        self, api, contact_a, django_assert_max_num_queries
    ):
        for _ in range(3):
            file_ticket(contact_a)
        client = api(contact_a)
        # contact + company lookup for the tenant filter, count, page.
        with django_assert_max_num_queries(4):
            assert client.get(TICKETS).status_code == 200
        for _ in range(27):
            file_ticket(contact_a)
        with django_assert_max_num_queries(4):
            assert len(client.get(TICKETS).json()["results"]) == 25

    def test_an_unknown_status_filter_is_400(self, api, contact_a):
        assert api(contact_a).get(TICKETS, {"status": "lost"}).status_code == 400


class TestStaffChanges:
    def test_staff_change_severity_status_and_assignee(self, api, engineer, contact_a):
        ticket = file_ticket(contact_a)
        response = api(engineer).patch(f"{TICKETS}{ticket.pk}/",
                                       {"severity": 1, "status": "open",
                                        "assignee": engineer.pk}, format="json")
        assert response.status_code == 200, response.content
        ticket.refresh_from_db()
        assert (ticket.severity, ticket.status, ticket.assignee) == (1, "open", engineer)
        kinds = list(ticket.events.values_list("kind", "old_value", "new_value"))
        assert ("severity", "2", "1") in kinds
        assert ("status", "new", "open") in kinds
        assert ("assignee", "", engineer.full_name) in kinds

    def test_a_contact_cannot_patch(self, api, contact_a):
        ticket = file_ticket(contact_a)
        response = api(contact_a).patch(f"{TICKETS}{ticket.pk}/", {"severity": 1}, format="json")
        assert response.status_code == 403
        ticket.refresh_from_db()
        assert ticket.severity == 2

    @pytest.mark.parametrize(("path", "expected"), [
        (["resolved", "closed", "open"], 409),
        (["closed"], 409),
        (["open", "new"], 409),
    ])
    def test_an_invalid_status_transition_is_409(self, api, engineer, contact_a, path, expected):
        ticket = file_ticket(contact_a)
        client = api(engineer)
        responses = [client.patch(f"{TICKETS}{ticket.pk}/", {"status": s}, format="json")
                     for s in path]
        assert responses[-1].status_code == expected
        assert "cannot go from" in responses[-1].json()["detail"]

    @pytest.mark.parametrize("body", [{"severity": 9}, {"status": "lost"}, {"assignee": 999999},
                                      {"subject": "rename"}, {}])
    def test_bad_patches_are_400(self, api, engineer, contact_a, body):
        ticket = file_ticket(contact_a)
        response = api(engineer).patch(f"{TICKETS}{ticket.pk}/", body, format="json")
        assert response.status_code == 400
        ticket.refresh_from_db()
        assert (ticket.severity, ticket.status, ticket.subject) == (2, "new", "Scanner stops")

    def test_tickets_cannot_be_assigned_to_a_contact(self, api, engineer, contact_a):
        ticket = file_ticket(contact_a)
        response = api(engineer).patch(f"{TICKETS}{ticket.pk}/", {"assignee": contact_a.pk},
                                       format="json")
        assert response.status_code == 400


class TestComments:
    def url(self, ticket) -> str:
        return f"{TICKETS}{ticket.pk}/comments/"

    def test_a_contact_comments_and_reads_public_comments(self, api, contact_a, engineer):
        ticket = file_ticket(contact_a)
        api(engineer).post(self.url(ticket), {"body": "Public answer"})
        api(engineer).post(self.url(ticket), {"body": "SECRET internal", "internal": True})
        response = api(contact_a).post(self.url(ticket), {"body": "Thanks"})
        assert response.status_code == 201
        assert set(response.json()) >= {"id", "author", "created_at", "body", "internal"}
        bodies = [c["body"] for c in api(contact_a).get(self.url(ticket)).json()["results"]]
        assert bodies == ["Public answer", "Thanks"]
        staff_view = [c["body"] for c in api(engineer).get(self.url(ticket)).json()["results"]]
        assert "SECRET internal" in staff_view

    def test_a_contact_cannot_write_an_internal_note(self, api, contact_a):
        ticket = file_ticket(contact_a)
        response = api(contact_a).post(self.url(ticket), {"body": "x", "internal": True})
        assert response.status_code == 400
        assert Comment.objects.count() == 0

    def test_an_empty_comment_is_400(self, api, contact_a):
        ticket = file_ticket(contact_a)
        assert api(contact_a).post(self.url(ticket), {"body": "  "}).status_code == 400
        assert api(contact_a).post(self.url(ticket), {}).status_code == 400

    def test_a_customer_reply_reopens_a_resolved_ticket(self, api, contact_a, engineer):
        ticket = file_ticket(contact_a)
        api(engineer).patch(f"{TICKETS}{ticket.pk}/", {"status": "resolved"}, format="json")
        api(contact_a).post(self.url(ticket), {"body": "Still broken"})
        ticket.refresh_from_db()
        assert ticket.status == "open"
        assert ticket.events.filter(kind=EventKind.REOPENED, actor=contact_a).exists()

    def test_a_closed_ticket_takes_no_customer_comment(self, api, contact_a, engineer):
        ticket = file_ticket(contact_a)
        for s in ("resolved", "closed"):
            api(engineer).patch(f"{TICKETS}{ticket.pk}/", {"status": s}, format="json")
        response = api(contact_a).post(self.url(ticket), {"body": "Hello?"})
        assert response.status_code == 409
        assert "closed" in response.json()["detail"]

    def test_a_staff_public_reply_emails_the_requester_but_a_note_does_not(
        self, api, contact_a, engineer
    ):
        ticket = file_ticket(contact_a)
        OutboundEmail.objects.all().delete()
        api(engineer).post(self.url(ticket), {"body": "INTERNAL ONLY", "internal": True})
        assert not OutboundEmail.objects.filter(to=contact_a.email).exists()
        api(engineer).post(self.url(ticket), {"body": "Public"})
        sent = OutboundEmail.objects.get(to=contact_a.email)
        assert "Public" in sent.body
        assert all("INTERNAL ONLY" not in e.body for e in OutboundEmail.objects.all())


class TestAttachments:
    def url(self, ticket) -> str:
        return f"{TICKETS}{ticket.pk}/attachments/"

    def test_it_stores_privately_with_a_hash_and_serves_as_a_download(
        self, api, contact_a, settings, tmp_path
    ):
        settings.PRIVATE_MEDIA_ROOT = tmp_path
        ticket = file_ticket(contact_a)
        upload = SimpleUploadedFile("<script>x.html", b"<html><script>alert(1)</script>",
                                    content_type="text/html")
        response = api(contact_a).post(self.url(ticket), {"file": upload}, format="multipart")
        assert response.status_code == 201, response.content
        data = response.json()
        import hashlib

        assert data["sha256"] == hashlib.sha256(b"<html><script>alert(1)</script>").hexdigest()
        stored = list(tmp_path.rglob("*"))
        assert any(p.is_file() and p.read_bytes() == b"<html><script>alert(1)</script>"
                   for p in stored)
        assert all("script" not in p.name for p in stored)  # generated names only
        download = api(contact_a).get(data["download_url"])
        assert download.status_code == 200
        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download["Content-Security-Policy"]
        assert b"".join(download.streaming_content) == b"<html><script>alert(1)</script>"

    def test_an_oversized_file_is_refused_and_nothing_is_stored(
        self, api, contact_a, settings, tmp_path
    ):
        settings.PRIVATE_MEDIA_ROOT = tmp_path
        settings.ATTACHMENT_MAX_BYTES = 10
        ticket = file_ticket(contact_a)
        upload = SimpleUploadedFile("big.bin", b"x" * 11)
        response = api(contact_a).post(self.url(ticket), {"file": upload}, format="multipart")
        assert response.status_code == 400
        assert "limit" in response.json()["detail"]
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]
        assert ticket.attachments.count() == 0
