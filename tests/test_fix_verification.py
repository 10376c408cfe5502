"""After a release (SPEC §7 item 4 and chain of custody): templated step notices do not stop the
clock, the customer confirms the fix or reports it still detected, no answer in 7 days is taken
as fixed (exactly once), every sample download is listed for staff and the customer, and the
sample's bytes are deleted 30 days after closing — never while the request is open."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role
from tests.factories import ContactFactory, UserFactory
from tests.test_signature_pages import file_request, releases  # noqa: F401 (fixture)
from tickets.models import (
    Comment,
    EventKind,
    Notification,
    SignaturePolicy,
    SignatureRequest,
    Status,
    TicketEvent,
)
from tickets.signatures import services as sig
from tickets.signatures.custody import purge_samples
from tickets.signatures.verification import assume_fixed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
URL = "/api/v1/signature-requests/"
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def at(when):
    return time_machine.travel(when, tick=False)


@pytest.fixture
def released(contact_a, expert, releases):  # noqa: F811
    """A request analysed and released at NOW + 1 h."""
    with at(NOW):
        request = file_request(contact_a)
        sig.signature_request_transition(request=request, actor=expert, to="in_analysis")
    with at(NOW + timedelta(hours=1)):
        sig.signature_request_transition(request=request, actor=expert, to="released",
                                         release_version="2026.11.23.01")
    return SignatureRequest.objects.get(pk=request.pk)


def confirm(api, user, request, **data):
    return api(user).post(f"{URL}{request.pk}/confirm/", data, format="json")


# --- Templated notices ---------------------------------------------------------------------------


def test_a_step_notice_without_words_does_not_stop_the_clock_but_a_written_one_does(
        contact_a, expert, releases):  # noqa: F811
    with at(NOW):
        request = file_request(contact_a)
    with at(NOW + timedelta(minutes=5)):
        sig.signature_request_transition(request=request, actor=expert, to="in_analysis")
    ticket = SignatureRequest.objects.get(pk=request.pk).ticket
    notice = Comment.objects.get(ticket=ticket)
    assert notice.automatic
    assert ticket.first_response_at is None
    assert ticket.sla_state(NOW + timedelta(minutes=6)) == "on_track"

    other = None
    with at(NOW):
        other = file_request(contact_a)
    with at(NOW + timedelta(minutes=7)):
        sig.signature_request_transition(request=other, actor=expert, to="in_analysis",
                                         message="The sample is a packed dropper; analysing.")
    written = SignatureRequest.objects.get(pk=other.pk).ticket
    reply = Comment.objects.get(ticket=written)
    assert not reply.automatic
    assert "packed dropper" in reply.body
    assert "Step 1 of 3" in reply.body
    assert written.first_response_at == NOW + timedelta(minutes=7)
    # The signature cadence: the next update is due 24 hours later, around the clock.
    assert written.update_due_at == NOW + timedelta(minutes=7, hours=24)


def test_the_customer_reads_statuses_in_words(client, contact_a, expert, releases):  # noqa: F811
    request = file_request(contact_a)
    sig.signature_request_transition(request=request, actor=expert, to="in_analysis")
    client.force_login(contact_a)
    html = client.get(f"/tickets/{request.ticket_id}/").content.decode()
    timeline = html.split('id="timeline-heading"')[1].split("</section>")[0]
    assert "In analysis by the expert group" in timeline
    assert "Automatic notice" in timeline
    for code in ("in_analysis", "received"):
        assert f">{code}<" not in timeline
        assert f" {code} " not in timeline


# --- Confirming the fix ---------------------------------------------------------------------------


def test_a_release_asks_the_customer_to_confirm(api, contact_a, released):
    data = api(contact_a).get(f"{URL}{released.pk}/").json()
    assert data["verification"] == {
        "state": "pending", "at": "2026-11-23T10:00:00Z", "due_at": "2026-11-30T10:00:00Z"}
    assert released.ticket.status == Status.RESOLVED


def test_fixed_closes_the_request(api, contact_a, released):
    with at(NOW + timedelta(days=2)):
        response = confirm(api, contact_a, released, fixed=True, note="All clean now, thanks.")
    assert response.status_code == 200, response.content
    assert response.json()["verification"]["state"] == "fixed"
    released.refresh_from_db()
    assert released.ticket.status == Status.CLOSED
    assert released.ticket.closed_at == NOW + timedelta(days=2)
    assert Comment.objects.filter(ticket=released.ticket, author=contact_a,
                                  body="All clean now, thanks.").exists()
    again = confirm(api, contact_a, released, fixed=False)
    assert again.status_code == 409
    assert "already been answered" in again.json()["detail"]


def test_still_detected_goes_back_to_analysis_with_the_note(api, contact_a, expert, released):
    with at(NOW + timedelta(days=1)):
        response = confirm(api, contact_a, released, fixed=False,
                           note="Still quarantined as Trojan.Win32.Agent.")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "in_analysis"
    assert data["verification"]["state"] == "still_detected"
    assert [e["status"] for e in data["events"]][-1] == "in_analysis"
    released.refresh_from_db()
    assert released.ticket.status == Status.OPEN  # reopened for the expert group
    note = Comment.objects.filter(ticket=released.ticket, author=contact_a).get()
    assert "Still detected after release 2026.11.23.01." in note.body
    assert "Trojan.Win32.Agent" in note.body
    assert Notification.objects.filter(user=expert, ticket=released.ticket,
                                       event__kind=EventKind.VERIFICATION).exists()
    # A second release asks again.
    with at(NOW + timedelta(days=2)):
        sig.signature_request_transition(request=released, actor=expert, to="released",
                                         release_version="2026.11.25.02")
    released.refresh_from_db()
    assert released.verification_state == "pending"
    assert released.verification_due_at == NOW + timedelta(days=9)


def test_only_a_contact_of_the_company_confirms(api, contact_a, contact_b, expert, released):
    assert confirm(api, expert, released, fixed=True).status_code == 403
    assert confirm(api, contact_b, released, fixed=True).status_code == 404
    colleague = ContactFactory(company=contact_a.contact.company).user
    assert confirm(api, colleague, released, fixed=True).status_code == 200
    assert confirm(api, contact_a, released, fixed="maybe").status_code == 400


def test_nothing_to_confirm_before_a_release(api, contact_a, releases):  # noqa: F811
    request = file_request(contact_a)
    response = confirm(api, contact_a, request, fixed=True)
    assert response.status_code == 409
    assert "no released fix" in response.json()["detail"]


def test_no_answer_in_seven_days_is_taken_as_fixed_once(contact_a, released):
    due = NOW + timedelta(hours=1, days=7)
    with at(due - SECOND):
        assert assume_fixed() == 0
    with at(due):
        assert assume_fixed() == 1
        assert assume_fixed() == 0
    released.refresh_from_db()
    assert released.verification_state == "assumed_fixed"
    assert released.verification_at == due
    assert released.ticket.status == Status.CLOSED
    assert TicketEvent.objects.filter(ticket=released.ticket, kind=EventKind.VERIFICATION,
                                      new_value="assumed_fixed").count() == 1
    told = Notification.objects.filter(user=contact_a, event__new_value="assumed_fixed")
    assert told.count() == 1


def test_the_window_is_data(contact_a, expert, releases):  # noqa: F811
    policy = SignaturePolicy.current()
    assert policy.verification_window == timedelta(days=7)
    policy.verification_window = timedelta(days=2)
    policy.save()
    with at(NOW):
        request = file_request(contact_a)
        sig.signature_request_transition(request=request, actor=expert, to="in_analysis")
        sig.signature_request_transition(request=request, actor=expert, to="released",
                                         release_version="2026.11.23.05")
    request.refresh_from_db()
    assert request.verification_due_at == NOW + timedelta(days=2)
    with at(NOW + timedelta(days=2)):
        assert assume_fixed() == 1


def test_the_confirm_form_on_the_request_page(client, contact_a, released):
    client.force_login(contact_a)
    url = f"/signature-requests/{released.pk}/"
    html = client.get(url).content.decode()
    assert 'id="verification-heading"' in html
    assert "With release 2026.11.23.01 installed, is the problem fixed?" in html
    missing = client.post(f"{url}confirm/", {"note": "?"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    response = client.post(f"{url}confirm/", {"fixed": "no", "note": "Still there."}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "is back with the expert group" in html
    assert "Still detected, reported by the customer" in html
    assert "With release" not in html  # nothing left to answer


# --- Chain of custody -----------------------------------------------------------------------------


def test_every_download_is_listed_for_staff_and_the_company(api, client, contact_a, contact_b,
                                                            expert, released):
    staff = api(expert)
    with at(NOW + timedelta(hours=2)):
        assert staff.get(f"{URL}{released.pk}/sample/",
                         REMOTE_ADDR="203.0.113.9").status_code == 200
        assert staff.get(f"{URL}{released.pk}/sample.zip",
                         REMOTE_ADDR="203.0.113.9").status_code == 200
    custody = api(contact_a).get(f"{URL}{released.pk}/custody/").json()["results"]
    assert [(c["who"], c["ip"], c["form"]) for c in custody] == [
        (expert.full_name, "203.0.113.9", "file"), (expert.full_name, "203.0.113.9", "zip")]
    assert custody[0]["at"] == "2026-11-23T11:00:00Z"
    assert api(contact_b).get(f"{URL}{released.pk}/custody/").status_code == 404

    client.force_login(contact_a)
    html = client.get(f"/signature-requests/{released.pk}/").content.decode()
    card = html.split('id="custody-heading"')[1].split("</section>")[0]
    assert card.count('class="custody-row"') == 2
    assert expert.full_name in card
    assert "203.0.113.9" in card
    assert "Encrypted zip" in card


def test_the_sample_is_deleted_30_days_after_closing_and_never_while_open(
        api, client, contact_a, expert, released, private_media, releases):  # noqa: F811
    with at(NOW):
        # Never closed: its sample stays, whatever its age.
        still_open = file_request(contact_a, database_version="2026.11.23.01")
    with at(NOW + timedelta(days=2)):
        confirm(api, contact_a, released, fixed=True)
    released.refresh_from_db()
    closed_at = released.ticket.closed_at
    stored = private_media / released.sample.name
    assert stored.is_file()

    with at(closed_at + timedelta(days=30) - SECOND):
        assert purge_samples() == 0
    with at(closed_at + timedelta(days=30)):
        assert purge_samples() == 1
        assert purge_samples() == 0
    with at(closed_at + timedelta(days=400)):
        assert purge_samples() == 0  # the open request's sample is never deleted
    assert not stored.exists()
    released.refresh_from_db()
    assert not released.sample
    assert released.sample_deleted_at == closed_at + timedelta(days=30)
    assert released.sha256
    assert released.sample_size
    assert released.sample_name == "eicar.com"
    still_open.refresh_from_db()
    assert still_open.sample
    assert (private_media / still_open.sample.name).is_file()

    gone = api(expert).get(f"{URL}{released.pk}/sample/")
    assert gone.status_code == 410
    assert released.sha256 in gone.json()["detail"]
    client.force_login(contact_a)
    html = client.get(f"/signature-requests/{released.pk}/").content.decode()
    assert "The sample was deleted on" in html
    assert "eicar.com" in html
    assert released.sha256 in html
    assert TicketEvent.objects.filter(ticket=released.ticket,
                                      kind=EventKind.SAMPLE_DELETED).count() == 1


def test_the_retention_is_data(api, contact_a, released):
    policy = SignaturePolicy.current()
    policy.sample_retention = timedelta(days=1)
    policy.save()
    with at(NOW + timedelta(days=2)):
        confirm(api, contact_a, released, fixed=True)
    with at(NOW + timedelta(days=3, seconds=1)):
        assert purge_samples() == 1


def test_staff_other_than_experts_see_the_custody_too(client, released):
    engineer = UserFactory(role=Role.ENGINEER)
    client.force_login(engineer)
    html = client.get(f"/signature-requests/{released.pk}/").content.decode()
    assert 'id="custody-heading"' in html
    assert "Nobody has downloaded the sample." in html
