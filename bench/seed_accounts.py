"""Seed data, part 1: staff (engineers, TAMs, an admin), companies on the two plans and their
named contacts, all through ``bulk_create``. Every user gets the same precomputed password hash,
so 1,600 contacts cost one PBKDF2 run, not 1,600.

Import only after ``django.setup()``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password

from accounts import crypto
from accounts.models import Company, Contact, Plan, Role, User

BENCH_PASSWORD = "bench-only-password-2026"  # noqa: S105 - throwaway database
#: Staff sign in with two-factor sign-in (mandatory for them): every bench staff member's
#: authenticator-app secret (base32); ``bench.webclient`` computes the codes.
BENCH_TOTP_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"  # noqa: S105 - throwaway database
ENGINEER_EMAIL = "engineer1@bench.example"

CONTACTS_PER_COMPANY = 8
ENGINEERS = 8
TAMS = 4
ENHANCED_SHARE = 0.70
TIMEZONES = [
    "UTC",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Singapore",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
]
FIRST_NAMES = [
    "Alice",
    "Bruno",
    "Carla",
    "Diego",
    "Elena",
    "Fabio",
    "Hanna",
    "Jonas",
    "Lena",
    "Sam",
    "Kim",
    "Wei",
    "Priya",
    "Omar",
    "Sofia",
    "Lucas",
    "Mia",
    "Noah",
    "Ana",
    "Ivan",
    "Yuki",
    "Zoe",
    "Raj",
    "Eva",
]
LAST_NAMES = [
    "Ferreira",
    "Costa",
    "Mendes",
    "Lima",
    "Souza",
    "Rocha",
    "Weber",
    "Keller",
    "Fischer",
    "Carter",
    "Lee",
    "Tan",
    "Patel",
    "Haddad",
    "Rossi",
    "Martin",
    "Silva",
    "Nakamura",
    "Novak",
    "Brown",
    "Jensen",
    "Kowalski",
]
COMPANY_WORDS = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adventure",
    "Litware",
    "Proseware",
    "Wingtip",
    "Woodgrove",
    "Alpine",
    "Coho",
    "Lucerne",
    "Margie",
    "Humongous",
    "Trey",
    "Fourth",
    "Blue Yonder",
    "Graphic",
    "Wide World",
    "Southridge",
]
COMPANY_KINDS = [
    "Bank",
    "Health",
    "Retail",
    "Logistics",
    "Insurance",
    "Energy",
    "Telecom",
    "Foods",
    "Airlines",
    "Media",
]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def seed_accounts(rng: random.Random, companies: int, now: datetime) -> dict[str, Any]:
    password = make_password(BENCH_PASSWORD)  # one hash, shared by every bench user
    today = now.date()
    staff: list[User] = [
        User(
            email=f"engineer{i}@bench.example",
            full_name=_name(rng),
            role=Role.ENGINEER,
            password=password,
            date_joined=now - timedelta(days=400),
        )
        for i in range(1, ENGINEERS + 1)
    ]
    staff += [
        User(
            email=f"tam{i}@bench.example",
            full_name=_name(rng),
            role=Role.TAM,
            password=password,
            date_joined=now - timedelta(days=400),
        )
        for i in range(1, TAMS + 1)
    ]
    staff.append(
        User(
            email="admin@bench.example",
            full_name="Bench Admin",
            role=Role.ADMIN,
            is_staff=True,
            is_superuser=True,
            password=password,
            date_joined=now - timedelta(days=400),
        )
    )
    for member in staff:
        member.mfa_enabled = True
    staff = User.objects.bulk_create(staff)
    secret = crypto.encrypt(BENCH_TOTP_SECRET)
    Authenticator.objects.bulk_create(
        [Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": secret})
         for u in staff]
    )
    engineers = [u for u in staff if u.role == Role.ENGINEER]
    tams = [u for u in staff if u.role == Role.TAM]

    plans = {p.code: p for p in Plan.objects.all()}
    enhanced_count = round(companies * ENHANCED_SHARE)
    plan_codes = ["enhanced"] * enhanced_count + ["standard"] * (companies - enhanced_count)
    rng.shuffle(plan_codes)
    company_objs = []
    for i, code in enumerate(plan_codes):
        name = (
            f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} "
            f"{COMPANY_KINDS[(i // len(COMPANY_WORDS)) % len(COMPANY_KINDS)]} {i + 1:03d}"
        )
        enhanced = code == "enhanced"
        company_objs.append(
            Company(
                name=name,
                plan=plans[code],
                license="plus" if enhanced or rng.random() < 0.2 else "standard",
                tam=tams[i % len(tams)] if enhanced else None,
                timezone=rng.choice(TIMEZONES),
                license_valid_from=today - timedelta(days=400),
                license_valid_until=today + timedelta(days=rng.randint(30, 700)),
            )
        )
    company_objs = Company.objects.bulk_create(company_objs)

    contact_users: list[User] = []
    contact_meta: list[tuple[Company, bool]] = []
    for company in company_objs:
        limit = company.plan.contact_limit
        for n in range(CONTACTS_PER_COMPANY):
            # Eight named contacts each; on a plan with a smaller limit the rest are
            # deactivated (kept for history, not counted: SPEC §2).
            active = n < limit
            contact_users.append(
                User(
                    email=f"contact{n + 1}.c{company.pk}@bench.example",
                    full_name=_name(rng),
                    role=Role.CONTACT,
                    password=password,
                    is_active=active,
                    date_joined=now - timedelta(days=390),
                )
            )
            contact_meta.append((company, active))
    contact_users = User.objects.bulk_create(contact_users, batch_size=2000)
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                user=u,
                company=c,
                is_active=active,
                phone="+1 555 0100",
                deactivated_at=None if active else now - timedelta(days=30),
            )
            for u, (c, active) in zip(contact_users, contact_meta, strict=True)
        ],
        batch_size=2000,
    )
    by_company: dict[int, dict[str, list[int]]] = {}
    for contact in contacts:
        slot = by_company.setdefault(contact.company_id, {"active": [], "all": []})
        slot["all"].append(contact.user_id)
        if contact.is_active:
            slot["active"].append(contact.user_id)
    return {
        "engineers": [u.pk for u in engineers],
        "companies": company_objs,
        "contacts": by_company,
        "users": len(staff) + len(contact_users),
        "contact_count": len(contacts),
    }
