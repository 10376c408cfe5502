"""The server-rendered pages of antivirus-signature change requests (SPEC §7): filing with a
sample, the expert queue, the request page with its progress tracker, the expert steps, the
database releases, and the admin."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.test_signature_requests import EICAR, EICAR_SHA256
from tickets.models import (
    DatabaseRelease,
    EventKind,
    OutboundEmail,
    SignatureRequest,
    Ticket,
    TicketEvent,
)
from tickets.signatures import services as sig

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATEST = "2026.11.22.03"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Samples of these tests go to a temporary folder, not the checkout's var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def releases(db):
    with time_machine.travel(NOW, tick=False):
        old = DatabaseRelease.objects.create(version="2026.11.20.01",
                                             released_at=NOW - timedelta(days=2))
        new = DatabaseRelease.objects.create(version=LATEST, released_at=NOW - timedelta(days=1))
    return old, new


def form(**overrides):
    data = {"type": "false_negative", "product": "Endpoint Security", "product_version": "12.1",
            "database_version": LATEST, "description": "Not detected on access.",
            "sample": SimpleUploadedFile("eicar.com", EICAR), "sha256": "", "object_url": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_request(contact, **overrides):
    """A request filed through the service (the page test files through the form)."""
    fields = form(**overrides)
    return sig.signature_request_create(requester=contact, **fields)


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def tracker(content: bytes) -> str:
    """The progress tracker's HTML."""
    html = content.decode()
    return html[html.index('<ol class="tracker">'):html.index("</ol>", html.index("tracker"))]


def steps(content: bytes) -> list[str]:
    """Each tracker step as ``state:text`` with tags and extra spaces removed."""
    items = re.findall(r'<li class="step step-(\w+)"[^>]*>(.*?)</li>', tracker(content), re.S)
    return [f"{state}:{' '.join(re.sub(r'<[^>]+>', ' ', body).split())}"
            for state, body in items]


def transition(client, request_id, **data):
    return client.post(f"/signature-requests/{request_id}/transition/", data)


def nothing_written(private_media):
    return (not SignatureRequest.objects.exists() and not Ticket.objects.exists()
            and not OutboundEmail.objects.exists() and not stored_files(private_media))


# --- Filing ----------------------------------------------------------------------------------


def test_it_files_a_request_with_the_eicar_sample(client, contact_a, releases, private_media):
    client.force_login(contact_a)
    page = client.get("/signature-requests/new/")
    assert page.status_code == 200
    assert f"Latest published release: {LATEST}".encode() in page.content
    assert b'enctype="multipart/form-data"' in page.content
    assert b"never opened" in page.content

    with time_machine.travel(NOW, tick=False):
        response = client.post("/signature-requests/new/",
                               form(object_url="https://downloads.example.net/tool.exe"))

    created = SignatureRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/signature-requests/{created.pk}/"
    assert (created.type, created.status, created.sha256) == ("false_negative", "received",
                                                              EICAR_SHA256)
    assert (created.sample_name, created.sample_size) == ("eicar.com", len(EICAR))
    assert [p.read_bytes() for p in stored_files(private_media)] == [EICAR]
    assert created.ticket.kind == "signature_change"
    assert created.ticket.requester == contact_a

    detail = client.get(response["Location"])
    content = detail.content
    assert detail.status_code == 200
    assert f"Your signature change request {created.ticket.number} was received".encode() \
        in content
    assert steps(content)[0].startswith("current:")
    assert [s.split(":")[0] for s in steps(content)] == ["current", "pending", "pending"]
    assert 'aria-current="step"' in tracker(content).split("</li>")[0]
    assert tracker(content).count("aria-current") == 1
    assert EICAR_SHA256.encode() in content
    assert f'href="/api/v1/signature-requests/{created.pk}/sample/" download'.encode() in content
    assert f'href="/tickets/{created.ticket_id}/"'.encode() in content
    # The object's URL is shown, never linked.
    assert b"https://downloads.example.net/tool.exe" in content
    assert b'href="https://downloads.example.net' not in content


def test_it_files_with_a_hash_alone(client, contact_a, releases, private_media):
    client.force_login(contact_a)
    response = client.post("/signature-requests/new/",
                           form(sample=None, sha256=EICAR_SHA256.upper()))
    assert response.status_code == 302
    created = SignatureRequest.objects.get()
    assert created.sha256 == EICAR_SHA256
    assert not stored_files(private_media)
    content = client.get(response["Location"]).content
    assert b"No file was uploaded" in content
    assert b"/sample/" not in content


def test_it_refuses_an_outdated_database_with_update_first(client, contact_a, releases,
                                                           private_media):
    client.force_login(contact_a)
    response = client.post("/signature-requests/new/", form(database_version="2026.11.20.01"))
    assert response.status_code == 400
    assert b"Please update the databases first" in response.content
    assert LATEST.encode() in response.content
    assert b'aria-invalid="true"' in response.content
    assert b"Not detected on access." in response.content  # what the contact typed is kept
    assert b"please choose the sample again" in response.content
    assert nothing_written(private_media)


@pytest.mark.parametrize(("change", "message"), [
    ({"sha256": "0" * 64}, "does not match the uploaded sample"),
    ({"sample": None}, "Attach the sample, give its SHA-256, or both."),
    ({"sample": None, "sha256": "xyz"}, "A SHA-256 is 64 hexadecimal characters."),
    ({"type": "maybe"}, "Select a valid choice."),
    ({"database_version": "banana"}, "is not a published antivirus-database release"),
])
def test_it_shows_the_errors_and_stores_nothing(client, contact_a, releases, private_media,
                                                change, message):
    client.force_login(contact_a)
    response = client.post("/signature-requests/new/", form(**change))
    assert response.status_code == 400
    assert message.encode() in response.content
    assert nothing_written(private_media)


def test_it_refuses_an_oversized_sample_and_stores_nothing(client, contact_a, releases, settings,
                                                           private_media):
    settings.SIGNATURE_SAMPLE_MAX_BYTES = 1024 * 1024
    client.force_login(contact_a)
    big = SimpleUploadedFile("dump.bin", b"x" * (1024 * 1024 + 1))
    response = client.post("/signature-requests/new/", form(sample=big))
    assert response.status_code == 400
    assert b"The sample is larger than the 1 MB limit." in response.content
    assert nothing_written(private_media)


@pytest.mark.parametrize("who", ["engineer", "tam", "expert", "admin"])
def test_staff_get_a_readable_403_on_the_new_page(client, personas, releases, who,
                                                  private_media):
    client.force_login(personas[who])
    page = client.get("/signature-requests/new/")
    assert page.status_code == 403
    assert b"filed by a customer&#x27;s named contacts" in page.content
    assert b'name="sample"' not in page.content
    assert client.post("/signature-requests/new/", form()).status_code == 403
    assert nothing_written(private_media)


def test_it_explains_an_expired_license(client, contact_a, company_a, releases, private_media):
    company_a.license_valid_until = timezone.localdate() - timedelta(days=1)
    company_a.save()
    client.force_login(contact_a)
    for response in (client.get("/signature-requests/new/"),
                     client.post("/signature-requests/new/", form())):
        assert response.status_code == 403
        assert b"is not valid (it ended on" in response.content
    assert nothing_written(private_media)
    listing = client.get("/signature-requests/")
    assert b"is not valid (it ended on" in listing.content
    assert b'href="/signature-requests/new/"' not in listing.content


def test_the_pages_require_sign_in(client, contact_a, releases):
    created = file_request(contact_a)
    for url in ("/signature-requests/", "/signature-requests/new/",
                f"/signature-requests/{created.pk}/", "/signature-requests/releases/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- The request page: tenants and who sees what ---------------------------------------------


def test_another_companys_request_is_404(client, contact_a, contact_b, releases):
    created = file_request(contact_a)
    client.force_login(contact_b)
    assert client.get(f"/signature-requests/{created.pk}/").status_code == 404
    assert transition(client, created.pk, to="in_analysis").status_code == 404
    assert client.get("/signature-requests/999999/").status_code == 404
    listing = client.get("/signature-requests/").content
    assert created.ticket.number.encode() not in listing
    assert b"No signature requests yet." in listing


def test_a_contact_sees_no_actions_no_zip_and_cannot_move(client, contact_a, releases):
    created = file_request(contact_a)
    client.force_login(contact_a)
    content = client.get(f"/signature-requests/{created.pk}/").content
    assert b"/transition/" not in content
    assert b"Start analysis" not in content
    assert b"sample.zip" not in content
    assert b"password: infected" not in content

    response = transition(client, created.pk, to="in_analysis")
    assert response.status_code == 403
    assert b"Only the virus-analysis expert group" in response.content
    created.refresh_from_db()
    assert created.status == "received"


def test_an_engineer_gets_the_zip_but_not_the_actions(client, contact_a, engineer, releases):
    created = file_request(contact_a)
    client.force_login(engineer)
    content = client.get(f"/signature-requests/{created.pk}/").content
    assert f'href="/api/v1/signature-requests/{created.pk}/sample.zip"'.encode() in content
    assert b"Download as password-protected zip (password: infected)" in content
    assert b"Company A" in content
    assert b"/transition/" not in content
    assert transition(client, created.pk, to="in_analysis").status_code == 403


# --- The expert steps and the tracker --------------------------------------------------------


def test_an_expert_takes_a_request_through_to_the_release(client, contact_a, expert, releases):
    with time_machine.travel(NOW, tick=False):
        created = file_request(contact_a)
    url = f"/signature-requests/{created.pk}/"
    client.force_login(expert)
    page = client.get(url).content
    assert b"Start analysis" in page
    assert b"Record expedited release" not in page

    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        response = transition(client, created.pk, to="in_analysis")
        assert response.status_code == 302
        assert response["Location"] == url
        page = client.get(url).content
    assert f"Analysis of {created.ticket.number} started".encode() in page
    assert [s.split(":")[0] for s in steps(page)] == ["done", "current", "pending"]
    assert b"Record expedited release" in page
    assert b"Start analysis" not in page

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        response = transition(client, created.pk, to="released",
                              release_version="2026.11.23.07",
                              released_at="2026-11-23T11:30")
        assert response.status_code == 302
        page = client.get(url).content

    created.refresh_from_db()
    assert created.status == "released"
    assert created.release.version == "2026.11.23.07"
    assert created.release.released_at == datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    assert created.release.expedited
    one, two, three = steps(page)
    assert one.startswith("done:")
    assert two.startswith("done:")
    assert "2026.11.23.07" in two
    assert three.startswith("done:")
    assert "Customer informed" in three
    assert "aria-current" not in tracker(page)
    assert b"Release 2026.11.23.07 recorded" in page
    assert b"nothing left to do" in page
    # Released 11:30, the customer informed at 12:00: both times are on the page.
    assert "datetime=\"2026-11-23T11:30:00+00:00\"" in tracker(page)
    assert "datetime=\"2026-11-23T12:00:00+00:00\"" in tracker(page)

    history = page.decode().split('id="history-heading"')[1]
    for step in ("Received", "In analysis by the expert group", "Fixed in an expedited release"):
        assert step in history
    assert expert.full_name in history

    client.force_login(contact_a)
    assert [s.split(":")[0] for s in steps(client.get(url).content)] == ["done"] * 3


def test_an_expert_rejects_with_a_reason(client, contact_a, expert, releases):
    created = file_request(contact_a)
    client.force_login(expert)
    transition(client, created.pk, to="in_analysis")

    missing = transition(client, created.pk, to="rejected", reason="  ")
    assert missing.status_code == 400
    assert b"Say why the request is rejected" in missing.content
    created.refresh_from_db()
    assert created.status == "in_analysis"

    response = transition(client, created.pk, to="rejected",
                          reason="The detection is correct: the file is a dropper.")
    assert response.status_code == 302
    client.force_login(contact_a)
    page = client.get(f"/signature-requests/{created.pk}/").content
    _one, two, three = steps(page)
    assert two.startswith("skipped:")
    assert "Not needed — rejected: The detection is correct: the file is a dropper." in two
    assert three.startswith("done:")
    assert b"The detection is correct: the file is a dropper." in page


def test_releasing_needs_an_identifier(client, contact_a, expert, releases):
    created = file_request(contact_a)
    client.force_login(expert)
    transition(client, created.pk, to="in_analysis")
    response = transition(client, created.pk, to="released", release_version="")
    assert response.status_code == 400
    assert b"Give the identifier of the expedited release." in response.content
    assert b'id="id_released_release_version"' in response.content
    future = transition(client, created.pk, to="released", release_version="2099.1",
                        released_at="2099-01-01T00:00")
    assert future.status_code == 400
    assert b"cannot be in the future" in future.content
    reused = transition(client, created.pk, to="released", release_version=LATEST)
    assert reused.status_code == 409
    assert b"is already recorded" in reused.content
    created.refresh_from_db()
    assert created.status == "in_analysis"


def test_an_invalid_transition_is_409_and_changes_nothing(client, contact_a, expert, releases):
    created = file_request(contact_a)
    client.force_login(expert)
    events = TicketEvent.objects.count()
    response = transition(client, created.pk, to="released", release_version="2026.12.01.01")
    assert response.status_code == 409
    assert "cannot go from “Received” to “Fixed in an expedited release”".encode() \
        in response.content
    assert b"The request was not changed." in response.content
    assert b"Start analysis" in response.content  # the page offers what is possible now
    created.refresh_from_db()
    assert created.status == "received"
    assert created.release is None
    assert TicketEvent.objects.count() == events
    assert not DatabaseRelease.objects.filter(version="2026.12.01.01").exists()

    # A stale form: two experts start the same analysis.
    assert transition(client, created.pk, to="in_analysis").status_code == 302
    again = transition(client, created.pk, to="in_analysis")
    assert again.status_code == 409
    assert TicketEvent.objects.filter(kind=EventKind.SIGNATURE).count() == 2

    assert transition(client, created.pk, to="nonsense").status_code == 400


# --- The list / expert queue -----------------------------------------------------------------


def test_the_expert_queue_lists_open_ones_first(client, contact_a, contact_b, expert, releases):
    filed = {}
    for day, name in enumerate(["decided_old", "open_old", "decided_new", "open_new",
                                "analysing"]):
        with time_machine.travel(NOW + timedelta(days=day), tick=False):
            filed[name] = file_request(contact_a if day % 2 else contact_b)
    sig.signature_request_transition(request=filed["analysing"], actor=expert, to="in_analysis")
    for name in ("decided_old", "decided_new"):
        sig.signature_request_transition(request=filed[name], actor=expert, to="in_analysis")
        sig.signature_request_transition(request=filed[name], actor=expert, to="rejected",
                                         reason="Correct detection.")

    client.force_login(expert)
    content = client.get("/signature-requests/").content.decode()
    order = sorted(filed, key=lambda name: content.index(filed[name].ticket.number))
    assert order == ["open_old", "open_new", "analysing", "decided_new", "decided_old"]
    assert "Company A" in content
    assert "Company B" in content

    rejected = client.get("/signature-requests/?status=rejected").content.decode()
    assert filed["decided_old"].ticket.number in rejected
    assert filed["open_old"].ticket.number not in rejected
    assert client.get("/signature-requests/?status=nonsense").status_code == 200


def test_a_contact_lists_their_companys_requests_newest_first(client, contact_a, contact_b,
                                                             releases):
    with time_machine.travel(NOW, tick=False):
        older = file_request(contact_a)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        newer = file_request(contact_a)
    theirs = file_request(contact_b)
    client.force_login(contact_a)
    content = client.get("/signature-requests/").content.decode()
    assert content.index(newer.ticket.number) < content.index(older.ticket.number)
    assert theirs.ticket.number not in content
    assert 'href="/signature-requests/new/"' in content
    assert "Endpoint Security 12.1" in content
    assert LATEST in content


def test_the_list_paginates(client, contact_a, engineer, releases):
    for _ in range(27):
        file_request(contact_a, sample=None, sha256=EICAR_SHA256)
    client.force_login(engineer)
    first = client.get("/signature-requests/").content
    assert first.count(b'<tr class="sig-row') == 25
    assert b"Page 1 of 2" in first
    assert client.get("/signature-requests/?page=2").content.count(b'<tr class="sig-row') == 2


@pytest.mark.parametrize("persona", ["contact_a", "expert"])
def test_the_list_runs_a_constant_number_of_queries(client, request, persona, contact_a, expert,
                                                    releases):
    client.force_login(request.getfixturevalue(persona))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/signature-requests/").status_code == 200
        return len(captured)

    def add(n: int) -> None:
        latest = sig.latest_release().version
        filed = [file_request(contact_a, sample=None, sha256=EICAR_SHA256,
                              database_version=latest) for _ in range(n)]
        for i, created in enumerate(filed[1::2]):  # half of them released: rows join a release
            sig.signature_request_transition(request=created, actor=expert, to="in_analysis")
            sig.signature_request_transition(request=created, actor=expert, to="released",
                                             release_version=f"r-{n}-{i}")

    add(3)
    few = queries()
    add(17)
    # Session, user, (contact, company), count, one page of requests with ticket, company and
    # release joined: none of them grows with the rows.
    assert queries() == few, "the list runs a query per row; select_related is missing"
    assert few <= 7


# --- Database releases -----------------------------------------------------------------------


def test_experts_record_a_release_everyone_reads(client, contact_a, expert, releases):
    client.force_login(expert)
    page = client.get("/signature-requests/releases/")
    assert b"Record a release" in page.content
    response = client.post("/signature-requests/releases/", {"version": "2026.11.23.01"})
    assert response.status_code == 302
    release = DatabaseRelease.objects.get(version="2026.11.23.01")
    assert (release.expedited, release.created_by) == (False, expert)
    duplicate = client.post("/signature-requests/releases/", {"version": "2026.11.23.01"})
    assert duplicate.status_code == 400
    assert b"This release is already recorded." in duplicate.content

    client.force_login(contact_a)
    content = client.get("/signature-requests/releases/").content.decode()
    assert "Record a release" not in content
    assert content.index("2026.11.23.01") < content.index(LATEST)
    assert "Latest" in content
    assert client.post("/signature-requests/releases/",
                       {"version": "x"}).status_code == 403
    # The new release is now the one a contact must run.
    assert "Latest published release: 2026.11.23.01" in \
        client.get("/signature-requests/new/").content.decode()


# --- The admin -------------------------------------------------------------------------------


def test_the_admin_shows_requests_read_only_and_never_links_the_sample(client, admin,
                                                                        contact_a, releases):
    created = file_request(contact_a)
    client.force_login(admin)
    assert client.get("/admin/tickets/signaturerequest/").status_code == 200
    assert client.get("/admin/tickets/databaserelease/").status_code == 200
    page = client.get(f"/admin/tickets/signaturerequest/{created.pk}/change/")
    assert page.status_code == 200
    assert created.sample.name.encode() not in page.content
    assert f"/api/v1/signature-requests/{created.pk}/sample/".encode() in page.content
    assert EICAR_SHA256.encode() in page.content
    assert b'name="sha256"' not in page.content  # read-only
    assert client.post(f"/admin/tickets/signaturerequest/{created.pk}/change/",
                       {"status": "released"}).status_code == 403

    added = client.post("/admin/tickets/databaserelease/add/",
                        {"version": "2026.11.23.02", "released_at_0": "2026-11-23",
                         "released_at_1": "08:00:00"})
    assert added.status_code == 302
    assert DatabaseRelease.objects.get(version="2026.11.23.02").created_by == admin
