"""On-call pages (SPEC §11, §10): ``/oncall/`` (the next two weeks per level in the viewer's
zone, rotations for admins, handing over a shift, form errors in the user's language), what the
contact's ticket page says (no e-mail address, no internal detail; the priority line while
unacknowledged), the staff ticket page's pages, the queue's marker without extra queries, and
the TAM dashboard's time to acknowledge."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.factories import UserFactory, file_ticket
from tickets import paging, services
from tickets.metrics import Period, acknowledge_stats
from tickets.models import Override, Rotation, RotationMember, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]
QUEUE = "/queue/"


@pytest.fixture
def primary(db):
    user = UserFactory(role=Role.ENGINEER, full_name="Ana Souza", email="ana@vendor.example")
    rotation = Rotation.objects.create(name="Primary", level=1, shift_hours=24,
                                       starts_at=timezone.now() - timedelta(hours=1))
    RotationMember.objects.create(rotation=rotation, user=user, position=0)
    return user


def test_the_page_shows_the_next_two_weeks_to_staff_only(client, primary, contact_a, tam):
    client.force_login(tam)
    html = client.get("/oncall/").content.decode()
    assert "The next two weeks" in html
    assert "Ana Souza" in html
    assert "Nobody — this level is skipped" in html  # nobody at level 2
    assert 'href="/oncall/" aria-current="page"' in html  # the nav link
    client.force_login(contact_a)
    assert client.get("/oncall/").status_code == 403
    client.logout()
    assert client.get("/oncall/").status_code == 302


def test_it_shows_times_in_the_viewers_zone(client, primary):
    primary.timezone = "America/Sao_Paulo"
    primary.save()
    client.force_login(primary)
    html = client.get("/oncall/").content.decode()
    assert "America/Sao_Paulo (UTC−03:00)" in html


def test_an_admin_adds_a_rotation_with_the_form_an_engineer_may_not(client, admin, engineer,
                                                                    primary):
    client.force_login(admin)
    answer = client.post("/oncall/rotations/", {
        "name": "Secondary", "level": 2, "starts_at": "2026-12-01T09:00", "shift_hours": 24,
        "members": f"{engineer.email}\n{primary.email}"})
    assert answer.status_code == 302
    rotation = Rotation.objects.get(level=2)
    assert list(rotation.memberships.values_list("user_id", flat=True)) == [engineer.pk,
                                                                          primary.pk]
    client.force_login(engineer)
    refused = client.post("/oncall/rotations/", {
        "name": "Mine", "level": 1, "starts_at": "2026-12-01T09:00", "shift_hours": 24,
        "members": engineer.email})
    assert refused.status_code == 403


def test_form_errors_come_in_the_users_language(client, primary, tam):
    primary.language = "pt-br"
    primary.save()
    client.force_login(primary)
    answer = client.post("/oncall/overrides/", {
        "user": tam.pk, "level": 1, "starts_at": "2030-01-02T10:00",
        "ends_at": "2030-01-02T09:00"}, headers={"accept-language": "pt-br"})
    assert answer.status_code == 400
    assert "A substituição deve terminar depois de começar." in answer.content.decode()
    assert not Override.objects.exists()
    done = client.post("/oncall/overrides/", {
        "user": tam.pk, "level": 1, "starts_at": "2030-01-02T08:00",
        "ends_at": "2030-01-02T09:00"})
    assert done.status_code == 302
    assert Override.objects.get().user == tam


def test_the_contact_sees_who_acknowledged_and_no_address(client, primary, contact_a):
    ticket = file_ticket(contact_a, severity=1)
    client.force_login(contact_a)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "The on-call engineer was paged at" in html
    assert "has not acknowledged yet" in html
    assert "please call the priority line now" in html  # still shown while unacknowledged
    services.ticket_change(ticket=ticket, actor=primary, assignee=primary)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    paged = timezone.localtime(Ticket.objects.get(pk=ticket.pk).paged_at).strftime("%H:%M")
    assert re.search(rf"The on-call engineer was paged at {paged}; Ana Souza acknowledged at "
                     r"\d\d:\d\d\.", html)
    assert "ana@vendor.example" not in html
    assert "please call the priority line now" not in html
    assert "On-call pages" not in html  # the staff list of pages


def test_the_staff_ticket_page_lists_the_pages(client, primary, contact_a, engineer):
    ticket = file_ticket(contact_a, severity=1)
    client.force_login(engineer)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "On-call pages" in html
    assert "not acknowledged" in html
    assert "(severity-1 request filed)" in html  # the timeline's paging event
    services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "(by taking the ticket)" in html


def rows(html):
    return re.findall(r'<tr class="queue-row', html)


def test_the_queue_marks_paged_rows_without_extra_queries(client, primary, contact_a, engineer,
                                                          django_assert_num_queries):
    client.force_login(engineer)
    for _ in range(3):
        file_ticket(contact_a, severity=1)
    acked = file_ticket(contact_a, severity=1)
    services.comment_add(ticket=acked, author=primary, body="On it.")
    # 1 session, 2 the signed-in user, 3 count of the queue, 4 the page of tickets joined with
    # company, plan, requester, assignee and who acknowledged its page, 5 the company filter.
    with django_assert_num_queries(5):
        html = client.get(QUEUE).content.decode()
    assert len(rows(html)) == 4
    assert html.count('class="paged-marker"') == 3
    assert html.count("acknowledged by Ana Souza") == 1
    for _ in range(20):
        services.comment_add(ticket=file_ticket(contact_a, severity=1), author=primary,
                             body="On it.")
    with django_assert_num_queries(5):
        html = client.get(QUEUE).content.decode()
    assert html.count("acknowledged by Ana Souza") == 21


def test_the_dashboard_shows_time_to_acknowledge(api, client, primary, contact_a, tam,
                                                 company_a):
    now = timezone.now()
    paged_at = now - timedelta(hours=1)
    for minutes in (2, 4, 10):
        ticket = file_ticket(contact_a, severity=1)
        Ticket.objects.filter(pk=ticket.pk).update(paged_at=paged_at)
        paging.acknowledge(ticket=Ticket.objects.get(pk=ticket.pk), by=primary, via="api",
                           now=paged_at + timedelta(minutes=minutes))
    stats = acknowledge_stats(Ticket.objects.all(), Period.days_before(now, 30))
    assert stats == {"count": 3, "median_seconds": 240, "p90_seconds": 528}
    body = api(tam).get(f"/api/v1/companies/{company_a.pk}/dashboard/").json()
    assert body["acknowledge_30d"]["median_seconds"] == 240
    client.force_login(tam)
    html = client.get(f"/tam/accounts/{company_a.pk}/").content.decode()
    assert 'id="ack-count">3<' in html


def test_the_open_ticket_page_learns_of_the_acknowledgement_without_a_reload(client, primary,
                                                                            contact_a):
    ticket = file_ticket(contact_a, severity=1)
    client.force_login(contact_a)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    stamp = re.search(r'/live/\?stamp=([0-9a-f]+)"', html).group(1)
    live = f"/tickets/{ticket.pk}/live/"
    assert client.get(live, {"stamp": stamp}, HTTP_HX_REQUEST="true").status_code == 204
    paging.acknowledge(ticket=Ticket.objects.get(pk=ticket.pk), by=primary, via="api")
    answer = client.get(live, {"stamp": stamp}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert 'id="paging-note" hx-swap-oob="true"' in answer.content.decode()
    assert "Ana Souza acknowledged at" in answer.content.decode()
