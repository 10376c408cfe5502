"""Writes for tickets: filing, changes, comments and attachments (SPEC §3–4).

Every service takes keyword arguments, runs in one transaction, records each change in the
ticket's timeline, and queues its notifications in the same transaction.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Contact, User
from sla.policies import policy_for, response_deadlines
from support_portal.kernel.dates import email_datetime
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.files import sha256_of
from tickets import cadence, limits, paging
from tickets.models import (
    Attachment,
    Channel,
    Comment,
    EventKind,
    Kind,
    Severity,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.outbox import email_users, notify

UNSET: Any = object()
#: How far back staff may date a phone call they log (the call time starts the SLA clock).
MAX_CALL_AGE = timedelta(days=1)


def _event(ticket: Ticket, kind: str, actor: User | None, old: object = "", new: object = "",
           *, internal: bool = False, at: datetime | None = None) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, old_value=str(old)[:255], new_value=str(new)[:255],
        internal=internal, created_at=at or timezone.now(),
    )


def _requesting_contact(user: User) -> Contact:
    contact = user.active_contact
    if contact is None:
        raise ValidationError({"requester": [_("The requester must be an active contact.")]})
    return contact


def ticket_create(
    *, requester: User, subject: str, description: str, severity: int,
    kind: str = Kind.INCIDENT, product: str = "", product_version: str = "",
    channel: str = Channel.PORTAL, created_by: User | None = None,
    company: Company | None = None, received_at: datetime | None = None,
) -> Ticket:
    """File a ticket for ``requester``'s company. ``created_by`` is staff filing on a contact's
    behalf (e.g. a phone call, whose ``received_at`` starts the SLA clock). A ``company`` given
    with its plan loaded is taken as read by the caller in this request (its license and plan
    are checked as they are); otherwise both are read here."""
    contact = _requesting_contact(requester)
    if company is not None and company.pk != contact.company_id:
        raise ValidationError({"requester": [_("The requester is not a contact of this company.")]})
    if company is None or not Company.plan.is_cached(company):
        company = Company.objects.select_related("plan").get(pk=contact.company_id)
    refusal = company.license_refusal()
    if refusal:
        raise PermissionDenied(refusal)
    if severity not in (1, 2, 3, 4):
        raise ValidationError({"severity": [_("Severity must be 1, 2, 3 or 4.")]})
    subject, description = subject.strip(), description.strip()
    product, product_version = product.strip(), product_version.strip()
    errors = limits.too_long({
        "subject": (subject, limits.SUBJECT_MAX),
        "description": (description, limits.DESCRIPTION_MAX),
        "product": (product, limits.PRODUCT_MAX),
        "product_version": (product_version, limits.PRODUCT_VERSION_MAX),
    })
    if not subject:
        errors["subject"] = [_("A subject is required.")]
    if not description:
        errors["description"] = [_("A description is required.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    start = received_at or now
    if received_at is not None and not (now - MAX_CALL_AGE <= received_at <= now):
        raise ValidationError({"received_at": [_("The call time must be within the last day.")]})

    # The terms of the plan the company holds now; the ticket keeps them (README, "Plan
    # changes").
    policy = policy_for(company.plan_id, severity)
    due, warn = response_deadlines(policy, start)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            company=company, requester=requester, subject=subject, description=description,
            severity=severity, kind=kind, channel=channel, product=product,
            product_version=product_version, plan=company.plan,
            priority_tier=company.plan.priority_tier,
            created_at=start, response_due_at=due, response_warn_at=warn,
        )
        event = _event(ticket, EventKind.CREATED, created_by or requester, new=channel, at=start)

        def acknowledgement() -> tuple[str, str]:
            # An automatic acknowledgement: it does not count as the first response. It quotes
            # a bounded excerpt; the whole description is on the ticket's page.
            return (
                _("We received your request: %(subject)s") % {"subject": ticket.subject},
                _("We received your request %(number)s (severity %(severity)s).\n"
                  "An engineer will respond by %(due)s.\n\n%(description)s\n") % {
                    "number": ticket.number, "severity": Severity(severity).label,
                    "due": email_datetime(due),
                    "description": limits.excerpt(description),
                },
            )

        email_users([requester], ticket=ticket, event=event, compose=acknowledgement)
        if paging.pages_when_filed(ticket):
            # Any channel, at any hour: the on-call engineer is paged (SPEC §11).
            paging.page_ticket(ticket=ticket, reason=paging.Reason.FILED)
    return ticket


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("company").get(pk=ticket.pk)


@transaction.atomic
def ticket_change(
    *, ticket: Ticket, actor: User | None, severity: int | None = None,
    status: str | None = None,
    assignee: Any = UNSET, notify_customer: bool = True,
) -> Ticket:
    """Staff corrections: severity (recomputing an unanswered deadline), status, assignee.
    ``notify_customer=False`` when the caller informs the customer itself; ``actor=None`` for
    a change made by the portal itself (a job)."""
    ticket = _lock(ticket)
    now = timezone.now()
    # Updates missed until now count under the terms in force until now (SPEC §12).
    cadence.catch_up(ticket, now)
    terms = (ticket.severity, ticket.status)
    if severity is not None and severity != ticket.severity:
        if severity not in (1, 2, 3, 4):
            raise ValidationError({"severity": [_("Severity must be 1, 2, 3 or 4.")]})
        _event(ticket, EventKind.SEVERITY, actor, ticket.severity, severity, at=now)
        ticket.severity = severity
        if ticket.first_response_at is None:
            # SPEC §4: recomputed from the original creation time with the new target of the
            # plan the ticket was filed under.
            due, warn = response_deadlines(policy_for(ticket.plan_id, severity),
                                           ticket.created_at)
            _event(ticket, EventKind.DEADLINE, actor, ticket.response_due_at.isoformat(),
                   due.isoformat(), at=now)
            ticket.response_due_at, ticket.response_warn_at = due, warn
    if status is not None and status != ticket.status:
        if status not in Status.values:
            raise ValidationError({"status": [_("Unknown status “%(s)s”.") % {"s": status}]})
        if not ticket.can_move_to(status):
            raise ConflictError(
                _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(ticket.status).label, "new": Status(status).label}
            )
        status_event = _event(ticket, EventKind.STATUS, actor, ticket.status, status, at=now)
        ticket.status = status
        if notify_customer and status in (Status.WAITING_ON_CUSTOMER, Status.RESOLVED,
                                          Status.CLOSED):
            # The customer hears about the changes that concern them.
            notify([ticket.requester], ticket=ticket, event=status_event, compose=lambda: (
                _("%(number)s is now: %(status)s") % {"number": ticket.number,
                                                     "status": Status(status).label},
                _("The status of your request %(number)s (%(subject)s) changed to “%(status)s”."
                  "\n") % {"number": ticket.number, "subject": ticket.subject,
                           "status": Status(status).label},
            ))
        if status == Status.RESOLVED:
            ticket.resolved_at = now
        elif status == Status.CLOSED:
            ticket.closed_at = now
    if assignee is not UNSET and assignee != ticket.assignee:
        if assignee is not None and (not assignee.is_support_staff or not assignee.is_active):
            raise ValidationError({"assignee": [_("Tickets can only be assigned to support "
                                                  "staff.")]})
        _event(ticket, EventKind.ASSIGNEE, actor,
               ticket.assignee.full_name if ticket.assignee else "",
               assignee.full_name if assignee else "", at=now)
        ticket.assignee = assignee
        if assignee is not None and actor is not None and assignee.pk == actor.pk:
            # Taking the ticket acknowledges its open pages (SPEC §11).
            paging.acknowledge_on_staff_action(ticket, actor, "take", now)
    if severity == Severity.CRITICAL and terms[0] != severity and paging.pages_when_filed(ticket):
        # Raised to severity 1 while unanswered: a premium customer's ticket pages.
        paging.page_ticket(ticket=ticket, reason=paging.Reason.SEVERITY)
    if (ticket.severity, ticket.status) != terms:
        # Back to open restarts the update cadence from now, anything else pauses it; a new
        # severity restarts it with the new interval.
        cadence.restart(ticket, now)
    ticket.save()
    return ticket


def _check_upload(upload: UploadedFile) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError({"file": [
            _("“%(name)s” is larger than the %(mb)d MB limit.")
            % {"name": upload.name, "mb": limit // (1024 * 1024)}
        ]})


def _store_attachment(ticket: Ticket, uploaded_by: User, upload: UploadedFile,
                      comment: Comment | None) -> Attachment:
    attachment = Attachment(
        ticket=ticket, comment=comment, uploaded_by=uploaded_by,
        original_name=(upload.name or "attachment")[:255], size=upload.size or 0,
        sha256=sha256_of(upload),
    )
    attachment.file.save(attachment.original_name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def comment_add(
    *, ticket: Ticket, author: User, body: str, internal: bool = False,
    files: Sequence[UploadedFile] = (), automatic: bool = False, notify_requester: bool = True,
) -> Comment:
    """A reply or an internal note. ``automatic``: a templated notice posted for staff (e.g. a
    signature step without words of their own), which informs the customer but is neither the
    first response nor an update (SPEC §4, §12). ``notify_requester=False`` when the caller
    tells the requester itself (an incident update: one e-mail per requester)."""
    for upload in files:
        _check_upload(upload)
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("The comment is empty.")]})
    if errors := limits.too_long({"body": (body, limits.COMMENT_MAX)}):
        raise ValidationError(errors)
    if internal and not author.is_support_staff:
        raise ValidationError({"internal": [_("Only support staff can write internal notes.")]})
    if automatic and (internal or not author.is_support_staff):
        raise ValidationError({"automatic": [_("Only public staff notices are automatic.")]})
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED and not author.is_support_staff:
        raise ConflictError(_("This ticket is closed. Please file a new request."))
    now = timezone.now()
    comment = Comment.objects.create(ticket=ticket, author=author, body=body, internal=internal,
                                     automatic=automatic, created_at=now)
    event = _event(ticket, EventKind.NOTE if internal else EventKind.REPLY, author,
                   new=comment.pk, internal=internal, at=now)
    for upload in files:
        attachment = _store_attachment(ticket, author, upload, comment)
        _event(ticket, EventKind.ATTACHMENT, author, new=attachment.original_name,
               internal=internal, at=now)

    if author.is_support_staff and not internal and automatic:
        # A templated notice: the customer is informed, no clock stops or restarts.
        if notify_requester:
            notify([ticket.requester], ticket=ticket, event=event, compose=lambda: (
                _("Update on %(number)s: %(subject)s") % {
                    "number": ticket.number, "subject": ticket.subject},
                f"{body}\n",
            ))
    elif author.is_support_staff and not internal:
        if ticket.first_response_at is None:
            # The first public reply written by staff stops the SLA clock (SPEC §4) and
            # acknowledges the ticket's open pages (SPEC §11).
            paging.acknowledge_on_staff_action(ticket, author, "reply", now)
            ticket.first_response_at = now
            state = ticket.sla_state(now)
            _event(ticket, EventKind.FIRST_RESPONSE, author, ticket.response_due_at.isoformat(),
                   state, at=now)
        if ticket.status == Status.NEW:
            _event(ticket, EventKind.STATUS, author, ticket.status, Status.OPEN, at=now)
            ticket.status = Status.OPEN
        cadence.staff_update(ticket, now)
        if notify_requester:
            notify([ticket.requester], ticket=ticket, event=event, compose=lambda: (
                _("%(author)s replied to %(number)s: %(subject)s") % {
                    "author": author.full_name, "number": ticket.number,
                    "subject": ticket.subject},
                _("%(author)s replied to %(number)s:\n\n%(body)s\n") % {
                    "author": author.full_name, "number": ticket.number, "body": body},
            ))
    elif not author.is_support_staff:
        reopened = ticket.status in (Status.RESOLVED, Status.WAITING_ON_CUSTOMER)
        if ticket.status == Status.RESOLVED:
            _event(ticket, EventKind.REOPENED, author, ticket.status, Status.OPEN, at=now)
            ticket.status = Status.OPEN
            ticket.resolved_at = None
        elif ticket.status == Status.WAITING_ON_CUSTOMER:
            _event(ticket, EventKind.STATUS, author, ticket.status, Status.OPEN, at=now)
            ticket.status = Status.OPEN
        if reopened:
            # The customer's reply restarts the update cadence from this moment (SPEC §12).
            cadence.restart(ticket, now)
        notify([ticket.assignee], ticket=ticket, event=event, compose=lambda: (
            _("%(author)s wrote on %(number)s: %(subject)s") % {
                "author": author.full_name, "number": ticket.number, "subject": ticket.subject},
            _("%(author)s wrote on %(number)s:\n\n%(body)s\n") % {
                "author": author.full_name, "number": ticket.number, "body": body},
        ))
    ticket.save()
    return comment


@transaction.atomic
def attachment_add(*, ticket: Ticket, uploaded_by: User, upload: UploadedFile) -> Attachment:
    """A file attached to the ticket itself (not to a comment): visible to the customer."""
    _check_upload(upload)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED and not uploaded_by.is_support_staff:
        raise ConflictError(_("This ticket is closed. Please file a new request."))
    attachment = _store_attachment(ticket, uploaded_by, upload, None)
    _event(ticket, EventKind.ATTACHMENT, uploaded_by, new=attachment.original_name)
    ticket.save(update_fields=["updated_at"])
    return attachment

