"""Who hears about what: e-mails and the in-portal bell, exactly once, never an internal note
to a customer."""

import pytest
from django.core import mail

from tests.factories import ContactFactory, file_ticket
from tickets import services
from tickets.models import Notification, OutboundEmail
from tickets.notifications.delivery import deliver_outbox

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL-NOTE-93c1"


def sent_to() -> list[tuple[str, str]]:
    deliver_outbox()
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_filing_acknowledges_the_requester_only(contact_a, engineer, tam):
    # Severity 2: a premium severity-1 filing also pages the on-call engineer (SPEC §11,
    # tests/test_oncall_paging.py).
    ticket = file_ticket(contact_a, severity=2)
    out = sent_to()
    assert [to for to, _ in out] == [contact_a.email]
    assert f"[{ticket.number}]" in out[0][1]
    assert not Notification.objects.exists()  # an acknowledgement is not a bell event


def test_a_public_reply_reaches_the_requester_once_by_mail_and_bell(contact_a, engineer):
    colleague = ContactFactory(company=contact_a.contact.company).user
    ticket = file_ticket(contact_a)
    mail.outbox.clear()
    OutboundEmail.objects.all().delete()
    services.comment_add(ticket=ticket, author=engineer, body="We found the cause.")
    assert [to for to, _ in sent_to()] == [contact_a.email]
    assert list(Notification.objects.values_list("user", flat=True)) == [contact_a.pk]
    assert not Notification.objects.filter(user=colleague).exists()
    assert deliver_outbox() == 0  # nothing left to send twice


def test_internal_notes_reach_no_customer_anywhere(contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
    mail.outbox.clear()
    OutboundEmail.objects.all().delete()
    services.comment_add(ticket=ticket, author=engineer, body=SECRET, internal=True)
    deliver_outbox()
    assert all(SECRET not in m.body for m in mail.outbox)
    assert all(m.to != [contact_a.email] for m in mail.outbox)
    assert not Notification.objects.filter(user=contact_a).exists()
    assert all(SECRET not in n.message for n in Notification.objects.all())


def test_a_customer_reply_notifies_the_assignee(contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
    mail.outbox.clear()
    OutboundEmail.objects.all().delete()
    services.comment_add(ticket=ticket, author=contact_a, body="Any news?")
    assert [to for to, _ in sent_to()] == [engineer.email]
    assert Notification.objects.get().user == engineer


def test_status_changes_that_concern_the_customer_are_sent(contact_a, engineer):
    ticket = file_ticket(contact_a)
    mail.outbox.clear()
    OutboundEmail.objects.all().delete()
    services.ticket_change(ticket=ticket, actor=engineer, status="open")  # not announced
    services.ticket_change(ticket=ticket, actor=engineer, status="waiting_on_customer")
    services.ticket_change(ticket=ticket, actor=engineer, status="resolved")
    out = sent_to()
    assert [to for to, _ in out] == [contact_a.email, contact_a.email]
    assert Notification.objects.filter(user=contact_a).count() == 2


def test_emails_are_threaded_and_carry_a_text_and_an_html_body(contact_a, engineer, settings):
    settings.EMAIL_MESSAGE_DOMAIN = "portal.example.com"
    ticket = file_ticket(contact_a)
    services.comment_add(ticket=ticket, author=engineer, body="Reply one")
    deliver_outbox()
    ack, reply = sorted(mail.outbox, key=lambda m: "Reply one" in m.body)
    root = f"<ts-{ticket.pk}@portal.example.com>"
    assert ack.extra_headers["Message-ID"] == root
    assert reply.extra_headers["In-Reply-To"] == root
    assert reply.extra_headers["References"] == root
    assert reply.extra_headers["Message-ID"] != root
    assert reply.reply_to == [settings.SUPPORT_EMAIL_ADDRESS]
    html = reply.alternatives[0][0]
    assert reply.alternatives[0][1] == "text/html"
    assert "Reply one" in html
    assert f"/tickets/{ticket.pk}/" in html
    assert f"[{ticket.number}]" in reply.subject


def test_each_recipient_gets_their_own_language(contact_a, engineer):
    contact_a.language = "pt-br"
    contact_a.save()
    ticket = file_ticket(contact_a)
    services.comment_add(ticket=ticket, author=engineer, body="Olá")
    deliver_outbox()
    reply = next(m for m in mail.outbox if "Olá" in m.body)
    assert "respondeu" in reply.body
    assert "Responda a este e-mail" in reply.body or "portal" in reply.body


def test_the_bell_counts_unread_and_marks_read(client, contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.comment_add(ticket=ticket, author=engineer, body="One")
    services.comment_add(ticket=ticket, author=engineer, body="Two")
    client.force_login(contact_a)
    assert b">2<" in client.get("/notifications/badge/").content
    listing = client.get("/notifications/")
    assert listing.status_code == 200
    note = Notification.objects.filter(user=contact_a).first()
    response = client.post(f"/notifications/{note.pk}/read/")
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert b">1<" in client.get("/notifications/badge/").content
    client.post("/notifications/read-all/")
    assert b"zero" in client.get("/notifications/badge/").content


def test_nobody_reads_someone_elses_notification(client, contact_a, contact_b, engineer):
    ticket = file_ticket(contact_b)
    services.comment_add(ticket=ticket, author=engineer, body="For B")
    theirs = Notification.objects.get(user=contact_b)
    client.force_login(contact_a)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert b"For B" not in client.get("/notifications/").content
    theirs.refresh_from_db()
    assert theirs.read_at is None
