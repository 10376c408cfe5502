"""Writes for antivirus-signature change requests (SPEC §7).

A request is a ticket of kind ``signature_change`` (so it has the SLA clock and a queue place)
plus a ``SignatureRequest`` row. Each expert step posts a public reply on the ticket — which
reaches the customer by e-mail and in the timeline — and records a status event. A step posted
without words of the expert's own is an automatic notice: it informs the customer but is
neither the first response nor an update (SPEC §4, §12); with their words (a message, or the
reason of a rejection) it is a written reply and counts. A release asks the customer to
confirm the fix (``tickets.signatures.verification``).
"""

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.preferences import zone_of
from support_portal.kernel.dates import email_datetime
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.files import sha256_of
from tickets import services
from tickets.models import (
    Channel,
    DatabaseRelease,
    EventKind,
    Kind,
    SignaturePolicy,
    SignatureRequest,
    SignatureStatus,
    SignatureType,
    TicketEvent,
    VerificationState,
)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def latest_release() -> DatabaseRelease | None:
    return DatabaseRelease.objects.order_by("-released_at", "-pk").first()


def _check_database_version(version: str) -> None:
    latest = latest_release()
    if latest is None or version == latest.version:
        return
    known = DatabaseRelease.objects.filter(version=version).first()
    if known is not None and known.released_at < latest.released_at:
        raise ValidationError({"database_version": [
            _("Your antivirus databases (%(yours)s) are older than the latest published release "
              "%(latest)s. Please update the databases first and check whether the problem "
              "remains; if it does, send the request again with the new version.")
            % {"yours": version, "latest": latest.version}
        ]})
    if known is None:
        raise ValidationError({"database_version": [
            _("“%(yours)s” is not a published antivirus-database release. The latest is "
              "%(latest)s: please update and enter the version your product shows.")
            % {"yours": version, "latest": latest.version}
        ]})


def signature_request_create(
    *, requester: User, type: str, product: str, product_version: str, database_version: str,
    description: str, sample: UploadedFile | None = None, sha256: str = "",
    object_url: str = "",
) -> SignatureRequest:
    """Validate everything first (nothing is stored for a refused request), then file the
    ticket and store the sample under a generated name outside any public path."""
    errors: dict[str, list[str]] = {}
    if type not in SignatureType.values:
        errors["type"] = [_("Choose false_positive or false_negative.")]
    sha256 = (sha256 or "").strip().lower()
    if sha256 and not SHA256_RE.match(sha256):
        errors["sha256"] = [_("A SHA-256 is 64 hexadecimal characters.")]
    if sample is None and not sha256:
        errors["sample"] = [_("Attach the sample, give its SHA-256, or both.")]
    if sample is not None:
        limit = settings.SIGNATURE_SAMPLE_MAX_BYTES
        if sample.size is None or sample.size > limit:
            errors["sample"] = [_("The sample is larger than the %(mb)d MB limit.")
                                % {"mb": limit // (1024 * 1024)}]
        elif sample.size == 0:
            errors["sample"] = [_("The sample file is empty.")]
    if errors:
        raise ValidationError(errors)
    database_version = database_version.strip()
    if not database_version:
        raise ValidationError({"database_version": [_("Give the antivirus-database version "
                                                      "your product uses.")]})
    _check_database_version(database_version)
    if sample is not None:
        actual = sha256_of(sample)
        if sha256 and sha256 != actual:
            raise ValidationError({"sha256": [
                _("The SHA-256 you gave (%(given)s) does not match the uploaded sample "
                  "(%(actual)s). Check that you attached the right file.")
                % {"given": sha256, "actual": actual}
            ]})
        sha256 = actual

    # The ticket's subject is stored text: written in the requester's own language.
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        label = str(SignatureType(type).label)
    with transaction.atomic():
        ticket = services.ticket_create(
            requester=requester, subject=f"{label}: {product} {product_version}".strip()[:200],
            description=description, severity=2, kind=Kind.SIGNATURE_CHANGE,
            product=product, product_version=product_version, channel=Channel.PORTAL,
        )
        request = SignatureRequest(
            ticket=ticket, type=type, database_version=database_version, object_url=object_url,
            sha256=sha256,
        )
        if sample is not None:
            request.sample_name = (sample.name or "sample")[:255]
            request.sample_size = sample.size
            request.sample.save("sample", sample, save=False)
        try:
            request.save()
        except Exception:
            if request.sample:
                request.sample.delete(save=False)
            raise
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.SIGNATURE, actor=requester,
                                   new_value=SignatureStatus.RECEIVED)
    return request


def _step_message(request: SignatureRequest, status: str) -> str:
    number = request.ticket.number
    if status == SignatureStatus.IN_ANALYSIS:
        return _("Step 1 of 3 — your request %(number)s is being processed by the virus-analysis "
                 "expert group.") % {"number": number}
    if status == SignatureStatus.RELEASED:
        assert request.release is not None  # noqa: S101 (set just before)
        return _("Steps 2 and 3 of 3 — the fix for %(number)s was published in the expedited "
                 "antivirus-database release %(version)s at %(at)s. Update your databases to "
                 "receive it.") % {
            "number": number, "version": request.release.version,
            "at": email_datetime(request.release.released_at),
        }
    return _("Your request %(number)s was reviewed by the expert group and no signature change "
             "will be made. Reason: %(reason)s") % {"number": number,
                                                     "reason": request.rejection_reason}


@transaction.atomic
def signature_request_transition(
    *, request: SignatureRequest, actor: User, to: str, release_version: str = "",
    released_at: datetime | None = None, reason: str = "", message: str = "",
) -> SignatureRequest:
    """Move the request one step. ``message``: the expert's own words for the customer, added
    to the step's notice (which then counts as a reply written by staff)."""
    if not actor.is_expert:
        raise PermissionDenied(_("Only the virus-analysis expert group can move a signature "
                                 "request."))
    request = SignatureRequest.objects.select_for_update().select_related("ticket").get(
        pk=request.pk
    )
    if to not in SignatureStatus.values:
        raise ValidationError({"to": [_("Unknown status “%(s)s”.") % {"s": to}]})
    if not request.can_move_to(to):
        raise ConflictError(
            _("A signature request cannot go from “%(old)s” to “%(new)s”.")
            % {"old": SignatureStatus(request.status).label, "new": SignatureStatus(to).label}
        )
    now = timezone.now()
    if to == SignatureStatus.RELEASED:
        release_version = release_version.strip()
        if not release_version:
            raise ValidationError({"release_version": [_("Give the identifier of the expedited "
                                                         "release.")]})
        if DatabaseRelease.objects.filter(version=release_version).exists():
            raise ConflictError(_("Release %(v)s is already recorded; an expedited fix needs a "
                                  "new release.") % {"v": release_version})
        when = released_at or now
        if when > now:
            raise ValidationError({"released_at": [_("The release time cannot be in the "
                                                     "future.")]})
        request.release = DatabaseRelease.objects.create(
            version=release_version, released_at=when, expedited=True, created_by=actor,
        )
        request.decided_at = now
        # SPEC §7 item 4: the customer is asked to confirm the fix; no answer in time is
        # taken as fixed.
        TicketEvent.objects.create(ticket=request.ticket, kind=EventKind.VERIFICATION,
                                   actor=actor, old_value=request.verification_state,
                                   new_value=VerificationState.PENDING, created_at=now)
        request.verification_state = VerificationState.PENDING
        request.verification_at = now
        request.verification_due_at = now + SignaturePolicy.current().verification_window
    elif to == SignatureStatus.REJECTED:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": [_("Say why the request is rejected (for example: "
                                                "the detection is correct).")]})
        request.rejection_reason = reason
        request.decided_at = now
    else:
        request.analysis_started_at = now

    TicketEvent.objects.create(ticket=request.ticket, kind=EventKind.SIGNATURE, actor=actor,
                               old_value=request.status, new_value=to, created_at=now)
    request.status = to
    # The public reply is how the customer is informed: timeline + e-mail. The step message is
    # written in the requester's language and time zone, whatever the expert's. Only words of
    # the expert make it a qualified response (the rejection's reason is theirs).
    requester = request.ticket.requester
    with translation.override(requester.language or settings.LANGUAGE_CODE), \
            timezone.override(zone_of(requester)):
        body = _step_message(request, to)
    message = message.strip()
    if message:
        body = f"{body}\n\n{message}"
    written = bool(message) or to == SignatureStatus.REJECTED
    services.comment_add(ticket=request.ticket, author=actor, body=body,
                         automatic=not written)
    if to in (SignatureStatus.RELEASED, SignatureStatus.REJECTED):
        request.customer_informed_at = now
        # The step message above already told the customer.
        services.ticket_change(ticket=request.ticket, actor=actor, status="resolved",
                               notify_customer=False)
    request.save()
    return request


@transaction.atomic
def database_release_create(*, actor: User, version: str, released_at: datetime | None = None,
                            expedited: bool = False) -> DatabaseRelease:
    if not actor.is_expert:
        raise PermissionDenied(_("Only experts and administrators publish database releases."))
    version = version.strip()
    if not version:
        raise ValidationError({"version": [_("A version is required.")]})
    if DatabaseRelease.objects.filter(version=version).exists():
        raise ValidationError({"version": [_("This release is already recorded.")]})
    if released_at is not None and released_at > timezone.now():
        # A future release would at once become "the latest" and refuse every customer.
        raise ValidationError({"released_at": [_("The release time cannot be in the future.")]})
    return DatabaseRelease.objects.create(version=version, released_at=released_at or
                                          timezone.now(), expedited=expedited, created_by=actor)
