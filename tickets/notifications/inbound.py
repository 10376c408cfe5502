"""Inbound e-mail: a message to the support address becomes a ticket, or a comment on the
ticket its subject (``[TS-000123]``) or threading headers name — only when the sender is an
active contact and the ticket is their company's. Everything else is refused: logged, recorded
in ``InboundEmail`` without its content, and answered where a known contact can use the answer
(never to unknown senders, which would send spam back to forged addresses).

The delivery path is an IMAP mailbox polled by Celery beat (``poll_mailbox``); the processing
takes the raw RFC 822 bytes, as any other path (an MTA pipe, an inbound webhook) would give.
"""

import email
import email.policy
import email.utils
import imaplib
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User, normalize_email
from support_portal.kernel.errors import ConflictError
from tickets import services
from tickets.access import visible_tickets
from tickets.models import Channel, InboundEmail, InboundOutcome, Ticket, parse_number
from tickets.notifications.delivery import parse_thread_id
from tickets.outbox import email_users

log = logging.getLogger(__name__)

NUMBER_IN_SUBJECT = re.compile(r"\[\s*(TS-\d+)\s*\]", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|enc|res|aw|wg)\s*:\s*)+", re.IGNORECASE)
#: Severity of a ticket that arrives by e-mail (it carries none); staff correct it.
EMAIL_SEVERITY = 3


@dataclass
class Result:
    outcome: str
    reason: str = ""
    ticket: Ticket | None = None


class _TextFromHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = [" ".join(line.split()) for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    return parser.text()


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()  # decoded with the part's own charset
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return content.strip()


def _attachments(message: EmailMessage) -> tuple[list[SimpleUploadedFile], list[str]]:
    """Files to keep, and notes about the ones that could not be kept."""
    kept: list[SimpleUploadedFile] = []
    notes: list[str] = []
    for part in message.iter_attachments():
        name = part.get_filename() or "attachment"
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if len(data) > settings.ATTACHMENT_MAX_BYTES:
            notes.append(_("The attachment “%(name)s” (%(mb).1f MB) is over the %(limit)d MB "
                           "limit and was not kept.") % {
                "name": name, "mb": len(data) / 1048576,
                "limit": settings.ATTACHMENT_MAX_BYTES // 1048576})
            continue
        kept.append(SimpleUploadedFile(name, data, content_type="application/octet-stream"))
    return kept, notes


def _refuse(record: InboundEmail, reason: str, *, reply_to: User | None = None,
            subject: str = "") -> Result:
    record.outcome = InboundOutcome.REFUSED
    record.reason = reason[:300]
    record.save()
    log.warning("inbound e-mail from %s refused: %s", record.sender, reason)
    if reply_to is not None:
        email_users([reply_to], ticket=None, event=None, only_active=False, compose=lambda: (
            _("We could not accept your e-mail: %(subject)s") % {"subject": subject[:150]},
            _("Your message was not added to any request.\n\nReason: %(reason)s\n\n"
              "You can file and follow your requests in the portal. For a critical problem "
              "call the priority line.\n") % {"reason": reason},
        ))
    return Result(InboundOutcome.REFUSED, reason)


def _sender(address: str) -> tuple[User | None, str]:
    """The contact who wrote, and whether they may still act for their company."""
    user = User.objects.select_related("contact__company").filter(email=address).first()
    if user is None or user.role != Role.CONTACT:
        return None, "unknown"
    return user, "ok" if user.active_contact is not None else "inactive"


def _referenced_ticket(message: EmailMessage) -> tuple[int | None, str]:
    subject = str(message.get("Subject", ""))
    match = NUMBER_IN_SUBJECT.search(subject)
    if match:
        return parse_number(match.group(1)), match.group(1).upper()
    for header in ("In-Reply-To", "References"):
        ticket_id = parse_thread_id(str(message.get(header, "")))
        if ticket_id:
            return ticket_id, f"TS-{ticket_id:06d}"
    return None, ""


def process_raw(raw: bytes) -> Result:
    """Turn one raw message into a ticket or a comment, or refuse it. Idempotent per
    Message-ID: the same message delivered twice is processed once."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        sender_header = str(message.get("From", ""))
        subject = " ".join(str(message.get("Subject", "")).split())
        message_id = str(message.get("Message-ID", "")).strip()
    except Exception as exc:  # the parser or a header decoder gave up: malformed MIME
        log.warning("inbound e-mail could not be parsed: %s", exc)
        return Result(InboundOutcome.REFUSED, f"malformed message: {exc}")
    _name, address = email.utils.parseaddr(sender_header)
    address = normalize_email(address)
    if not message_id:
        message_id = f"<no-id-{hash(raw)}@{settings.EMAIL_MESSAGE_DOMAIN}>"
    record = InboundEmail(message_id=message_id[:998], sender=address[:320] or "?",
                          subject=subject[:300], size=len(raw))
    if InboundEmail.objects.filter(message_id=record.message_id).exists():
        return Result(InboundOutcome.DUPLICATE, "already processed")
    if not address or "@" not in address:
        return _refuse(record, "no usable sender address")
    auto = str(message.get("Auto-Submitted", "no")).lower()
    if auto != "no" or address == normalize_email(settings.SUPPORT_EMAIL_ADDRESS):
        return _refuse(record, "automatic message (loop protection)")
    if message.defects and not message.get_body():
        return _refuse(record, f"malformed MIME: {message.defects[0].__class__.__name__}")

    user, state = _sender(address)
    if state == "unknown":
        return _refuse(record, "sender is not a named contact")
    assert user is not None  # noqa: S101
    if state == "inactive":
        return _refuse(record, _("Your contact access has been deactivated. Please ask your "
                                 "company's account manager."), reply_to=user, subject=subject)
    try:
        body = _body_text(message)
        files, notes = _attachments(message)
    except Exception as exc:  # a part whose encoding cannot be decoded
        return _refuse(record, f"malformed MIME: {exc}")
    if notes:
        body = "\n\n".join([body or "", *notes]).strip()
    body = body or _("(The e-mail had no text.)")

    ticket_id, number = _referenced_ticket(message)
    try:
        with transaction.atomic():
            if ticket_id is not None:
                ticket = visible_tickets(user).filter(pk=ticket_id).first()
                if ticket is None:
                    raise LookupError(number)
                comment = services.comment_add(ticket=ticket, author=user, body=body,
                                               files=files)
                record.outcome, record.ticket, record.comment = (
                    InboundOutcome.COMMENT, ticket, comment)
            else:
                title = REPLY_PREFIX.sub("", subject)[:200] or _("(no subject)")
                ticket = services.ticket_create(
                    requester=user, subject=title, description=body, severity=EMAIL_SEVERITY,
                    channel=Channel.EMAIL,
                )
                for upload in files:
                    services.attachment_add(ticket=ticket, uploaded_by=user, upload=upload)
                record.outcome, record.ticket = InboundOutcome.NEW_TICKET, ticket
            record.save()
    except LookupError:
        return _refuse(record, _("There is no request %(number)s for your company.")
                       % {"number": number}, reply_to=user, subject=subject)
    except (PermissionDenied, ConflictError, ValidationError) as exc:
        reason = getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)]))
        return _refuse(record, str(reason), reply_to=user, subject=subject)
    except IntegrityError:
        return Result(InboundOutcome.DUPLICATE, "already processed")
    log.info("inbound e-mail from %s: %s %s", address, record.outcome, ticket.number)
    return Result(record.outcome, ticket=ticket)


def poll_mailbox(url: str | None = None, limit: int = 50) -> int:
    """Fetch unseen messages from the IMAP mailbox ``imap[s]://user:password@host[:port]/box``,
    process each and mark it seen. Returns how many messages were taken."""
    url = url or settings.INBOUND_IMAP_URL
    if not url:
        return 0
    parts = urlparse(url)
    imap_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    taken = 0
    with imap_class(parts.hostname or "localhost", port, timeout=30) as imap:
        imap.login(unquote(parts.username or ""), unquote(parts.password or ""))
        imap.select(unquote(parts.path.lstrip("/")) or "INBOX")
        _status, data = imap.search(None, "UNSEEN")
        for number in [n.decode() for n in (data[0] or b"").split()[:limit]]:
            _status, fetched = imap.fetch(number, "(RFC822)")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), b"")
            try:
                process_raw(raw)
            except Exception:  # never let one message stop the mailbox; it stays unseen
                log.exception("inbound e-mail %s failed; left unseen for the next poll", number)
                continue
            imap.store(number, "+FLAGS", "\\Seen")
            taken += 1
    return taken
