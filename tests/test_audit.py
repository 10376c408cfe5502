"""The audit log (SPEC §14): written with the action it records, append-only (the model and a
PostgreSQL trigger), readable by admins (all) and TAMs (their accounts) through the API (with
CSV export) and a page."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.utils import timezone

from accounts import audit
from accounts.audit import Action, AuditEntry
from tests.factories import PASSWORD, ContactFactory, file_ticket, totp_code

pytestmark = pytest.mark.django_db
AUDIT = "/api/v1/audit/"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def scenario(client, api, tam, engineer, company_a, contact_a, company_b, contact_b):
    """One scripted scenario: a failed then a successful sign-in of a contact, a contact added
    and then deactivated by the account's TAM, the contact's malware sample downloaded by an
    engineer; and a failed sign-in at company B (which ``tam`` does not manage)."""
    from tests.test_signature_requests import file_request

    client.post("/accounts/login/", {"login": contact_a.email, "password": "wrong-password"})
    client.post("/accounts/login/", {"login": contact_a.email, "password": PASSWORD})
    created = api(tam).post(f"/api/v1/companies/{company_a.pk}/contacts/", {
        "email": "new.contact@example.com", "full_name": "New Contact",
        "password": "a-long-enough-password"})
    assert created.status_code == 201
    assert api(tam).patch(f"/api/v1/companies/{company_a.pk}/contacts/{created.json()['id']}/",
                          {"is_active": False}).status_code == 200
    from tickets.models import DatabaseRelease

    DatabaseRelease.objects.create(version="2026.11.22.03", released_at=timezone.now())
    filed = file_request(api, contact_a)
    assert api(engineer).get(filed["sample_url"]).status_code == 200
    Client().post("/accounts/login/", {"login": contact_b.email, "password": "wrong"})
    return {"contact_id": created.json()["id"], "signature_request": filed}


def test_one_scenario_produces_these_entries(api, admin, company_a, contact_a, tam, engineer,
                                             scenario, capsys):
    rows = api(admin).get(AUDIT, {"company": company_a.pk}).json()["results"]
    with capsys.disabled():  # the figures for the record
        print("\naudit entries of the scenario (oldest first):")
        for r in reversed(rows):
            print(f"  {r['action']:<22} actor={r['actor']['email']:<28} "
                  f"company={r['company_name']} object={r['object'] and r['object']['label']} "
                  f"ip={r['ip']}")
    seen = [(r["action"], r["actor"]["email"]) for r in reversed(rows)]
    assert seen == [
        (Action.SIGN_IN_FAILED, contact_a.email),
        (Action.SIGN_IN, contact_a.email),
        (Action.CONTACT_ADDED, tam.email),
        (Action.CONTACT_DEACTIVATED, tam.email),
        (Action.SAMPLE_DOWNLOADED, engineer.email),
    ]
    assert all(r["ip"] == "127.0.0.1" for r in rows)
    assert all(r["company"] == company_a.pk for r in rows)
    assert rows[0]["object"]["type"] == "SignatureRequest"
    assert rows[0]["detail"]["sha256"]
    assert set(rows[0]) == {"id", "at", "actor", "action", "company", "company_name", "object",
                            "ip", "detail"}


def test_a_tam_sees_only_their_accounts(api, tam, other_tam, admin, company_a, company_b,
                                        scenario):
    mine = api(tam).get(AUDIT, {"page_size": 200}).json()
    assert mine["count"] == 5
    assert {r["company"] for r in mine["results"]} == {company_a.pk}
    theirs = api(other_tam).get(AUDIT).json()
    assert {r["company"] for r in theirs["results"]} == {company_b.pk}
    assert api(tam).get(AUDIT, {"company": company_b.pk}).json()["count"] == 0
    everything = api(admin).get(AUDIT, {"page_size": 200}).json()["results"]
    assert {company_a.pk, company_b.pk, None} <= {r["company"] for r in everything}


@pytest.mark.parametrize("who", ["engineer", "expert", "contact_a"])
def test_nobody_else_reads_it(api, personas, who):
    assert api(personas[who]).get(AUDIT).status_code == 403


def test_it_filters_by_actor_action_and_period(api, admin, tam, contact_a, scenario):
    by_actor = api(admin).get(AUDIT, {"actor": tam.pk}).json()["results"]
    # (the TAM's enrolment in two-factor sign-in is theirs too, from the fixture)
    assert {r["action"] for r in by_actor} == {Action.CONTACT_ADDED, Action.CONTACT_DEACTIVATED,
                                               Action.MFA_ENROLLED}
    by_email = api(admin).get(AUDIT, {"actor": contact_a.email}).json()["results"]
    assert Action.SIGN_IN_FAILED in {r["action"] for r in by_email}
    by_action = api(admin).get(AUDIT, {"action": "sample_downloaded"}).json()
    assert by_action["count"] == 1
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert api(admin).get(AUDIT, {"since": tomorrow}).json()["count"] == 0
    assert api(admin).get(AUDIT, {"until": tomorrow}).json()["count"] >= 6


@pytest.mark.parametrize("query", [{"action": "nope"}, {"company": "x"},
                                   {"since": "yesterday"},
                                   {"since": "2026-02-02", "until": "2026-01-01"}])
def test_bad_filters_are_400(api, admin, query):
    response = api(admin).get(AUDIT, query)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_the_csv_export_streams_every_matching_entry(api, tam, company_a, scenario):
    response = api(tam).get(AUDIT, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5
    assert {r["company"] for r in rows} == {company_a.name}
    assert rows[-1]["action"] == Action.SIGN_IN_FAILED


def test_csv_cells_never_start_a_formula(api, admin, company_a):
    audit.record(action=Action.SIGN_IN_FAILED, actor_email="=HYPERLINK(\"x\")",
                 company=company_a)
    body = b"".join(api(admin).get(AUDIT, {"format": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_the_list_costs_the_same_queries_for_few_or_many(api, admin, company_a,
                                                         django_assert_num_queries):
    for _ in range(3):
        audit.record(action=Action.SIGN_IN, actor=admin, company=company_a)
    # count + page (entries joined with actor and company)
    with django_assert_num_queries(2):
        assert len(api(admin).get(AUDIT, {"company": company_a.pk}).json()["results"]) == 3
    for _ in range(40):
        audit.record(action=Action.SIGN_IN, actor=admin, company=company_a)
    with django_assert_num_queries(2):
        assert len(api(admin).get(AUDIT, {"company": company_a.pk}).json()["results"]) == 25


def test_entries_cannot_be_changed_or_deleted(admin):
    entry = audit.record(action=Action.SIGN_IN, actor=admin)
    with pytest.raises(audit.AppendOnly):
        entry.save()
    with pytest.raises(audit.AppendOnly):
        entry.delete()
    # Below the ORM too: PostgreSQL refuses UPDATE and DELETE.
    for sql in ("UPDATE accounts_auditentry SET action = 'sign_in_failed' WHERE id = %s",
                "DELETE FROM accounts_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, action=Action.SIGN_IN).exists()


def test_an_entry_is_rolled_back_with_its_action(admin, company_a):
    from accounts import services

    def add_then_fail() -> None:
        with transaction.atomic():
            services.contact_create(company=company_a, email="x@example.com", full_name="X",
                                    password="a-long-enough-password", actor=admin)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert not AuditEntry.objects.filter(action=Action.CONTACT_ADDED).exists()


def test_staff_creation_role_change_and_tokens_are_recorded(api, admin, contact_a):
    from accounts import services

    created = api(admin).post("/api/v1/staff/", {"email": "eng@example.com", "full_name": "E",
                                                 "password": "a-long-enough-password",
                                                 "role": "engineer"})
    assert created.status_code == 201
    user = services.user_change_role(user=services.User.objects.get(pk=created.json()["id"]),
                                     role="tam", actor=admin)
    assert user.role == "tam"
    api().post("/api/v1/auth/token/", {"email": contact_a.email, "password": PASSWORD})
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {Action.STAFF_CREATED, Action.ROLE_CHANGED, Action.TOKEN_ISSUED} <= actions
    change = AuditEntry.objects.get(action=Action.ROLE_CHANGED)
    assert change.detail == {"from": "engineer", "to": "tam"}
    assert change.actor_id == admin.pk


def test_the_page_is_for_admins_and_tams(client, tam, engineer, scenario, company_a):
    client.force_login(tam)
    page = client.get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Contact deactivated" in html
    assert "Company A" in html
    assert "Company B" not in html
    assert 'href="/api/v1/audit/?format=csv"' in html
    client.force_login(engineer)
    assert client.get("/audit/").status_code == 403


def test_the_page_costs_the_same_queries_for_few_or_many(client, admin, company_a):
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    audit.record(action=Action.SIGN_IN, actor=admin, company=company_a)
    few = queries()
    for _ in range(60):
        audit.record(action=Action.SIGN_IN, actor=admin, company=company_a)
    assert queries() == few


def test_an_attachment_download_is_recorded(api, contact_a, company_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets import services as ticket_services

    attachment = ticket_services.attachment_add(
        ticket=file_ticket(contact_a), uploaded_by=contact_a,
        upload=SimpleUploadedFile("log.txt", b"trace", content_type="text/plain"))
    assert api(contact_a).get(f"/api/v1/attachments/{attachment.pk}/download/").status_code == 200
    entry = AuditEntry.objects.get(action=Action.ATTACHMENT_DOWNLOADED)
    assert (entry.actor_id, entry.company_id, entry.object_id) == (
        contact_a.pk, company_a.pk, str(attachment.pk))


def test_a_sample_zip_download_is_recorded(api, engineer, contact_a):
    from tests.test_signature_requests import file_request
    from tickets.models import DatabaseRelease

    DatabaseRelease.objects.create(version="2026.11.22.03", released_at=timezone.now())
    filed = file_request(api, contact_a)
    assert api(engineer).get(f"/api/v1/signature-requests/{filed['id']}/sample.zip"
                             ).status_code == 200
    assert AuditEntry.objects.get(action=Action.SAMPLE_DOWNLOADED).detail["as"] == "zip"


def test_a_second_factor_sign_in_is_recorded(client, engineer):
    client.post("/accounts/login/", {"login": engineer.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert AuditEntry.objects.filter(action=Action.SIGN_IN, actor=engineer).exists()


def test_contacts_reactivated_are_recorded(admin, company_a):
    from accounts import services

    contact = ContactFactory(company=company_a)
    services.contact_update(contact=contact, is_active=False, actor=admin)
    services.contact_update(contact=contact, is_active=True, actor=admin)
    assert AuditEntry.objects.filter(action=Action.CONTACT_REACTIVATED, actor=admin).exists()


def test_the_admin_site_records_role_changes_and_new_staff(client, admin, engineer):
    """The Django admin goes through the same service as the API: a role change and a new
    staff member land in the audit log."""
    from accounts.audit import Action, AuditEntry

    client.force_login(admin)
    base = {"email": engineer.email, "full_name": engineer.full_name, "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = client.post(f"/admin/accounts/user/{engineer.pk}/change/",
                           {**base, "role": "tam"})
    assert response.status_code == 302, response.content[:2000]
    engineer.refresh_from_db()
    assert engineer.role == "tam"
    entry = AuditEntry.objects.get(action=Action.ROLE_CHANGED, object_id=str(engineer.pk))
    assert entry.actor == admin
    assert entry.detail == {"from": "engineer", "to": "tam"}

    response = client.post(f"/admin/accounts/user/{engineer.pk}/change/",
                           {**base, "role": "contact"})
    assert response.status_code == 200  # refused with a form error: contacts need a company
    engineer.refresh_from_db()
    assert engineer.role == "tam"

    response = client.post("/admin/accounts/user/add/", {
        "email": "new.expert@example.com", "full_name": "New Expert", "role": "expert",
        "password1": "a-long-enough-password-1", "password2": "a-long-enough-password-1",
    })
    assert response.status_code == 302
    created = AuditEntry.objects.get(action=Action.STAFF_CREATED)
    assert created.object_label.startswith("New Expert") or "new.expert" in created.object_label
