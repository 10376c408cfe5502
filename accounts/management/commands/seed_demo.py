"""Demo data for a first look at the portal. Idempotent: running it again changes nothing."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import Company, Contact, Plan, Role, User

DEMO_PASSWORD = "support-demo-2026"

STAFF = [
    ("admin@demo.example", "Ada Admin", Role.ADMIN),
    ("tam@demo.example", "Tessa Almeida", Role.TAM),
    ("tam2@demo.example", "Tomas Berg", Role.TAM),
    ("engineer@demo.example", "Eli Santos", Role.ENGINEER),
    ("engineer2@demo.example", "Erin Walsh", Role.ENGINEER),
    ("expert@demo.example", "Valentina Rocha", Role.EXPERT),
]

# name, license, plan, tam e-mail, time zone, days of license left, contacts
COMPANIES: list[tuple[str, str, str, str | None, str, int, list[tuple[str, str]]]] = [
    ("Northwind Bank", "plus", "enhanced", "tam@demo.example", "America/Sao_Paulo", 300, [
        ("alice@northwind.example", "Alice Ferreira"),
        ("bruno@northwind.example", "Bruno Costa"),
        ("carla@northwind.example", "Carla Mendes"),
        ("diego@northwind.example", "Diego Lima"),
        ("elena@northwind.example", "Elena Souza"),
        ("fabio@northwind.example", "Fabio Rocha"),
    ]),
    ("Contoso Health", "plus", "enhanced", "tam@demo.example", "Europe/Berlin", 45, [
        ("hanna@contoso.example", "Hanna Weber"),
        ("jonas@contoso.example", "Jonas Keller"),
        ("lena@contoso.example", "Lena Fischer"),
    ]),
    ("Fabrikam Retail", "standard", "standard", None, "UTC", 200, [
        ("sam@fabrikam.example", "Sam Carter"),
        ("kim@fabrikam.example", "Kim Lee"),
    ]),
    ("Tailspin Logistics", "plus", "enhanced", "tam2@demo.example", "Asia/Singapore", -10, [
        ("wei@tailspin.example", "Wei Tan"),
    ]),
]


class Command(BaseCommand):
    help = "Create demo companies, staff and contacts (idempotent) and print how to sign in."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users: dict[str, User] = {}
        for email, name, role in STAFF:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = services.staff_create(email=email, full_name=name, password=DEMO_PASSWORD,
                                             role=role)
            users[email] = user

        today = timezone.localdate()
        for name, license, plan_code, tam, tz, days_left, contacts in COMPANIES:
            company = Company.objects.filter(name=name).first()
            if company is None:
                company = services.company_create(
                    name=name, license=license, plan=Plan.objects.get(code=plan_code),
                    tam=users[tam] if tam else None, timezone=tz,
                    license_valid_from=today - timedelta(days=400),
                    license_valid_until=today + timedelta(days=days_left),
                )
            for email, full_name in contacts:
                if not Contact.objects.filter(user__email=email).exists():
                    services.contact_create(company=company, email=email, full_name=full_name,
                                            password=DEMO_PASSWORD, phone="+55 11 5555 0100")
        self._print_sign_in()

    def _print_sign_in(self) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready."))
        out.write("Sign in at http://127.0.0.1:8000/accounts/login/ with any of these "
                  f"(password for all: {DEMO_PASSWORD}):")
        for email, _name, role in STAFF:
            out.write(f"  {role:<9} {email}")
        for company, *_rest, contacts in COMPANIES:
            out.write(f"  contact   {contacts[0][0]}  ({company})")
