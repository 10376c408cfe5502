"""Antivirus-signature change requests: filing, the expert workflow, samples (SPEC §7)."""

import hashlib
import io
from datetime import timedelta

import pytest
import pyzipper
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tickets.models import DatabaseRelease, SignatureRequest, Ticket
from tickets.notifications.delivery import deliver_outbox

pytestmark = pytest.mark.django_db

URL = "/api/v1/signature-requests/"
# The EICAR anti-virus test file: harmless, but every scanner detects it as if it were malware.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def releases(db):
    now = timezone.now()
    old = DatabaseRelease.objects.create(version="2026.11.20.01", released_at=now - timedelta(2))
    new = DatabaseRelease.objects.create(version="2026.11.22.03", released_at=now - timedelta(1))
    return old, new


def body(**overrides):
    data = {"type": "false_negative", "product": "Endpoint Security", "product_version": "12.1",
            "database_version": "2026.11.22.03", "description": "Not detected on access.",
            "sample": SimpleUploadedFile("eicar.com", EICAR)}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_request(api, contact, **overrides):
    response = api(contact).post(URL, body(**overrides), format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def move(api, user, request_id, **data):
    return api(user).post(f"{URL}{request_id}/transition/", data, format="json")


class TestFiling:
    def test_it_files_a_ticket_with_the_sla_clock(self, api, contact_a, releases):
        data = file_request(api, contact_a)
        assert data["status"] == "received"
        assert data["sha256"] == EICAR_SHA256
        ticket = Ticket.objects.get(pk=data["ticket"])
        assert ticket.kind == "signature_change"
        assert ticket.response_due_at == ticket.created_at + timedelta(hours=4)
        assert data["sample_url"].endswith("/sample/")
        assert [e["status"] for e in data["events"]] == ["received"]

    def test_an_outdated_database_is_refused_with_update_first(self, api, contact_a, releases):
        response = api(contact_a).post(URL, body(database_version="2026.11.20.01"),
                                       format="multipart")
        assert response.status_code == 400
        assert "update the databases first" in response.json()["detail"]
        assert "2026.11.22.03" in response.json()["detail"]
        assert SignatureRequest.objects.count() == 0
        assert Ticket.objects.count() == 0

    def test_an_unknown_database_version_is_refused(self, api, contact_a, releases):
        response = api(contact_a).post(URL, body(database_version="banana"), format="multipart")
        assert response.status_code == 400
        assert "not a published" in response.json()["detail"]

    def test_a_sha256_mismatch_is_refused_and_nothing_stored(self, api, contact_a, releases,
                                                             private_media):
        response = api(contact_a).post(URL, body(sha256="0" * 64), format="multipart")
        assert response.status_code == 400
        assert "does not match" in response.json()["detail"]
        assert SignatureRequest.objects.count() == 0
        assert not [p for p in private_media.rglob("*") if p.is_file()]

    def test_an_oversized_sample_is_refused_and_nothing_stored(
        self, api, contact_a, releases, settings, private_media
    ):
        settings.SIGNATURE_SAMPLE_MAX_BYTES = len(EICAR) - 1
        response = api(contact_a).post(URL, body(), format="multipart")
        assert response.status_code == 400
        assert "limit" in response.json()["detail"]
        assert SignatureRequest.objects.count() == 0
        assert Ticket.objects.count() == 0
        assert not [p for p in private_media.rglob("*") if p.is_file()]

    def test_a_hash_alone_is_enough(self, api, contact_a, releases):
        data = file_request(api, contact_a, sample=None, sha256=EICAR_SHA256.upper())
        assert data["sha256"] == EICAR_SHA256
        assert data["sample_url"] is None

    @pytest.mark.parametrize(("change", "field"), [
        ({"sample": None}, "sample"), ({"type": "maybe"}, "type"),
        ({"sha256": "xyz", "sample": None}, "sha256"), ({"database_version": None},
                                                        "database_version"),
        ({"object_url": "not a url"}, "object_url"),
    ])
    def test_bad_input_is_400(self, api, contact_a, releases, change, field):
        response = api(contact_a).post(URL, body(**change), format="multipart")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert SignatureRequest.objects.count() == 0

    @pytest.mark.parametrize("who", ["engineer", "expert", "admin"])
    def test_only_contacts_file(self, api, personas, releases, who):
        assert api(personas[who]).post(URL, body(), format="multipart").status_code == 403


class TestWorkflow:
    @pytest.mark.parametrize("who", ["contact_a", "engineer", "tam"])
    def test_only_experts_and_admins_move_requests(self, api, personas, releases, who):
        data = file_request(api, personas["contact_a"])
        response = move(api, personas[who], data["id"], to="in_analysis")
        assert response.status_code == 403
        assert SignatureRequest.objects.get().status == "received"

    def test_the_expert_releases_and_it_becomes_the_latest(self, api, contact_a, expert,
                                                           releases):
        data = file_request(api, contact_a)
        assert move(api, expert, data["id"], to="in_analysis").status_code == 200
        response = move(api, expert, data["id"], to="released",
                        release_version="2026.11.24.07")
        assert response.status_code == 200, response.content
        out = response.json()
        assert out["status"] == "released"
        assert out["release_version"] == "2026.11.24.07"
        assert out["customer_informed_at"]
        assert [e["status"] for e in out["events"]] == ["received", "in_analysis", "released"]
        assert DatabaseRelease.objects.order_by("-released_at").first().version == "2026.11.24.07"
        assert DatabaseRelease.objects.get(version="2026.11.24.07").expedited
        # Now the previous latest is outdated for new requests.
        refused = api(contact_a).post(URL, body(database_version="2026.11.22.03"),
                                      format="multipart")
        assert refused.status_code == 400
        ticket = Ticket.objects.get(pk=data["ticket"])
        assert ticket.status == "resolved"
        # The step notices carried no words of the expert: automatic, so they informed the
        # customer without answering the request (SPEC §4; they used to stop the clock).
        assert ticket.first_response_at is None
        assert [c.automatic for c in ticket.comments.order_by("pk")] == [True, True]

    def test_the_admin_rejects_with_a_reason(self, api, contact_a, admin, releases):
        data = file_request(api, contact_a)
        move(api, admin, data["id"], to="in_analysis")
        assert move(api, admin, data["id"], to="rejected").status_code == 400
        response = move(api, admin, data["id"], to="rejected", reason="The detection is correct.")
        assert response.status_code == 200
        assert response.json()["rejection_reason"] == "The detection is correct."

    @pytest.mark.parametrize(("path", "refused"), [
        (["released"], "released"),
        (["rejected"], "rejected"),
        (["in_analysis", "in_analysis"], "in_analysis"),
        (["in_analysis", "received"], "received"),
        (["in_analysis", "released", "rejected"], "rejected"),
        (["in_analysis", "rejected", "released"], "released"),
        (["in_analysis", "rejected", "in_analysis"], "in_analysis"),
    ])
    def test_invalid_transitions_are_409(self, api, contact_a, expert, releases, path, refused):
        data = file_request(api, contact_a)
        extra = {"release_version": "2026.12.01.01", "reason": "correct detection"}
        *allowed, last = path
        for step in allowed:
            assert move(api, expert, data["id"], to=step, **extra).status_code == 200
        before = SignatureRequest.objects.get().status
        response = move(api, expert, data["id"], to=last, **extra)
        assert response.status_code == 409
        assert "cannot go from" in response.json()["detail"]
        assert SignatureRequest.objects.get().status == before

    def test_releasing_needs_a_new_release_identifier(self, api, contact_a, expert, releases):
        data = file_request(api, contact_a)
        move(api, expert, data["id"], to="in_analysis")
        assert move(api, expert, data["id"], to="released").status_code == 400
        assert move(api, expert, data["id"], to="released",
                    release_version="2026.11.22.03").status_code == 409
        assert SignatureRequest.objects.get().status == "in_analysis"

    def test_an_email_goes_to_the_customer_at_every_step(self, api, contact_a, expert, releases):
        data = file_request(api, contact_a)
        deliver_outbox()
        assert [m.to for m in mail.outbox] == [[contact_a.email]]  # acknowledgement
        mail.outbox.clear()
        move(api, expert, data["id"], to="in_analysis")
        deliver_outbox()
        assert [m.to for m in mail.outbox] == [[contact_a.email]]
        assert "expert group" in mail.outbox[0].body
        mail.outbox.clear()
        move(api, expert, data["id"], to="released", release_version="2026.11.24.07")
        deliver_outbox()
        assert [m.to for m in mail.outbox] == [[contact_a.email]]
        assert "2026.11.24.07" in mail.outbox[0].body
        assert data["number"] in mail.outbox[0].subject


class TestSamples:
    def test_another_companys_request_is_404(self, api, contact_a, contact_b, releases):
        data = file_request(api, contact_b)
        client = api(contact_a)
        for url in (f"{URL}{data['id']}/", f"{URL}{data['id']}/sample/",
                    f"{URL}{data['id']}/sample.zip"):
            assert client.get(url).status_code == 404
        assert move(api, contact_a, data["id"], to="in_analysis").status_code == 404
        assert client.get(URL).json()["count"] == 0

    def test_the_eicar_sample_is_stored_byte_exact_and_never_served_inline(
        self, api, contact_a, engineer, releases, private_media
    ):
        data = file_request(api, contact_a)
        stored = [p for p in private_media.rglob("*") if p.is_file()]
        assert [p.read_bytes() for p in stored] == [EICAR]
        assert "eicar" not in stored[0].name
        assert "." not in stored[0].name
        for user in (contact_a, engineer):
            response = api(user).get(data["sample_url"])
            assert response.status_code == 200
            assert response["Content-Type"] == "application/octet-stream"
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"].startswith("sandbox")
            assert b"".join(response.streaming_content) == EICAR

    def test_staff_get_the_sample_as_a_zip_with_the_usual_password(
        self, api, contact_a, engineer, expert, releases
    ):
        data = file_request(api, contact_a)
        zip_url = f"{URL}{data['id']}/sample.zip"
        assert api(contact_a).get(zip_url).status_code == 403
        for user in (engineer, expert):
            response = api(user).get(zip_url)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/zip"
            assert response["Content-Disposition"].startswith("attachment;")
            assert response["X-Content-Type-Options"] == "nosniff"
            with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
                with pytest.raises(RuntimeError):
                    archive.read(archive.namelist()[0])  # no password: refused
                archive.setpassword(b"infected")
                content = archive.read(archive.namelist()[0])
            assert content == EICAR
            assert hashlib.sha256(content).hexdigest() == EICAR_SHA256


class TestReleases:
    def test_experts_and_admins_publish_everyone_reads(self, api, personas):
        assert api(personas["expert"]).post("/api/v1/database-releases/",
                                            {"version": "2026.11.25.01"}).status_code == 201
        assert api(personas["admin"]).post("/api/v1/database-releases/",
                                           {"version": "2026.11.25.02"}).status_code == 201
        for who in ("engineer", "tam", "contact_a"):
            assert api(personas[who]).post("/api/v1/database-releases/",
                                           {"version": "x"}).status_code == 403
        listed = api(personas["contact_a"]).get("/api/v1/database-releases/").json()
        assert listed["count"] == 2
        assert api(personas["expert"]).post("/api/v1/database-releases/",
                                            {"version": "2026.11.25.01"}).status_code == 400
