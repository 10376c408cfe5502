from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import STAFF_ROLES, Company, Contact, LicenseType, Plan, Role, User

PASSWORD = "correct-horse-battery-staple"
#: The authenticator-app secret of every enrolled test user (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The authenticator app's code for ``secret`` now (or at the Unix time ``at``)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(at if at is not None else time.time()) // 30))


def enrol_totp(user: User, secret: str = TOTP_SECRET) -> User:
    """``user`` with an authenticator app (``secret``) and recovery codes, as after enrolment."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    user.mfa_enabled = True
    return user


def plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.ENGINEER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """Staff are enrolled in two-factor sign-in (mandatory for them) unless ``mfa=False``;
        contacts only with ``mfa=True``."""
        if create and (extracted if extracted is not None else obj.role in STAFF_ROLES):
            enrol_totp(obj)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    license = LicenseType.PLUS
    plan = factory.LazyFunction(lambda: plan("enhanced"))
    timezone = "UTC"
    license_valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    user = factory.SubFactory(UserFactory, role=Role.CONTACT)
    company = factory.SubFactory(CompanyFactory)
    phone = "+55 11 5555 0000"


def file_ticket(requester, **overrides):
    """A ticket filed through the real service (deadlines from the seeded policies)."""
    from tickets.services import ticket_create

    fields = {"subject": "Scanner stops", "description": "The on-access scanner stops.",
              "severity": 2, "product": "Endpoint Security", "product_version": "12.1"}
    fields.update(overrides)
    return ticket_create(requester=requester, **fields)
