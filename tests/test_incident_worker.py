"""A major-incident update linked to 1,000 tickets, fanned out by a real Celery worker that is
killed (``SIGKILL``) half-way and started again (SPEC §13).

Nothing here calls the fan-out: the update is posted through the service (which only records
it and nudges the worker after commit), a worker process with its embedded beat runs against
the real Redis broker and this test's database, and sends its e-mails to a real SMTP server in
this process. The worker is killed in the middle of the fan-out; a batch it had begun is rolled
back whole, and the restarted worker's beat sweep takes the fan-out up again. In the end every
ticket has exactly one reply and every requester exactly one e-mail.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts.models import Company, Contact, LicenseType, Plan, Role, User
from support_portal.celery import app
from tests.factories import UserFactory
from tests.mail_server import smtp_server
from tests.test_celery_worker import _stop, _test_database_url
from tickets.incidents import services
from tickets.models import (
    Comment,
    IncidentDelivery,
    IncidentLink,
    IncidentNotice,
    OutboundEmail,
    Ticket,
)

ROOT = Path(__file__).resolve().parent.parent
TICKETS = 1000
CONTACTS_PER_COMPANY = 8
KILL_AFTER = 100  # replies posted before the worker is killed
DEADLINE = 300.0


def seed(engineer: User) -> list[Ticket]:
    """1,000 requesters (125 companies of 8 named contacts), one open ticket each."""
    enhanced = Plan.objects.get(code="enhanced")
    now = timezone.now()
    companies = Company.objects.bulk_create([
        Company(name=f"Affected {i:03d}", license=LicenseType.PLUS, plan=enhanced,
                license_valid_until=now.date() + timedelta(days=365))
        for i in range(TICKETS // CONTACTS_PER_COMPANY)
    ])
    password = make_password("not-used-here")
    users = User.objects.bulk_create([
        User(email=f"requester{i:04d}@affected.example", full_name=f"Requester {i:04d}",
             role=Role.CONTACT, password=password)
        for i in range(TICKETS)
    ])
    Contact.objects.bulk_create([
        Contact(user=user, company=companies[i // CONTACTS_PER_COMPANY])
        for i, user in enumerate(users)
    ])
    return Ticket.objects.bulk_create([
        Ticket(company=companies[i // CONTACTS_PER_COMPANY], requester=user, plan=enhanced,
               priority_tier=enhanced.priority_tier, subject="Outlook is quarantined",
               description="Since the morning update.", severity=1, product="Endpoint Security",
               created_at=now, response_due_at=now + timedelta(minutes=30),
               response_warn_at=now + timedelta(minutes=22, seconds=30))
        for i, user in enumerate(users)
    ])


def start_worker(tmp_path: Path, port: int, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CONN_MAX_AGE": "0",
        "PORTAL_VAR_DIR": str(tmp_path / name),  # its own beat schedule file
        "DJANGO_SETTINGS_MODULE": "support_portal.settings",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "INCIDENT_SWEEP_SECONDS": "2",
        "INCIDENT_FANOUT_BATCH": "25",
        "SLA_SCAN_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
    }
    (tmp_path / name).mkdir()
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
         "--pool", "solo", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--hostname", f"incidents-{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def delivered(update_id: int) -> int:
    return IncidentDelivery.objects.filter(update_id=update_id, delivered_at__isnull=False).count()


def logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(tmp_path.glob("*.log")))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_an_update_reaches_1000_tickets_exactly_once_with_the_worker_killed_half_way(tmp_path):
    assert connection.vendor == "postgresql"
    engineer = UserFactory(role=Role.ENGINEER)
    tickets = seed(engineer)
    incident = services.incident_create(actor=engineer, title="Release 2026.11.30 blocks Outlook",
                                        description="A signature detects outlook.exe.",
                                        severity=1, product="Endpoint Security")
    IncidentLink.objects.bulk_create([IncidentLink(incident=incident, ticket=t, linked_by=engineer)
                                      for t in tickets])
    app.control.purge()  # stale messages of earlier runs must not get in the way

    with smtp_server() as (received, port):
        posted_at = time.monotonic()
        update = services.incident_post_update(incident=incident, author=engineer,
                                               body="We are rolling back the release.")
        assert update.tickets_total == TICKETS
        print(f"update posted for {TICKETS} tickets in {time.monotonic() - posted_at:.2f} s")

        first = start_worker(tmp_path, port, "first")
        try:
            started = time.monotonic()
            while delivered(update.pk) < KILL_AFTER and time.monotonic() - started < DEADLINE:
                assert first.poll() is None, logs(tmp_path)
                time.sleep(0.1)
            os.killpg(first.pid, signal.SIGKILL)  # mid-batch, without any warning
            first.wait(timeout=30)
        finally:
            _stop(first)
        at_kill = delivered(update.pk)
        print(f"killed after {at_kill} replies, {time.monotonic() - started:.1f} s")
        assert KILL_AFTER <= at_kill < TICKETS, "the fan-out was not killed half-way"
        # Whole batches only: every reply has its delivery row, and no half-posted batch stayed.
        assert Comment.objects.filter(author=engineer).count() == at_kill
        assert at_kill % 25 == 0

        second = start_worker(tmp_path, port, "second")
        try:
            restarted = time.monotonic()
            while time.monotonic() - restarted < DEADLINE:
                if delivered(update.pk) == TICKETS and received.messages >= TICKETS:
                    break
                assert second.poll() is None, logs(tmp_path)
                time.sleep(0.5)
            finished = time.monotonic() - restarted
            time.sleep(3)  # anything sent twice would arrive now
        finally:
            _stop(second)
        print(f"restarted worker finished the fan-out and the e-mails in {finished:.1f} s")

    assert delivered(update.pk) == TICKETS, logs(tmp_path)
    replies = Comment.objects.filter(author=engineer)
    assert replies.count() == TICKETS
    assert replies.values("ticket_id").distinct().count() == TICKETS
    assert not IncidentDelivery.objects.filter(update=update, comment__isnull=True).exists()
    assert IncidentNotice.objects.filter(update=update).count() == TICKETS
    emails = OutboundEmail.objects.filter(subject__contains="Major incident update")
    assert emails.count() == TICKETS
    assert emails.filter(sent_at__isnull=False).count() == TICKETS
    assert received.messages == TICKETS, logs(tmp_path)
    assert sorted(received.recipients) == sorted(t.requester.email for t in
                                                 Ticket.objects.select_related("requester"))
    # Every ticket was answered by the update (its first response).
    assert not Ticket.objects.filter(first_response_at__isnull=True).exists()
