"""Inbound e-mail through real raw RFC 822 messages (tests/mail/*.eml, as an MTA delivers
them): new tickets, replies, refusals, attachments and charsets (SPEC §3 channels)."""

import base64
import hashlib
from pathlib import Path

import pytest

from accounts import services as account_services
from tests.factories import file_ticket
from tickets import services
from tickets.models import Comment, InboundEmail, OutboundEmail, Ticket
from tickets.notifications.inbound import poll_mailbox, process_raw

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"


def raw(name: str, **values: object) -> bytes:
    text = (MAIL / name).read_bytes().decode("latin-1")
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text.encode("latin-1")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def test_it_files_a_new_ticket_from_an_active_contact(contact_a, company_a):
    result = process_raw(raw("new_plain.eml", sender=contact_a.email.upper()))
    assert result.outcome == "new_ticket"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.company, ticket.requester) == ("email", company_a, contact_a)
    assert ticket.subject == "Scanner blocks our ERP update"
    assert "blocks the ERP updater on 40 servers" in ticket.description
    assert ticket.severity == 3
    ack = OutboundEmail.objects.get(ticket=ticket)
    assert ack.to == contact_a.email
    assert f"[{ticket.number}]" in ack.subject


def test_a_reply_with_the_number_in_the_subject_is_appended_and_reopens(contact_a, engineer):
    ticket = file_ticket(contact_a)
    services.ticket_change(ticket=ticket, actor=engineer, status="resolved")
    result = process_raw(raw("reply_subject.eml", sender=contact_a.email, number=ticket.number))
    assert result.outcome == "comment"
    assert Ticket.objects.count() == 1
    comment = Comment.objects.get(ticket=ticket)
    assert comment.author == contact_a
    assert comment.internal is False
    assert "again after the reboot" in comment.body
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_replying_to_a_notification_threads_by_its_headers(contact_a):
    ticket = file_ticket(contact_a)
    result = process_raw(raw("reply_headers.eml", sender=contact_a.email, ticket_id=ticket.pk))
    assert result.outcome == "comment"
    assert result.ticket == ticket
    assert "replying to it" in Comment.objects.get(ticket=ticket).body


def test_an_unknown_sender_is_refused_without_a_reply():
    result = process_raw(raw("new_plain.eml", sender="stranger@elsewhere.example"))
    assert result.outcome == "refused"
    assert Ticket.objects.count() == 0
    assert OutboundEmail.objects.count() == 0  # no backscatter to a possibly forged address
    record = InboundEmail.objects.get()
    assert (record.outcome, record.reason) == ("refused", "sender is not a named contact")


def test_a_deactivated_contact_is_refused_with_a_clear_reply(contact_a):
    account_services.contact_update(contact=contact_a.contact, is_active=False)
    contact_a.refresh_from_db()
    result = process_raw(raw("new_plain.eml", sender=contact_a.email))
    assert result.outcome == "refused"
    assert Ticket.objects.count() == 0
    reply = OutboundEmail.objects.get()
    assert "deactivated" in reply.body


def test_another_companys_ticket_number_is_refused(contact_a, contact_b):
    theirs = file_ticket(contact_b)
    OutboundEmail.objects.all().delete()
    result = process_raw(raw("reply_subject.eml", sender=contact_a.email, number=theirs.number))
    assert result.outcome == "refused"
    assert not Comment.objects.exists()
    assert Ticket.objects.count() == 1
    reply = OutboundEmail.objects.get(to=contact_a.email)
    assert f"no request {theirs.number} for your company" in reply.body
    assert theirs.subject not in reply.body  # nothing of the other tenant leaks


def test_attachments_are_kept_byte_exact(contact_a):
    process_raw(raw("multipart_attachment.eml", sender=contact_a.email))
    ticket = Ticket.objects.get()
    assert "The logs are attached — see line 42." in ticket.description
    attachment = ticket.attachments.get()
    expected = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    assert attachment.original_name == "scan-report.pdf"
    assert attachment.sha256 == hashlib.sha256(expected).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == expected


def test_an_html_only_message_becomes_clean_text(contact_a):
    process_raw(raw("html_only.eml", sender=contact_a.email))
    text = Ticket.objects.get().description
    assert "The console shows stale devices." in text
    assert "Since version 12.1 & later." in text
    assert "alert" not in text
    assert "color" not in text
    assert "<" not in text


def test_a_latin1_message_with_encoded_headers_is_decoded(contact_a):
    process_raw(raw("latin1.eml", sender=contact_a.email))
    ticket = Ticket.objects.get()
    assert ticket.subject == "Não consigo atualizar as assinaturas"
    assert "A atualização das assinaturas falha com o código 0x80" in ticket.description


def test_an_attachment_over_the_limit_is_not_kept_and_the_ticket_says_so(contact_a, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    dump = base64.encodebytes(b"\0" * (2 * 1024 * 1024)).decode()
    message = (
        f"From: {contact_a.email}\r\nTo: support@portal.example.com\r\n"
        "Subject: Full memory dump\r\nMessage-ID: <large-1@mail.customer.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        "--XYZ\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nMemory dump attached.\r\n"
        '--XYZ\r\nContent-Type: application/octet-stream; name="memory.dmp"\r\n'
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; '
        'filename="memory.dmp"\r\n\r\n' + dump.replace("\n", "\r\n") + "--XYZ--\r\n"
    ).encode()
    assert len(message) > 2_500_000
    assert process_raw(message).outcome == "new_ticket"
    ticket = Ticket.objects.get()
    assert ticket.attachments.count() == 0
    assert "memory.dmp" in ticket.description
    assert "was not kept" in ticket.description


def test_malformed_mime_never_becomes_a_ticket(contact_a):
    result = process_raw(raw("malformed.eml", sender=contact_a.email))
    assert result.outcome == "refused"
    assert "malformed" in result.reason
    assert Ticket.objects.count() == 0
    assert process_raw(b"\xff\xfe\x00garbage without headers").outcome == "refused"
    assert Ticket.objects.count() == 0


def test_automatic_replies_are_refused_to_avoid_mail_loops(contact_a):
    ticket = file_ticket(contact_a)
    result = process_raw(raw("auto_reply.eml", sender=contact_a.email, number=ticket.number))
    assert result.outcome == "refused"
    assert not Comment.objects.exists()


def test_the_same_message_twice_is_processed_once(contact_a):
    message = raw("new_plain.eml", sender=contact_a.email)
    assert process_raw(message).outcome == "new_ticket"
    assert process_raw(message).outcome == "duplicate"
    assert Ticket.objects.count() == 1


def test_an_expired_license_is_refused_with_the_reason(contact_a, company_a):
    from datetime import timedelta

    from django.utils import timezone

    company_a.license_valid_until = timezone.localdate() - timedelta(days=1)
    company_a.save()
    result = process_raw(raw("new_plain.eml", sender=contact_a.email))
    assert result.outcome == "refused"
    assert Ticket.objects.count() == 0
    assert "license" in OutboundEmail.objects.get().body


class FakeImap:
    """Stands in for the network connection only: the messages are the raw fixtures."""

    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages
        self.seen: list[str] = []

    def __call__(self, host: str, port: int, timeout: int) -> "FakeImap":
        self.address = (host, port)
        return self

    def __enter__(self) -> "FakeImap":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def login(self, user: str, password: str) -> None:
        self.credentials = (user, password)

    def select(self, box: str) -> None:
        self.box = box

    def search(self, charset: object, criterion: str) -> tuple[str, list[bytes]]:
        numbers = " ".join(str(i + 1) for i in range(len(self.messages)))
        return "OK", [numbers.encode()]

    def fetch(self, number: str, parts: str) -> tuple[str, list[object]]:
        return "OK", [(b"1 (RFC822 {n}", self.messages[int(number) - 1]), b")"]

    def store(self, number: str, op: str, flag: str) -> None:
        self.seen.append(number)


def test_the_mailbox_poller_takes_and_marks_each_message(contact_a, monkeypatch):
    fake = FakeImap([raw("new_plain.eml", sender=contact_a.email),
                     raw("html_only.eml", sender="stranger@elsewhere.example")])
    monkeypatch.setattr("tickets.notifications.inbound.imaplib.IMAP4_SSL", fake)
    taken = poll_mailbox("imaps://support%40portal.example.com:s3cret@mail.example.com/Support")
    assert taken == 2
    assert fake.seen == ["1", "2"]
    assert fake.address == ("mail.example.com", 993)
    assert fake.credentials == ("support@portal.example.com", "s3cret")
    assert fake.box == "Support"
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.filter(outcome="refused").count() == 1
