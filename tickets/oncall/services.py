"""Writes of the on-call rota and paging (SPEC §11): rotations (admin), overrides (admin, or
anyone on that level's rota handing over a shift), the paging policy (admin), and the
acknowledgements of a page (API, or the e-mail's one-click link). Each is audited."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.access import require_admin, require_staff
from accounts.models import Role, User
from support_portal.kernel.errors import ConflictError
from tickets import paging
from tickets.models import Override, Page, PagingPolicy, Rotation, RotationMember
from tickets.rota import load_rota, timeline

MAX_MEMBERS = 50
#: The longest override: a handed-over holiday, not a new rota.
MAX_OVERRIDE = timedelta(days=62)


def _check_staff(user: User, field: str) -> None:
    if not user.is_support_staff or not user.is_active:
        raise ValidationError({field: [_("%(name)s is not active support staff: only staff "
                                         "can be on call.") % {"name": user.full_name}]})


def _check_instant(value: datetime, field: str) -> None:
    """Rota arithmetic steps shift by shift: keep instants where that stays in range."""
    if not 2000 <= value.year < 2100:
        raise ValidationError({field: [_("Give a date between the years 2000 and 2099.")]})


def _check_level(level: int) -> None:
    if level not in (1, 2):
        raise ValidationError({"level": [_("The level must be 1 (primary) or 2 (secondary).")]})


@transaction.atomic
def rotation_create(*, actor: User, name: str, level: int, starts_at: datetime,
                    shift_hours: int, members: Sequence[User],
                    request: HttpRequest | None = None) -> Rotation:
    require_admin(actor)
    _check_level(level)
    _check_instant(starts_at, "starts_at")
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("A name is required.")]
    if not 1 <= shift_hours <= 24 * 28:
        errors["shift_hours"] = [_("A shift lasts from 1 hour to 4 weeks (672 hours).")]
    if not members:
        errors["members"] = [_("A rotation needs at least one member.")]
    elif len(members) > MAX_MEMBERS:
        errors["members"] = [_("A rotation has at most %(n)d members.") % {"n": MAX_MEMBERS}]
    if errors:
        raise ValidationError(errors)
    for member in members:
        _check_staff(member, "members")
    rotation = Rotation.objects.create(name=name[:120], level=level, starts_at=starts_at,
                                       shift_hours=shift_hours)
    RotationMember.objects.bulk_create([
        RotationMember(rotation=rotation, user=member, position=i)
        for i, member in enumerate(members)
    ])
    audit.record(action=audit.Action.ROTATION_CHANGED, actor=actor, object=rotation,
                 request=request, detail={"change": "created", "level": level,
                                          "members": [m.pk for m in members],
                                          "starts_at": starts_at.isoformat(),
                                          "shift_hours": shift_hours})
    return rotation


@transaction.atomic
def rotation_delete(*, actor: User, rotation: Rotation,
                    request: HttpRequest | None = None) -> None:
    require_admin(actor)
    audit.record(action=audit.Action.ROTATION_CHANGED, actor=actor, object=rotation,
                 request=request, detail={"change": "deleted", "level": rotation.level})
    rotation.delete()


def on_rota(user: User, level: int) -> bool:
    """``user`` is a member of a rotation of ``level`` (the page offers them the form)."""
    return RotationMember.objects.filter(user=user, rotation__level=level).exists()


def scheduled_during(user: User, level: int, starts_at: datetime, ends_at: datetime) -> bool:
    """The rotations (overrides aside) put ``user`` on call at ``level`` at some moment of
    [starts_at, ends_at): the override hands over (part of) their own shift."""
    rotations, _overrides = load_rota(starts_at, ends_at)
    return any(segment.user is not None and segment.user.pk == user.pk
               for segment in timeline(level, starts_at, ends_at, rotations, []))


@transaction.atomic
def override_create(*, actor: User, user: User, level: int, starts_at: datetime,
                    ends_at: datetime, request: HttpRequest | None = None) -> Override:
    require_staff(actor)
    _check_level(level)
    _check_instant(starts_at, "starts_at")
    _check_instant(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The override must end after it starts.")]})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": [_("The override is already over.")]})
    if ends_at - starts_at > MAX_OVERRIDE:
        raise ValidationError({"ends_at": [_("An override lasts at most %(days)d days.")
                                           % {"days": MAX_OVERRIDE.days}]})
    if actor.role != Role.ADMIN and not scheduled_during(actor, level, starts_at, ends_at):
        raise PermissionDenied(_("Only an administrator, or whoever the rota puts on call "
                                 "then, may hand over a shift."))
    _check_staff(user, "user")
    override = Override.objects.create(user=user, level=level, starts_at=starts_at,
                                       ends_at=ends_at, created_by=actor)
    audit.record(action=audit.Action.OVERRIDE_ADDED, actor=actor, object=override,
                 request=request, detail={"user": user.pk, "level": level,
                                          "starts_at": starts_at.isoformat(),
                                          "ends_at": ends_at.isoformat()})
    return override


@transaction.atomic
def override_delete(*, actor: User, override: Override,
                    request: HttpRequest | None = None) -> None:
    """An administrator, whoever created the override, or the person it puts on call."""
    require_staff(actor)
    if actor.role != Role.ADMIN and actor.pk not in (override.created_by_id, override.user_id):
        raise PermissionDenied(_("Only an administrator, its author or the person it puts on "
                                 "call may remove an override."))
    audit.record(action=audit.Action.OVERRIDE_REMOVED, actor=actor, object=override,
                 request=request, detail={"user": override.user_id, "level": override.level})
    override.delete()


@transaction.atomic
def policy_update(*, actor: User, ack_minutes: int,
                  request: HttpRequest | None = None) -> PagingPolicy:
    require_admin(actor)
    if not 1 <= ack_minutes <= 24 * 60:
        raise ValidationError({"ack_minutes": [_("Between 1 and 1440 minutes.")]})
    policy = PagingPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    old = policy.ack_minutes
    policy.ack_minutes = ack_minutes
    policy.save()
    audit.record(action=audit.Action.PAGING_POLICY_CHANGED, actor=actor, object=policy,
                 request=request, detail={"ack_minutes": [old, ack_minutes]})
    return policy


@transaction.atomic
def page_acknowledge(*, page: Page, by: User, request: HttpRequest | None = None) -> Page:
    """Acknowledge ``page`` (and every other open page of its ticket). 409 when it was
    acknowledged already."""
    require_staff(by)
    if not paging.acknowledge(ticket=page.ticket, by=by, via="api", request=request):
        raise ConflictError(_("This page was already acknowledged."))
    page.refresh_from_db()
    return page


def link_page(token: str) -> Page | None:
    """The page of a valid, unexpired, unused one-click link (for the confirmation page)."""
    found = paging.read_ack_token(token)
    if found is None or not found[1]:
        return None
    return Page.objects.select_related("ticket__company", "user").filter(
        pk=found[0], link_nonce=found[1], acknowledged_at__isnull=True).first()


@transaction.atomic
def acknowledge_by_link(*, token: str, request: HttpRequest | None = None) -> Page | None:
    """Consume a one-click link: the conditional UPDATE clears its nonce, so it works once;
    the page's own person acknowledges. ``None`` for a link invalid, expired or used."""
    found = paging.read_ack_token(token)
    if found is None or not found[1]:
        return None
    page_id, nonce = found
    if Page.objects.filter(pk=page_id, link_nonce=nonce, acknowledged_at__isnull=True) \
            .update(link_nonce="") != 1:
        return None
    page = Page.objects.select_related("ticket__company", "user").get(pk=page_id)
    if not page.user.is_active or not page.user.is_support_staff:
        return None
    paging.acknowledge(ticket=page.ticket, by=page.user, via="link", request=request)
    page.refresh_from_db()
    return page
