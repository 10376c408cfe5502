"""Writes for accounts. Each service validates, writes inside one transaction, and returns."""

import uuid
from datetime import date
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts import audit, crypto
from accounts.models import (
    STAFF_ROLES,
    Company,
    Contact,
    Plan,
    Role,
    User,
    normalize_email,
    validate_timezone,
)
from accounts.sso import validate_issuer
from support_portal.kernel.errors import ConflictError


class ContactLimitReached(ConflictError):
    pass


def _check_new_email(email: str) -> str:
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": [_("A user with this e-mail address already exists.")]})
    return email


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _insert_user(*, email: str, full_name: str, password: str | None, role: str,
                 timezone: str | None = None) -> User:
    """``password=None``: the user has none yet and chooses it from a set-password e-mail."""
    user = User(email=_check_new_email(email), full_name=full_name.strip(), role=role,
                is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    if timezone:
        user.timezone = timezone
    if not user.full_name:
        raise ValidationError({"full_name": [_("A full name is required.")]})
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another request took the same address between the check and the insert.
        raise ValidationError(
            {"email": [_("A user with this e-mail address already exists.")]}
        ) from None
    return user


@transaction.atomic
def staff_create(*, email: str, full_name: str, password: str, role: str,
                 actor: User | None = None, request: HttpRequest | None = None) -> User:
    if role not in STAFF_ROLES:
        raise ValidationError({"role": [_("Staff role must be engineer, tam, expert or admin.")]})
    user = _insert_user(email=email, full_name=full_name, password=password, role=role)
    audit.record(action=audit.Action.STAFF_CREATED, actor=actor, object=user, request=request,
                 detail={"role": role})
    return user


@transaction.atomic
def user_change_role(*, user: User, role: str, actor: User | None = None,
                     request: HttpRequest | None = None) -> User:
    """A staff member's new role (admin site access follows ``admin``). A contact's role is
    not changed here: contacts belong to a company."""
    if role not in STAFF_ROLES or not user.is_support_staff:
        raise ValidationError({"role": [_("Only a staff member's role can change, to engineer, "
                                          "tam, expert or admin.")]})
    previous = User.objects.select_for_update().values_list("role", flat=True).get(pk=user.pk)
    if previous == role:
        return user
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    audit.record(action=audit.Action.ROLE_CHANGED, actor=actor, object=user, request=request,
                 detail={"from": previous, "to": role})
    return user


def _apply_company_fields(company: Company, fields: dict[str, Any]) -> Company:
    for name, value in fields.items():
        setattr(company, name, value)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_create(
    *, name: str, license: str, plan: Plan, license_valid_until: date,
    tam: User | None = None, timezone: str = "UTC", license_valid_from: date | None = None,
) -> Company:
    return _apply_company_fields(Company(), {
        "name": name, "license": license, "plan": plan, "tam": tam, "timezone": timezone,
        "license_valid_until": license_valid_until, "license_valid_from": license_valid_from,
    })


SSO_FIELDS = ("sso_issuer", "sso_client_id", "sso_client_secret")


def _apply_security_fields(company: Company, fields: dict[str, Any], actor: User | None,
                           request: HttpRequest | None) -> None:
    """Single sign-on and the contacts' two-factor requirement: changes are recorded (the
    secret never in clear: it is stored encrypted and the log names only the field)."""
    changed = []
    if "sso_issuer" in fields:
        issuer = (fields.pop("sso_issuer") or "").strip()
        validate_issuer(issuer)
        if issuer != company.sso_issuer:
            company.sso_issuer = issuer
            changed.append("sso_issuer")
    if "sso_client_id" in fields:
        client_id = (fields.pop("sso_client_id") or "").strip()
        if client_id != company.sso_client_id:
            company.sso_client_id = client_id
            changed.append("sso_client_id")
    if "sso_client_secret" in fields:
        secret = fields.pop("sso_client_secret") or ""
        company.sso_client_secret = crypto.encrypt(secret)
        changed.append("sso_client_secret")
    if changed:
        audit.record(action=audit.Action.SSO_CONFIGURED, actor=actor, company=company,
                     object=company, request=request, detail={"fields": changed})
    if "require_mfa" in fields:
        required = bool(fields.pop("require_mfa"))
        if required != company.require_mfa:
            company.require_mfa = required
            audit.record(action=audit.Action.MFA_REQUIREMENT_CHANGED, actor=actor,
                         company=company, object=company, request=request,
                         detail={"require_mfa": required})


@transaction.atomic
def company_update(*, company: Company, actor: User | None = None,
                   request: HttpRequest | None = None, **fields: Any) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
    _apply_security_fields(company, fields, actor, request)
    new_plan = fields.get("plan")
    if new_plan is not None and new_plan.pk != company.plan_id:
        active = company.contacts.filter(is_active=True).count()
        if active > new_plan.contact_limit:
            raise ConflictError(
                _("The %(plan)s plan allows %(limit)d active contacts and the company has "
                  "%(active)d; deactivate contacts first.")
                % {"plan": new_plan.label, "limit": new_plan.contact_limit, "active": active}
            )
    return _apply_company_fields(company, fields)


def contact_limit_message(company: Company, plan: Plan, active: int) -> str:
    return _(
        "The %(plan)s plan allows at most %(limit)d active named contacts, and %(company)s "
        "already has %(active)d. Deactivate a contact to free a slot."
    ) % {"plan": plan.label, "limit": plan.contact_limit, "company": company.name,
         "active": active}


def contact_precheck(*, company: Company, email: str) -> None:
    """Friendly early answer for forms; ``contact_create`` checks again under the lock."""
    active = company.contacts.filter(is_active=True).count()
    if active >= company.plan.contact_limit:
        raise ValidationError(contact_limit_message(company, company.plan, active))
    _check_new_email(email)


def _lock_company_with_free_slot(company_id: int) -> Company:
    """Lock the company row and check a contact slot is free.

    The row lock serialises every change to the company's active contacts, so the count read
    here cannot be overtaken by a concurrent insert: the limit holds under any concurrency.
    Caller holds a transaction.
    """
    company = Company.objects.select_for_update().get(pk=company_id)
    plan = Plan.objects.get(pk=company.plan_id)
    active = Contact.objects.filter(company_id=company.pk, is_active=True).count()
    if active >= plan.contact_limit:
        raise ContactLimitReached(contact_limit_message(company, plan, active))
    return company


@transaction.atomic
def contact_create(
    *, company: Company, email: str, full_name: str, password: str | None, phone: str = "",
    actor: User | None = None, request: HttpRequest | None = None,
) -> Contact:
    """A new named contact, within the plan's limit (checked under a row lock). Without a
    password the contact chooses one (``accounts.invitations``; the caller sends it after
    commit)."""
    locked = _lock_company_with_free_slot(company.pk)
    user = _insert_user(email=email, full_name=full_name, password=password, role=Role.CONTACT,
                        timezone=locked.timezone)
    contact = Contact.objects.create(user=user, company=locked, phone=phone.strip())
    audit.record(action=audit.Action.CONTACT_ADDED, actor=actor, company=locked, object=contact,
                 request=request)
    return contact


def user_end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and API token stops working at once."""
    User.objects.filter(pk=user.pk).update(session_stamp=uuid.uuid4())
    Token.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def contact_update(
    *, contact: Contact, is_active: bool | None = None, full_name: str | None = None,
    phone: str | None = None, actor: User | None = None, request: HttpRequest | None = None,
) -> Contact:
    if is_active is True and not contact.is_active:
        _lock_company_with_free_slot(contact.company_id)
    contact = Contact.objects.select_for_update().select_related("user", "company").get(
        pk=contact.pk
    )
    user = contact.user
    if full_name is not None:
        if not full_name.strip():
            raise ValidationError({"full_name": [_("A full name is required.")]})
        user.full_name = full_name.strip()
        user.save(update_fields=["full_name"])
    if phone is not None:
        contact.phone = phone.strip()
    if is_active is False and contact.is_active:
        contact.is_active = False
        contact.deactivated_at = timezone.now()
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_end_sessions(user)
        audit.record(action=audit.Action.CONTACT_DEACTIVATED, actor=actor,
                     company=contact.company, object=contact, request=request)
    elif is_active is True and not contact.is_active:
        contact.is_active = True
        contact.deactivated_at = None
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record(action=audit.Action.CONTACT_REACTIVATED, actor=actor,
                     company=contact.company, object=contact, request=request)
    contact.save()
    return contact


@transaction.atomic
def token_for(user: User, *, request: HttpRequest | None = None) -> Token:
    """The user's API token (issued once, then the same until their sessions are ended)."""
    token, created = Token.objects.get_or_create(user=user)
    audit.record(action=audit.Action.TOKEN_ISSUED, actor=user, company=audit.company_of(user),
                 object=user, request=request, detail={"new": created})
    return token


@transaction.atomic
def profile_update(*, user: User, full_name: str | None = None, language: str | None = None,
                   timezone: str | None = None, monthly_report_opt_in: bool | None = None
                   ) -> User:
    """The user's own settings (SPEC §10): name, language, time zone; and for a company's
    contact, the monthly service review by e-mail (SPEC §15)."""
    fields = []
    if monthly_report_opt_in is not None:
        if user.active_contact is None:
            raise PermissionDenied(_("Only a company's contacts choose this; the account's TAM "
                                     "always receives the monthly review."))
        user.monthly_report_opt_in = monthly_report_opt_in
        fields.append("monthly_report_opt_in")
    if full_name is not None:
        if not full_name.strip():
            raise ValidationError({"full_name": [_("A full name is required.")]})
        user.full_name = full_name.strip()
        fields.append("full_name")
    if language is not None:
        if language not in dict(django_settings.LANGUAGES):
            raise ValidationError({"language": [_("“%(value)s” is not a language of the portal.")
                                                % {"value": language}]})
        user.language = language
        fields.append("language")
    if timezone is not None:
        try:
            validate_timezone(timezone)
        except ValidationError as exc:
            raise ValidationError({"timezone": exc.messages}) from None
        user.timezone = timezone
        fields.append("timezone")
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def user_end_other_sessions(*, user: User, request: HttpRequest) -> None:
    """Sign out every other browser session of the user; this one stays signed in (a new
    session stamp invalidates every session hash, then this session takes the new one)."""
    user.session_stamp = uuid.uuid4()
    user.save(update_fields=["session_stamp"])
    update_session_auth_hash(request, user)
    UserSession.objects.purge_and_list(user)
    UserSession.objects.create_from_request(request, user=user)
    audit.record(action=audit.Action.SESSIONS_ENDED, actor=user, company=audit.company_of(user),
                 object=user, request=request)
