"""Everyone in their own time and language (SPEC §10, issue #16): pages in the viewer's zone,
named; e-mails in the recipient's language and zone, named; the browser's language remembered
at sign-in; and the e-mail defects (ISO deadlines, bare severities, the number twice, staff
invited to reply by e-mail)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import User
from sla.jobs import flag_breaches
from tests.factories import PASSWORD, UserFactory, file_ticket
from tickets.models import OutboundEmail
from tickets.notifications.delivery import build_message, deliver_outbox
from tickets.outbox import subject_with_number
from tickets.services import comment_add

pytestmark = pytest.mark.django_db

FILED = datetime(2026, 11, 24, 1, 28, tzinfo=UTC)  # 22:28 the day before in São Paulo


def test_a_sao_paulo_contact_sees_her_own_time_and_zone(client, contact_a):
    User.objects.filter(pk=contact_a.pk).update(timezone="America/Sao_Paulo")
    with time_machine.travel(FILED, tick=False):
        ticket = file_ticket(contact_a)
    client.force_login(contact_a)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "22:28" in page
    assert ", 01:28<" not in page  # never shown in UTC
    assert "America/Sao_Paulo (UTC−03:00)" in page  # the SLA box and the footer name it
    assert "Times are shown in America/Sao_Paulo" in page
    listing = client.get("/tickets/").content.decode()
    assert "Nov 23, 2026, 22:28" in listing


def test_staff_see_the_same_ticket_in_their_own_zone(client, contact_a, engineer):
    User.objects.filter(pk=engineer.pk).update(timezone="Europe/Berlin")
    with time_machine.travel(FILED, tick=False):
        ticket = file_ticket(contact_a)
    client.force_login(engineer)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "02:28" in page
    assert "Europe/Berlin (UTC+01:00)" in page


def test_the_api_keeps_utc_with_offset(api, contact_a):
    User.objects.filter(pk=contact_a.pk).update(timezone="Asia/Tokyo")
    with time_machine.travel(FILED, tick=False):
        ticket = file_ticket(contact_a)
    contact_a.refresh_from_db()
    body = api(contact_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert body["created_at"].startswith("2026-11-24T01:28:00")
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_pt_br_pages_use_the_portuguese_formats(client, contact_a):
    User.objects.filter(pk=contact_a.pk).update(timezone="America/Sao_Paulo")
    with time_machine.travel(FILED, tick=False):
        file_ticket(contact_a)
    client.force_login(contact_a)
    page = client.get("/tickets/", headers={"accept-language": "pt-BR"}).content.decode()
    assert "23/11/2026 22:28" in page
    assert "Horários exibidos em America/Sao_Paulo" in page


def test_emails_are_written_in_the_recipients_zone_and_name_it(contact_a, engineer, tam):
    User.objects.filter(pk=contact_a.pk).update(timezone="America/Sao_Paulo", language="pt-br")
    User.objects.filter(pk=tam.pk).update(timezone="Europe/Berlin")
    contact_a.refresh_from_db()
    with time_machine.travel(FILED, tick=False):
        ticket = file_ticket(contact_a, severity=1)
    acknowledgement = OutboundEmail.objects.get(to=contact_a.email)
    assert "Crítica" in acknowledgement.body  # the severity in words, in Portuguese
    assert "(America/Sao_Paulo (UTC−03:00))" in acknowledgement.body
    assert "Os horários deste e-mail estão em America/Sao_Paulo" in acknowledgement.body
    flag_breaches(FILED + timedelta(hours=1))
    alert = OutboundEmail.objects.get(to=tam.email, event__kind="sla_breach")
    assert "T0" not in alert.body  # no ISO timestamp
    assert "+00:00" not in alert.body
    assert "1 – Critical" in alert.body
    assert "First response due: Tuesday, November 24, 2026, 02:58 (Europe/Berlin" in alert.body
    assert ticket.number in alert.subject


def test_the_number_appears_once_in_a_subject():
    assert subject_with_number("Ana replied to TS-000007: Disk full", "TS-000007") \
        == "Ana replied to [TS-000007]: Disk full"
    assert subject_with_number("We received your request: Disk", "TS-000007") \
        == "[TS-000007] We received your request: Disk"
    assert subject_with_number("[TS-000007] x", "TS-000007") == "[TS-000007] x"


def test_staff_are_never_invited_to_reply_by_email(contact_a, engineer):
    ticket = file_ticket(contact_a)
    comment_add(ticket=ticket, author=contact_a, body="More details.")
    ticket.refresh_from_db()
    comment_add(ticket=ticket, author=engineer, body="Thanks, looking.")
    ticket.assignee = engineer
    ticket.save()
    comment_add(ticket=ticket, author=contact_a, body="Any news?")
    to_staff = OutboundEmail.objects.filter(to=engineer.email).first()
    to_contact = OutboundEmail.objects.filter(to=contact_a.email).first()
    staff_text = build_message(to_staff).body
    assert "Reply to this e-mail" not in staff_text
    assert "replies to this e-mail are not added to the ticket" in staff_text
    assert "Reply to this e-mail to add to" in build_message(to_contact).body
    assert deliver_outbox() >= 2
    assert all(m.subject.count(ticket.number) == 1 for m in mail.outbox)


def test_the_browsers_language_at_sign_in_is_kept_for_emails(contact_a):
    assert contact_a.language == "en"
    browser = Client(headers={"accept-language": "pt-BR,pt;q=0.9"})
    response = browser.post("/accounts/login/", {"login": contact_a.email,
                                                  "password": PASSWORD})
    assert response.status_code == 302
    contact_a.refresh_from_db()
    assert contact_a.language == "pt-br"
    # A test client's sign-in (no language asked for) changes nothing.
    Client().force_login(contact_a)
    contact_a.refresh_from_db()
    assert contact_a.language == "pt-br"


def test_the_after_hours_notice_uses_the_contacts_own_zone(client, contact_a, company_a):
    company_a.timezone = "UTC"
    company_a.save()
    User.objects.filter(pk=contact_a.pk).update(timezone="Asia/Tokyo")
    # Wednesday 10:00 UTC is 19:00 in Tokyo: after hours for her, office hours in UTC.
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), tick=False):
        client.force_login(contact_a)
        page = client.get("/tickets/new/").content.decode()
    assert "outside business hours where you are (Asia/Tokyo" in page


def test_a_signature_step_message_is_in_the_customers_language(contact_a, expert):
    from tickets.models import DatabaseRelease, SignatureStatus
    from tickets.signatures import services as sig

    User.objects.filter(pk=contact_a.pk).update(language="pt-br")
    contact_a.refresh_from_db()
    release = DatabaseRelease.objects.create(version="2026.12.01.01")
    request = sig.signature_request_create(
        requester=contact_a, type="false_positive", product="Endpoint Security",
        product_version="12.1", database_version=release.version, description="x",
        sha256="b" * 64)
    assert request.ticket.subject.startswith("Falso positivo")
    sig.signature_request_transition(request=request, actor=expert,
                                     to=SignatureStatus.IN_ANALYSIS)
    step = request.ticket.comments.get(author=expert)
    assert step.body.startswith("Etapa 1 de 3")


def test_tams_and_experts_land_where_their_work_is(client, tam, expert, engineer):
    for user, start in ((tam, "/tam/"), (expert, "/signature-requests/"), (engineer, "/queue/")):
        client.force_login(user)
        assert client.get("/")["Location"] == start


def test_there_is_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert client.get(response["Location"]).status_code == 200


def test_timeline_notes_do_not_borrow_the_tam_note_style(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    comment_add(ticket=ticket, author=engineer, body="Answer")
    client.force_login(contact_a)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'class="tl-note"' in page
    assert 'class="note"' not in page


def test_the_expert_reads_about_the_customer_not_to_them(client, contact_a, expert):
    from tickets.models import DatabaseRelease, SignatureStatus
    from tickets.signatures import services as sig

    release = DatabaseRelease.objects.create(version="2026.12.02.01")
    request = sig.signature_request_create(
        requester=contact_a, type="false_negative", product="Mail Gateway",
        product_version="3", database_version=release.version, description="x",
        sha256="c" * 64)
    sig.signature_request_transition(request=request, actor=expert,
                                     to=SignatureStatus.IN_ANALYSIS)
    client.force_login(expert)
    staff_page = client.get(f"/signature-requests/{request.pk}/").content.decode()
    assert "took up the request" in staff_page
    assert "your request" not in staff_page
    client.force_login(contact_a)
    assert "took up your request" in client.get(
        f"/signature-requests/{request.pk}/").content.decode()


def test_new_staff_start_in_the_portal_zone(settings):
    settings.PORTAL_TIME_ZONE = "America/New_York"
    assert UserFactory(role="engineer").timezone == "America/New_York"
