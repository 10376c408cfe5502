"""Writes for accounts. Each service validates, writes inside one transaction, and returns."""

import uuid
from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.models import (
    STAFF_ROLES,
    Company,
    Contact,
    Plan,
    Role,
    User,
    normalize_email,
)
from support_portal.kernel.errors import ConflictError
from support_portal.kernel.transactions import retry_on_conflict


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


def _insert_user(*, email: str, full_name: str, password: str, role: str) -> User:
    user = User(email=_check_new_email(email), full_name=full_name.strip(), role=role,
                is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    if not user.full_name:
        raise ValidationError({"full_name": [_("A full name is required.")]})
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
def staff_create(*, email: str, full_name: str, password: str, role: str) -> User:
    if role not in STAFF_ROLES:
        raise ValidationError({"role": [_("Staff role must be engineer, tam, expert or admin.")]})
    return _insert_user(email=email, full_name=full_name, password=password, role=role)


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


@transaction.atomic
def company_update(*, company: Company, **fields: Any) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
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


def _lock_company(company_id: int) -> Company:
    """Lock the company row: the first lock of every change to the company's contacts.

    Lock order, everywhere the company row and a contact (or its user) are both locked:
    company first, then the contact, then its user. Two transactions that take locks in the
    same order wait for each other instead of deadlocking. Caller holds a transaction.
    """
    return Company.objects.select_for_update().get(pk=company_id)


def _lock_company_with_free_slot(company_id: int) -> Company:
    """Lock the company row and check a contact slot is free.

    The row lock serialises every change to the company's active contacts, so the count read
    here cannot be overtaken by a concurrent insert: the limit holds under any concurrency.
    Caller holds a transaction.
    """
    company = _lock_company(company_id)
    plan = Plan.objects.get(pk=company.plan_id)
    active = Contact.objects.filter(company_id=company.pk, is_active=True).count()
    if active >= plan.contact_limit:
        raise ContactLimitReached(contact_limit_message(company, plan, active))
    return company


@retry_on_conflict
def contact_create(
    *, company: Company, email: str, full_name: str, password: str, phone: str = ""
) -> Contact:
    locked = _lock_company_with_free_slot(company.pk)
    user = _insert_user(email=email, full_name=full_name, password=password, role=Role.CONTACT)
    return Contact.objects.create(user=user, company=locked, phone=phone.strip())


def user_end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and API token stops working at once."""
    User.objects.filter(pk=user.pk).update(session_stamp=uuid.uuid4())
    Token.objects.filter(user_id=user.pk).delete()


@retry_on_conflict
def contact_update(
    *, contact: Contact, is_active: bool | None = None, full_name: str | None = None,
    phone: str | None = None,
) -> Contact:
    # Company first, then the contact (see ``_lock_company``). The contact is re-read under
    # its lock: the caller's copy may be stale (another request may have changed it since).
    _lock_company(contact.company_id)
    contact = Contact.objects.select_for_update(of=("self",)).select_related("user", "company") \
        .get(pk=contact.pk)
    if is_active is True and not contact.is_active:
        _lock_company_with_free_slot(contact.company_id)
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
    elif is_active is True and not contact.is_active:
        contact.is_active = True
        contact.deactivated_at = None
        user.is_active = True
        user.save(update_fields=["is_active"])
    contact.save()
    return contact


def token_for(user: User) -> Token:
    token, _created = Token.objects.get_or_create(user=user)
    return token
