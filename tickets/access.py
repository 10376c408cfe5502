"""Tenant checks for tickets, in one place (see ``accounts.access``). Another company's ticket,
comment or attachment is answered 404; internal notes, their files and internal events do not
exist for contacts (SPEC §1). Every feature package reads tickets through these."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Attachment, Comment, Ticket, TicketEvent


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Staff read every ticket; an active contact reads their company's (SPEC §1)."""
    qs = Ticket.objects.all()
    if user.is_support_staff:
        return qs
    contact = user.active_contact
    return qs.filter(company_id=contact.company_id) if contact is not None else qs.none()


def access_ticket(user: User, ticket_id: int | str) -> Ticket:
    try:
        return visible_tickets(user).select_related(
            "company__plan", "requester", "assignee", "paging_acked_by"
        ).get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such ticket.")) from None


def visible_comments(user: User, ticket: Ticket) -> QuerySet[Comment]:
    qs = ticket.comments.select_related("author").prefetch_related("attachments")
    return qs if user.is_support_staff else qs.filter(internal=False)


def visible_events(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    qs = ticket.events.select_related("actor")
    return qs if user.is_support_staff else qs.filter(internal=False)


def visible_attachments(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    qs = ticket.attachments.select_related("comment", "uploaded_by")
    if user.is_support_staff:
        return qs
    return qs.exclude(comment__internal=True)


def access_attachment(user: User, attachment_id: int | str) -> Attachment:
    try:
        attachment = Attachment.objects.select_related("ticket", "comment").get(
            pk=int(attachment_id)
        )
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such attachment.")) from None
    if not visible_tickets(user).filter(pk=attachment.ticket_id).exists():
        raise Http404(_("No such attachment."))
    if attachment.internal and not user.is_support_staff:
        raise Http404(_("No such attachment."))
    return attachment
