"""Demo data for a first look at the portal. Idempotent: running it again changes nothing.

It lives in the composition root because it drives every feature's services (accounts,
tickets, the SLA job)."""

import random
import time
from datetime import timedelta
from typing import Any

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import services
from accounts.models import Company, Contact, Plan, Role, User
from sla import jobs as sla_jobs
from support_portal.management.demo_history import seed_history
from tickets import services as ticket_services
from tickets.incident_links import incident_link
from tickets.incidents import services as incident_services
from tickets.models import OPEN_STATUSES, Incident, Rotation, Ticket
from tickets.oncall import services as oncall_services

DEMO_PASSWORD = "support-demo-2026"
#: The demo staff's authenticator-app secret (base32), set only in demo mode (DEBUG).
DEMO_TOTP_SECRET = "DEMOSUPPORTPORTALTWOFACTORDEMOAB"

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


PRODUCTS = ["Endpoint Security", "Mail Gateway", "Security Center", "File Server Protection"]

# subject, severity, minutes ago, first reply after (minutes) or None, final status
#: How the spread's tickets end their description: how ``_respread`` finds them again.
SPREAD_DESCRIPTION = "Observed on several endpoints since this morning."

DEMO_TICKETS = [
    ("Servers crash after the latest update", 1, 50, None, "new"),
    ("Quarantine fills the system disk", 2, 200, None, "new"),
    ("Console shows stale device list", 3, 90, None, "new"),
    ("Licence count differs in two reports", 4, 30, None, "new"),
    ("Mail gateway rejects signed messages", 2, 600, 120, "open"),
    ("Scheduled scan misses network shares", 3, 900, 500, "open"),
    ("Need an export of audit events", 4, 3000, 200, "waiting_on_customer"),
    ("Agent install fails on Windows Server 2025", 2, 5000, 300, "resolved"),
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
            if settings.DEBUG and not user.mfa_enabled:
                # Demo mode only: staff must use two-factor sign-in, so the demo staff share
                # one published authenticator secret (printed below). Never outside DEBUG.
                TOTP.activate(user, DEMO_TOTP_SECRET)
                RecoveryCodes.activate(user)
            users[email] = user

        self._seed_rota(users)
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
            if company.license_is_valid() and not company.tickets.exists():
                seed_history(company, expert=users["expert@demo.example"],
                             engineers=[users["engineer@demo.example"],
                                        users["engineer2@demo.example"]])
                self._seed_tickets(company, users)
            elif company.license_is_valid():
                # Each start of the demo shows the same spread again (breached, at risk, on
                # track, answered): the clock has moved on since the last start.
                self._respread(company, users)
        self._seed_incident(users)
        sla_jobs.scan()
        self._print_sign_in()

    def _seed_rota(self, users: dict[str, User]) -> None:
        """The on-call rota (SPEC §11): the two engineers take 12-hour turns as primary, the
        TAMs a week each as secondary, from last Monday 09:00 UTC."""
        if Rotation.objects.exists():
            return
        now = timezone.now()
        monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0,
                                                                microsecond=0)
        admin = users["admin@demo.example"]
        oncall_services.rotation_create(
            actor=admin, name="Primary engineers", level=1, starts_at=monday, shift_hours=12,
            members=[users["engineer@demo.example"], users["engineer2@demo.example"]])
        oncall_services.rotation_create(
            actor=admin, name="Secondary (TAMs)", level=2, starts_at=monday, shift_hours=24 * 7,
            members=[users["tam@demo.example"], users["tam2@demo.example"]])

    def _seed_incident(self, users: dict[str, User]) -> None:
        """A major incident (SPEC §13) with two affected accounts' tickets and one update, so
        their contacts see the banner."""
        if Incident.objects.exists():
            self._relink_incident(users)
            return
        engineer = users["engineer@demo.example"]
        incident = incident_services.incident_create(
            actor=engineer, title="Morning signature update quarantines a payroll tool",
            description="Today's 06:00 antivirus-database update detects a common payroll "
                        "client as a trojan on access.",
            severity=2, product="Endpoint Security")
        for name in ("Northwind Bank", "Contoso Health"):
            ticket = Ticket.objects.filter(company__name=name, status__in=OPEN_STATUSES) \
                .order_by("pk").first()
            if ticket is not None:
                incident_link(incident=incident, ticket=ticket, actor=engineer)
        update = incident_services.incident_post_update(
            incident=incident, author=engineer, status="identified",
            body="We identified the signature; a corrected database update is being tested. "
                 "Until then, exclude the payroll client's folder from on-access scanning.")
        incident_services.fan_out(update.pk)

    def _respread(self, company: Company, users: dict[str, User]) -> None:
        """Replace the company's spread of current tickets with a fresh one, relative to now.
        Only the spread's own tickets (``SPREAD_DESCRIPTION``) are replaced; the history and
        anything a visitor filed stay."""
        Ticket.objects.filter(company=company,
                              description__endswith=SPREAD_DESCRIPTION).delete()
        self._seed_tickets(company, users)

    def _relink_incident(self, users: dict[str, User]) -> None:
        """After a re-spread, the demo incident's affected accounts are linked again."""
        incident = Incident.objects.exclude(status="resolved").order_by("pk").first()
        if incident is None:
            return
        for name in ("Northwind Bank", "Contoso Health"):
            if incident.links.filter(ticket__company__name=name).exists():
                continue
            ticket = Ticket.objects.filter(company__name=name, status__in=OPEN_STATUSES,
                                           incident_link__isnull=True).order_by("pk").first()
            if ticket is not None:
                incident_link(incident=incident, ticket=ticket,
                              actor=users["engineer@demo.example"])

    def _seed_tickets(self, company: Company, users: dict[str, User]) -> None:
        """A spread: breached, at risk, on track, answered in time and late, resolved."""
        rng = random.Random(company.pk)
        contacts = [c.user for c in company.contacts.filter(is_active=True)]
        engineers = [users["engineer@demo.example"], users["engineer2@demo.example"]]
        for i, (subject, severity, age, answered_after, status) in enumerate(DEMO_TICKETS):
            ticket = ticket_services.ticket_create(
                requester=contacts[i % len(contacts)], subject=subject, severity=severity,
                description=f"{subject}. {SPREAD_DESCRIPTION}",
                product=rng.choice(PRODUCTS), product_version=rng.choice(["12.0", "12.1", "11.5"]),
                channel=rng.choice(["portal", "api", "phone"]),
            )
            # Move the ticket into the past: the deadlines keep their distance to creation.
            shift = timedelta(minutes=age)
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=F("created_at") - shift, response_due_at=F("response_due_at") - shift,
                response_warn_at=F("response_warn_at") - shift,
            )
            ticket.refresh_from_db()
            ticket.events.update(created_at=ticket.created_at)
            engineer = engineers[i % 2]
            if answered_after is not None:
                ticket_services.ticket_change(ticket=ticket, actor=engineer, assignee=engineer)
                ticket_services.comment_add(
                    ticket=ticket, author=engineer,
                    body="Thanks for the report. We are reproducing it in our lab now.",
                )
                ticket_services.comment_add(
                    ticket=ticket, author=engineer, internal=True,
                    body="Internal: looks like the known driver conflict, check build notes.",
                )
                # Date the answer back to when it "happened" in the demo history.
                answered = ticket.created_at + timedelta(minutes=answered_after)
                late = answered > ticket.response_due_at
                Ticket.objects.filter(pk=ticket.pk).update(
                    first_response_at=answered,
                    response_breached_at=ticket.response_due_at if late else None,
                )
                ticket.comments.update(created_at=answered)
                ticket.events.exclude(kind="created").update(created_at=answered)
                ticket.events.filter(kind="first_response").update(
                    new_value="met_late" if late else "met")
            if status in ("waiting_on_customer", "resolved"):
                ticket_services.ticket_change(ticket=ticket, actor=engineer, status=status)

    def _print_sign_in(self) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready."))
        portal = settings.PORTAL_URL.rstrip("/")
        out.write(f"Sign in at {portal}/accounts/login/ with any of these "
                  f"(password for all: {DEMO_PASSWORD}):")
        for email, _name, role in STAFF:
            out.write(f"  {role:<9} {email}")
        for company, *_rest, contacts in COMPANIES:
            out.write(f"  contact   {contacts[0][0]}  ({company})")
        if settings.DEBUG:
            code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))
            out.write("Staff use two-factor sign-in: after the password, enter the code of an "
                      f"authenticator app set up with the demo secret {DEMO_TOTP_SECRET}")
            out.write(f"(or run `manage.py demo_code`). The code right now is {code}. Contacts "
                      "need no code.")
