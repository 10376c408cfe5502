"""A real Celery worker with embedded beat flags a due ticket on its schedule (SPEC §4).

Nothing here calls the SLA code: the ticket is committed to the test database, a worker process
(with ``-B``) is started against the real Redis broker and that database, and the test only
watches the database until the scheduled ``sla-scan`` has flagged the ticket.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from support_portal.celery import app
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tickets.models import EventKind, Notification, Ticket, TicketEvent
from tickets.services import ticket_create

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60.0


def _test_database_url() -> str:
    db = connection.settings_dict
    assert db["NAME"].startswith("test_"), db["NAME"]
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the worker's own process group (worker and its beat), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a beat child that outlived the worker
    process.wait(timeout=15)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_it_flags_a_due_ticket_from_the_beat_schedule_in_a_real_worker(tmp_path):
    assert connection.vendor == "postgresql"
    tam = UserFactory(role=Role.TAM)
    engineer = UserFactory(role=Role.ENGINEER)
    assignee = UserFactory(role=Role.ENGINEER)
    contact = ContactFactory(company=CompanyFactory(tam=tam)).user
    ticket = ticket_create(requester=contact, subject="Scanner stops",
                           description="The on-access scanner stops.", severity=1)
    past = timezone.now() - timedelta(minutes=5)
    Ticket.objects.filter(pk=ticket.pk).update(
        assignee=assignee, response_due_at=past, response_warn_at=past - timedelta(minutes=10)
    )

    # Stale messages from earlier runs (or this ticket's own e-mail nudge) must not get in
    # the way; the broker is the one the worker will use (CELERY_BROKER_URL).
    app.control.purge()

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CONN_MAX_AGE": "0",
        "SLA_SCAN_SECONDS": "1",
        "PORTAL_VAR_DIR": str(tmp_path),  # the beat schedule file lives here
        "DJANGO_SETTINGS_MODULE": "support_portal.settings",
        "EMAIL_URL": "consolemail://",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    ok = False
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
             "--pool", "solo", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "--hostname", f"sla-test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            started = time.monotonic()
            breached_at = None
            while time.monotonic() - started < DEADLINE:
                breached_at = Ticket.objects.filter(pk=ticket.pk) \
                    .values_list("response_breached_at", flat=True).get()
                if breached_at is not None or worker.poll() is not None:
                    break
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            assert worker.poll() is None, "the worker died"
            assert breached_at is not None, f"not flagged within {DEADLINE:.0f} s"
            print(f"flagged by the worker {elapsed:.1f} s after it started")
            ok = True
        finally:
            _stop(worker)
            if not ok:
                print(log_path.read_text(errors="replace"))

    output = log_path.read_text(errors="replace")
    # Beat sent it on the schedule, and the worker ran that task.
    assert "Sending due task sla-scan (sla.tasks.scan_sla)" in output, output
    assert "Task sla.tasks.scan_sla[" in output, output
    assert breached_at == past
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACH).count() == 1
    notified = set(Notification.objects.filter(ticket=ticket, event__kind=EventKind.SLA_BREACH)
                   .values_list("user_id", flat=True))
    assert notified == {tam.pk, engineer.pk, assignee.pk}
