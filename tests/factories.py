from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Company, Contact, LicenseType, Plan, Role, User

PASSWORD = "correct-horse-battery-staple"


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
