"""The small fixture the schema fuzzer runs against (``fuzz/run.py`` runs this on a fresh
database): two companies, contacts, tickets, a signature request, a major incident, an on-call
rota (so the severity-1 ticket pages its primary, as in production) with an override, and one
user of each role that the fuzzer signs in as. Staff sign in with two-factor sign-in like
everyone else: each gets a TOTP authenticator with its own secret, and ``run.py`` computes
the current code to ask ``POST /api/v1/auth/token/`` for a token.

Prints one JSON object: the users' e-mail addresses, password and TOTP secrets, and the ids
that a client would have learnt from earlier calls (``fuzz/hooks.py`` uses them).
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_portal.settings")
django.setup()

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services as accounts  # noqa: E402
from accounts.models import Plan, Role  # noqa: E402
from tickets import services as tickets  # noqa: E402
from tickets.incidents.services import incident_create  # noqa: E402
from tickets.models import Channel, DatabaseRelease, Page  # noqa: E402
from tickets.oncall.services import override_create, rotation_create  # noqa: E402
from tickets.signatures.services import signature_request_create  # noqa: E402

PASSWORD = "fuzz-the-contract-2026"  # noqa: S105 (a throwaway database's only password)


def staff(role: str, email: str) -> dict[str, str]:
    user = accounts.staff_create(email=email, full_name=f"Fuzz {role}", password=PASSWORD,
                                 role=role)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return {"email": email, "totp_secret": secret, "id": str(user.pk)}


@transaction.atomic
def main() -> None:
    enhanced = Plan.objects.get(code="enhanced")
    today = timezone.localdate()
    users = {
        "admin": staff(Role.ADMIN, "admin@fuzz.example"),
        "engineer": staff(Role.ENGINEER, "engineer@fuzz.example"),
        "tam": staff(Role.TAM, "tam@fuzz.example"),
        "expert": staff(Role.EXPERT, "expert@fuzz.example"),
    }
    tam = accounts.User.objects.get(email="tam@fuzz.example")
    tam_id = tam.pk
    north = accounts.company_create(name="Northwind Fuzz", license="plus", plan=enhanced,
                                    tam=tam, license_valid_until=today + timedelta(days=365))
    other = accounts.company_create(name="Contoso Fuzz", license="plus", plan=enhanced,
                                    license_valid_until=today + timedelta(days=365))
    contact = accounts.contact_create(company=north, email="contact@fuzz.example",
                                      full_name="Fuzz Contact", password=PASSWORD)
    spare = accounts.contact_create(company=north, email="spare@fuzz.example",
                                    full_name="Spare Contact", password=PASSWORD)
    accounts.contact_create(company=other, email="other@fuzz.example",
                            full_name="Other Contact", password=PASSWORD)
    users["contact"] = {"email": "contact@fuzz.example", "totp_secret": "",
                        "id": str(contact.user_id)}
    admin = accounts.User.objects.get(email="admin@fuzz.example")
    engineer = accounts.User.objects.get(email="engineer@fuzz.example")
    # The rota: the engineer primary, the TAM secondary, from an hour ago in 8-hour shifts;
    # the engineer hands tomorrow's first hours over to the administrator.
    now = timezone.now().replace(microsecond=0)
    rotation_create(actor=admin, name="Fuzz primary", level=1, starts_at=now - timedelta(hours=1),
                    shift_hours=8, members=[engineer])
    rotation_create(actor=admin, name="Fuzz secondary", level=2,
                    starts_at=now - timedelta(hours=1), shift_hours=8, members=[tam, admin])
    override = override_create(actor=engineer, user=admin, level=1,
                               starts_at=now + timedelta(days=1),
                               ends_at=now + timedelta(days=1, hours=4))
    filed = [tickets.ticket_create(requester=contact.user, subject=f"Fuzz ticket S{severity}",
                                   description="Seeded for the schema fuzzer.",
                                   severity=severity, channel=Channel.API)
             for severity in (1, 2, 3, 4)]
    paged, ticket = filed[0], filed[-1]
    page = Page.objects.filter(ticket=paged).order_by("pk").first()
    if page is None:
        raise SystemExit("fuzz: the severity-1 ticket did not page")
    DatabaseRelease.objects.create(version="2026.01.01.01", released_at=timezone.now())
    signature = signature_request_create(
        requester=contact.user, type="false_positive", product="Endpoint", product_version="12",
        database_version="2026.01.01.01", description="Seeded false positive.",
        sha256="a" * 64, object_url="https://example.com/sample")
    incident = incident_create(actor=engineer, title="Fuzz incident",
                               description="Seeded incident.", severity=2)
    print(json.dumps({
        "password": PASSWORD, "users": users,
        "ids": {"company": north.pk, "other_company": other.pk, "contact": contact.user_id,
                "spare_contact": spare.user_id, "tam": tam_id, "engineer": engineer.pk,
                "ticket": ticket.pk, "signature_request": signature.pk,
                "incident": incident.pk, "paged_ticket": paged.pk, "page": page.pk,
                "override": override.pk, "admin": admin.pk},
    }))


if __name__ == "__main__":
    main()
