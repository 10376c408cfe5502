"""Chain of custody of samples (SPEC §7): who downloaded a sample, when and from where, and
the deletion of its bytes after the request is closed.

The downloads are the audit log's ``sample_downloaded`` entries (``accounts.audit``), written
in the transaction of each download; the custody list reads them rather than keeping a second
record of the same event. A sample's bytes are deleted ``SignaturePolicy.sample_retention``
(*default* 30 days) after its request's ticket was closed — never while it is open — and its
SHA-256, size and name stay, with the time of deletion.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import Action, AuditEntry
from tickets.models import EventKind, SignaturePolicy, SignatureRequest, Status, TicketEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustodyEntry:
    at: datetime
    who: str
    email: str
    ip: str | None
    #: ``file`` (the sample as stored) or ``zip`` (in the encrypted archive)
    form: str


def sample_downloads(request: SignatureRequest) -> QuerySet[AuditEntry]:
    """The audit entries of this request's sample downloads, oldest first: one query."""
    return AuditEntry.objects.filter(
        action=Action.SAMPLE_DOWNLOADED, company_id=request.ticket.company_id,
        object_type=SignatureRequest.__name__, object_id=str(request.pk),
    ).select_related("actor").order_by("at", "pk")


def custody_for(request: SignatureRequest) -> list[CustodyEntry]:
    """The custody list shown to staff and to the contacts of the request's company."""
    return [
        CustodyEntry(at=entry.at,
                     who=entry.actor.full_name if entry.actor else entry.actor_email,
                     email=entry.actor.email if entry.actor else entry.actor_email,
                     ip=entry.ip, form=str(entry.detail.get("as", "file")))
        for entry in sample_downloads(request)
    ]


# --- Retention --------------------------------------------------------------------------------


def _expired(now: datetime) -> QuerySet[SignatureRequest]:
    cutoff = now - SignaturePolicy.current().sample_retention
    return SignatureRequest.objects.exclude(sample="").filter(
        sample_deleted_at__isnull=True, ticket__status=Status.CLOSED,
        ticket__closed_at__isnull=False, ticket__closed_at__lte=cutoff,
    )


def _purge_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        # The claim re-checks the whole rule under the row lock: a request that is open (or
        # closed less than the retention ago) is never touched.
        request = _expired(now).select_for_update(of=("self",)).filter(pk=pk).first()
        if request is None:
            return False
        name = request.sample.name
        request.sample.storage.delete(name)  # a missing file (an earlier crash) is no error
        SignatureRequest.objects.filter(pk=pk).update(sample="", sample_deleted_at=now)
        TicketEvent.objects.create(ticket_id=request.ticket_id, kind=EventKind.SAMPLE_DELETED,
                                   new_value=request.sample_name[:255], created_at=now)
    return True


def purge_samples(now: datetime | None = None, batch: int = 500) -> int:
    """Delete the bytes of every sample past its retention. Safe to run concurrently; a crash
    after the file was deleted but before the commit only repeats the (idempotent) deletion."""
    now = now or timezone.now()
    purged = 0
    for pk in _expired(now).order_by("pk").values_list("pk", flat=True)[:batch]:
        try:
            purged += _purge_one(pk, now)
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            log.exception("Deleting the sample of signature request %s failed; retrying on the "
                          "next run", pk)
    return purged
