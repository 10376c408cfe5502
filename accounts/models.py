"""People, companies, plans and named contacts (SPEC §1–2)."""

import functools
import uuid
import zoneinfo
from datetime import date
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONTACT = "contact", _("Contact")
    ENGINEER = "engineer", _("Support engineer")
    TAM = "tam", _("Technical Account Manager")
    EXPERT = "expert", _("Virus-analysis expert")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.ENGINEER, Role.TAM, Role.EXPERT, Role.ADMIN})
#: Who may open account dashboards, the portfolio and account pages at all (SPEC §1): a TAM
#: only for their own accounts (``accounts.access.access_company_dashboard``), an administrator
#: for every account. Engineers and experts work tickets, not accounts (403).
DASHBOARD_ROLES = frozenset({Role.TAM, Role.ADMIN})
#: Who works the signature-change queue: analyse, reject, record the expedited release.
EXPERT_ROLES = frozenset({Role.EXPERT, Role.ADMIN})


def normalize_email(email: str) -> str:
    """E-mail addresses are compared without regard to case across the whole portal."""
    return (email or "").strip().lower()


@functools.cache
def known_time_zones() -> frozenset[str]:
    """IANA zone names (reading them scans the zone database: once per process)."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def portal_time_zone() -> str:
    """Where staff start (``PORTAL_TIME_ZONE``, default UTC)."""
    return str(getattr(settings, "PORTAL_TIME_ZONE", "UTC"))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))

    def create_user(
        self, email: str, password: str | None = None, **fields: Any
    ) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: customers' contacts and the vendor's staff, told apart by ``role``."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CONTACT)
    is_active = models.BooleanField(_("active"), default=True)
    # Access to the Django admin site; services keep it equal to ``role == admin``.
    is_staff = models.BooleanField(_("admin site access"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The language of the e-mails and notifications this user receives; follows their choice
    # in the portal (browser language at sign-in, or the language switch).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default="en")
    # IANA time zone the user reads times in (SPEC §10): a contact starts with their company's,
    # staff with ``PORTAL_TIME_ZONE``.
    timezone = models.CharField(_("time zone"), max_length=64, default=portal_time_zone,
                                validators=[validate_timezone])
    # Mirrors "has a TOTP authenticator" (allauth.mfa), kept in step by ``accounts.mfa``, so the
    # two-factor check on every request needs no query.
    mfa_enabled = models.BooleanField(_("two-factor sign-in"), default=False, editable=False)
    # Part of the session hash: changing it ends every session of the user at once.
    session_stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = UserManager()

    # A contact's choice to receive their company's monthly service review by e-mail on the
    # 1st (SPEC §15); the account's TAM always receives it.
    monthly_report_opt_in = models.BooleanField(_("monthly service review by e-mail"),
                                                default=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def is_support_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_contact(self) -> bool:
        return self.role == Role.CONTACT

    @property
    def is_portal_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def active_contact(self) -> "Contact | None":
        """The user's named-contact record when they may act for their company now: an active
        user of role ``contact`` whose contact record is active (SPEC §2). ``None`` for staff,
        deactivated contacts and anyone else. The one test of "is an active contact": pages,
        the API, e-mail in and the services all ask this (querysets use
        ``Contact.objects.active()``, the same rule in SQL)."""
        if self.role != Role.CONTACT or not self.is_active:
            return None
        contact: Contact | None = getattr(self, "contact", None)
        return contact if contact is not None and contact.is_active else None

    @property
    def can_see_dashboards(self) -> bool:
        """May open account dashboards and the portfolio at all (SPEC §1, §6). Which accounts
        is ``accounts.access.access_company_dashboard``'s answer."""
        return self.role in DASHBOARD_ROLES

    @property
    def is_expert(self) -> bool:
        """Works the signature-change queue (SPEC §7)."""
        return self.role in EXPERT_ROLES

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks this hash on every request: mixing in ``session_stamp`` lets a
        # deactivation (or any "sign out everywhere") invalidate all sessions in one UPDATE.
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_stamp}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class LicenseType(models.TextChoices):
    PLUS = "plus", _("Plus")
    STANDARD = "standard", _("Standard")


class Plan(models.Model):
    """A support plan. Its limits are data an administrator can edit, not constants in code."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    contact_limit = models.PositiveSmallIntegerField(_("named contact limit"))
    # Lower runs first in the engineers' queue (1 = premium).
    priority_tier = models.PositiveSmallIntegerField(_("queue priority tier"), default=2)
    required_license = models.CharField(
        _("required license"), max_length=16, choices=LicenseType.choices, blank=True,
        help_text=_("Companies on this plan must hold this license; blank for any."),
    )

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["priority_tier", "code"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The name to show: the seeded plans in the reader's language, unless an
        administrator renamed them."""
        seeded = SEEDED_PLAN_NAMES.get(self.code)
        if seeded and self.name == seeded[0]:
            return str(seeded[1])
        return self.name


#: code -> (name stored by the seed migration, its translatable label)
SEEDED_PLAN_NAMES = {
    "enhanced": ("Enhanced Premium Support",
                 pgettext_lazy("support plan", "Enhanced Premium Support")),
    "standard": ("Standard Support", pgettext_lazy("support plan", "Standard Support")),
}


class Company(models.Model):
    """A customer account (tenant)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    license = models.CharField(_("license"), max_length=16, choices=LicenseType.choices)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="companies",
                             verbose_name=_("plan"))
    tam = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="tam_accounts", limit_choices_to={"role": Role.TAM},
        verbose_name=_("Technical Account Manager"),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                validators=[validate_timezone])
    license_valid_from = models.DateField(_("license valid from"), null=True, blank=True)
    license_valid_until = models.DateField(_("license valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Single sign-on through the customer's own OpenID Connect provider (SPEC §14). The
    # client secret is write-only: stored encrypted (``accounts.crypto``), never shown back.
    sso_issuer = models.URLField(_("SSO issuer"), max_length=300, blank=True)
    sso_client_id = models.CharField(_("SSO client id"), max_length=200, blank=True)
    sso_client_secret = models.TextField(_("SSO client secret (encrypted)"), blank=True,
                                         editable=False)
    require_mfa = models.BooleanField(_("contacts must use two-factor sign-in"), default=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Rules that need no query beyond the already-loaded plan and TAM."""
        errors: dict[str, list[str]] = {}
        required = self.plan.required_license if self.plan_id else ""
        if required and self.license != required:
            errors.setdefault("plan", []).append(
                gettext("The %(plan)s plan requires a %(license)s license.")
                % {"plan": self.plan.label, "license": LicenseType(required).label}
            )
        if self.tam_id and self.tam is not None and self.tam.role != Role.TAM:
            errors.setdefault("tam", []).append(gettext("The assigned user is not a TAM."))
        if (self.license_valid_from and self.license_valid_until
                and self.license_valid_until < self.license_valid_from):
            errors.setdefault("license_valid_until", []).append(
                gettext("The license cannot end before it starts.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def sso_enabled(self) -> bool:
        return bool(self.sso_issuer and self.sso_client_id)

    def license_is_valid(self, on: date | None = None) -> bool:
        today = on or timezone.localdate()
        started = self.license_valid_from is None or self.license_valid_from <= today
        return started and today <= self.license_valid_until

    def license_refusal(self, on: date | None = None) -> str | None:
        """Why contacts cannot file new requests now, or ``None`` when they can (SPEC §2)."""
        today = on or timezone.localdate()
        if self.license_valid_from is not None and today < self.license_valid_from:
            return gettext(
                "The license of %(company)s starts on %(date)s, so new requests cannot be "
                "filed yet. Please contact your account manager."
            ) % {"company": self.name, "date": self.license_valid_from}
        if today > self.license_valid_until:
            return gettext(
                "The license of %(company)s is not valid (it ended on %(date)s), so new "
                "requests cannot be filed. You can still read your history; please contact "
                "your account manager to renew."
            ) % {"company": self.name, "date": self.license_valid_until}
        return None


class ContactQuerySet(models.QuerySet["Contact"]):
    def active(self) -> "ContactQuerySet":
        """Contacts who may act for their company now: ``User.active_contact`` in SQL."""
        return self.filter(is_active=True, user__is_active=True, user__role=Role.CONTACT)


class Contact(models.Model):
    """A named support contact: a user of role ``contact`` who belongs to exactly one company.

    Deactivated contacts are kept (their tickets and comments stay attributed) but no longer
    count against the plan's limit.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="contact", verbose_name=_("user"))
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contacts",
                                verbose_name=_("company"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["company_id", "user__full_name"]
        indexes = [models.Index(fields=["company", "is_active"], name="contact_company_active")]

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.company.name})"


class ProactiveNote(models.Model):
    """A TAM's dated recommendation or follow-up for an account. Shared notes are readable by
    the account's contacts; the rest stay with the vendor's staff."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="notes",
                                verbose_name=_("company"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("author"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    shared = models.BooleanField(_("shared with the customer"), default=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("proactive note")
        verbose_name_plural = _("proactive notes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["company", "-created_at"], name="note_company_created")]

    def __str__(self) -> str:
        return self.title


# The audit log lives in its own module (the recording service beside its model).
from accounts.audit import AuditEntry  # noqa: E402, F401
