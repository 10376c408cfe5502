"""Tenant checks for tickets, in one place (see ``accounts.access``). Another company's ticket,
comment or attachment is answered 404; internal notes and their files do not exist for
contacts."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Attachment, Comment, SignatureRequest, Ticket, TicketEvent


def visible_tickets(user: User) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    if user.is_support_staff:
        return qs
    contact = getattr(user, "contact", None)
    if user.is_contact and contact is not None and contact.is_active:
        return qs.filter(company_id=contact.company_id)
    return qs.none()


def access_ticket(user: User, ticket_id: int | str) -> Ticket:
    try:
        return visible_tickets(user).select_related(
            "company__plan", "requester", "assignee"
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


def require_staff(user: User) -> None:
    if not user.is_support_staff:
        raise PermissionDenied(_("Only support staff may do this."))


def visible_signature_requests(user: User) -> QuerySet[SignatureRequest]:
    """Staff see every request; a contact sees their own company's."""
    return SignatureRequest.objects.filter(ticket__in=visible_tickets(user)).order_by(
        "-created_at", "-pk"
    )


def access_signature_request(user: User, request_id: int | str) -> SignatureRequest:
    try:
        return visible_signature_requests(user).select_related("ticket", "release").get(
            pk=int(request_id)
        )
    except (SignatureRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("No such signature request.")) from None
