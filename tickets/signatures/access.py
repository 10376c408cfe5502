"""Who sees which signature-change request (SPEC §1, §7): staff every one, a contact their own
company's — the ticket's tenant check, applied to the request."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.access import visible_tickets
from tickets.models import SignatureRequest


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
