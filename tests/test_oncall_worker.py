"""Paging and escalation run by real Celery workers and beats (SPEC §11).

A severity-1 ticket of a premium customer is filed at a simulated 03:00 through the service
(the page of level 1 is written with it). Real worker processes with embedded beat, against the
real Redis broker and this test's database, then deliver: each page's e-mail to a real SMTP
server and its signed webhook call to a real HTTP receiver that checks the HMAC and answers 500
to every first attempt (so each call is retried once). Nobody acknowledges: the beat's
escalation pages the secondary (``ack_minutes`` after 03:00 is long past), then — once the test
moves the last page back by ``ack_minutes`` in the database — everyone (every active engineer
and the account's TAM). Each page, e-mail and webhook call happens exactly once; in the second
test two workers with two beats race, and one is killed (``SIGKILL``) mid-run.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from support_portal.celery import app
from tests.factories import UserFactory, file_ticket
from tests.mail_server import smtp_server
from tests.test_celery_worker import _stop, _test_database_url
from tests.webhook_receiver import webhook_receiver
from tickets.models import OutboundEmail, Page, PagingPolicy, Rotation, RotationMember, Ticket

ROOT = Path(__file__).resolve().parent.parent
SECRET = "gateway-shared-secret-for-tests"
DEADLINE = 90.0


def start_worker(tmp_path: Path, name: str, smtp_port: int, webhook_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CONN_MAX_AGE": "0",
        "PORTAL_VAR_DIR": str(tmp_path / name),  # its own beat schedule file
        "DJANGO_SETTINGS_MODULE": "support_portal.settings",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_SWEEP_SECONDS": "1",
        "SLA_SCAN_SECONDS": "1",
        "PAGING_WEBHOOK_URL": webhook_url,
        "PAGING_WEBHOOK_SECRET": SECRET,
        "PAGING_WEBHOOK_SWEEP_SECONDS": "1",
        "PAGING_WEBHOOK_RETRY_BASE_SECONDS": "1",
        # A claim of the killed worker is taken back after a few of these (seconds).
        "EMAIL_TIMEOUT": "2",
        "PAGING_WEBHOOK_TIMEOUT": "2",
        "PYTHONUNBUFFERED": "1",
    }
    (tmp_path / name).mkdir()
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "support_portal", "worker", "-B",
         "--pool", "solo", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
         "--without-heartbeat", "--hostname", f"oncall-{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))


def wait_until(check, workers, tmp_path, what: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE:
        if check():
            return
        for worker in workers:
            assert worker.poll() is None, logs(tmp_path)
        time.sleep(0.3)
    state = {"pages": list(Page.objects.values_list("level", "webhook_attempts",
                                                    "webhook_delivered_at", "webhook_claimed_at")),
             "emails": list(OutboundEmail.objects.values_list("to", "sent_at", "claimed_at"))}
    raise AssertionError(f"timed out waiting for {what}: {state}\n{logs(tmp_path)}")


def three_am():
    """The latest 03:00 UTC at least a quarter of an hour ago."""
    now = timezone.now()
    at = now.replace(hour=3, minute=0, second=0, microsecond=0)
    return at if at <= now - timedelta(minutes=15) else at - timedelta(days=1)


def night_rota(at):
    """Level 1: night shifts (21:00–09:00) for the primary, day shifts for someone else;
    level 2: the secondary, always."""
    primary = UserFactory(role=Role.ENGINEER, full_name="Ana Souza")
    day = UserFactory(role=Role.ENGINEER, full_name="Dora Day")
    secondary = UserFactory(role=Role.ENGINEER, full_name="Bruno Lima")
    night = Rotation.objects.create(name="Primary", level=1, shift_hours=12,
                                    starts_at=at - timedelta(hours=6 + 24 * 14))
    RotationMember.objects.create(rotation=night, user=primary, position=0)
    RotationMember.objects.create(rotation=night, user=day, position=1)
    backup = Rotation.objects.create(name="Secondary", level=2, shift_hours=24 * 7,
                                     starts_at=at - timedelta(days=30))
    RotationMember.objects.create(rotation=backup, user=secondary, position=0)
    PagingPolicy.objects.update_or_create(pk=1, defaults={"ack_minutes": 5})
    return primary, secondary


def file_at_three(contact, at):
    with time_machine.travel(at, tick=False):
        return file_ticket(contact, severity=1, subject="Every endpoint quarantines Outlook")


def pages(ticket, level=None):
    qs = Page.objects.filter(ticket=ticket)
    return qs.filter(level=level) if level else qs


def move_back_last_page(ticket) -> None:
    """``ack_minutes`` pass without an acknowledgement (in the database, not on the clock)."""
    Ticket.objects.filter(pk=ticket.pk).update(last_paged_at=F("last_paged_at") -
                                               timedelta(minutes=5))


def everything_delivered(received, calls, expected_pages):
    def check():
        delivered = Page.objects.filter(webhook_delivered_at__isnull=False).count()
        sent = OutboundEmail.objects.filter(sent_at__isnull=False).count()
        return (Page.objects.count() == expected_pages and delivered == expected_pages
                and sent == OutboundEmail.objects.count() and received.messages == sent)
    return check


def assert_exactly_once(ticket, received, calls, expected_level3):
    all_pages = list(pages(ticket))
    assert [p.level for p in all_pages].count(1) == 1
    assert [p.level for p in all_pages].count(2) == 1
    assert sorted(p.user_id for p in all_pages if p.level == 3) == sorted(expected_level3)
    assert Ticket.objects.get(pk=ticket.pk).paging_level == 3
    # Every e-mail was written once and reached the SMTP server once.
    emails = OutboundEmail.objects.all()
    assert emails.filter(sent_at__isnull=True).count() == 0
    assert received.messages == emails.count()
    page_mails = emails.filter(ticket=ticket).filter(subject__regex=r"Page \(level|Escalated")
    assert page_mails.count() == len(all_pages)
    # Every webhook call accepted once, after one refused attempt; every signature valid.
    assert calls.bad_signatures == 0
    assert dict(calls.accepted) == {p.pk: 1 for p in all_pages}
    assert all(n == 2 for n in calls.attempts.values()), calls.attempts
    assert all(p.webhook_attempts == 2 for p in Page.objects.filter(ticket=ticket))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_a_03_00_page_escalates_to_the_secondary_then_everyone_exactly_once(
        tmp_path, settings, contact_a, tam):
    assert connection.vendor == "postgresql"
    at = three_am()
    primary, secondary = night_rota(at)
    app.control.purge()
    with smtp_server() as (received, smtp_port), \
            webhook_receiver(SECRET) as (calls, url):
        settings.PAGING_WEBHOOK_URL, settings.PAGING_WEBHOOK_SECRET = url, SECRET
        ticket = file_at_three(contact_a, at)
        assert [(p.level, p.user_id) for p in pages(ticket)] == [(1, primary.pk)]
        assert Ticket.objects.get(pk=ticket.pk).paged_at == at

        worker = start_worker(tmp_path, "solo", smtp_port, url)
        try:
            # No acknowledgement since 03:00: the secondary is paged.
            wait_until(everything_delivered(received, calls, 2), [worker], tmp_path,
                       "the primary's and the secondary's pages")
            assert pages(ticket, 2).get().user == secondary
            time.sleep(3)  # beats keep running: nothing more may happen yet
            assert pages(ticket).count() == 2
            move_back_last_page(ticket)
            engineers = User.objects.filter(role=Role.ENGINEER, is_active=True)
            everyone = sorted({*engineers.values_list("pk", flat=True), tam.pk})
            wait_until(everything_delivered(received, calls, 2 + len(everyone)), [worker],
                       tmp_path, "the pages of everyone")
            time.sleep(4)  # anything done twice would show now
        finally:
            _stop(worker)
    assert_exactly_once(ticket, received, calls, everyone)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_workers_and_two_beats_with_one_killed_page_each_level_once(
        tmp_path, settings, contact_a, tam):
    assert connection.vendor == "postgresql"
    at = three_am()
    night_rota(at)
    extra = [UserFactory(role=Role.ENGINEER) for _ in range(6)]
    app.control.purge()
    with smtp_server() as (received, smtp_port), \
            webhook_receiver(SECRET) as (calls, url):
        settings.PAGING_WEBHOOK_URL, settings.PAGING_WEBHOOK_SECRET = url, SECRET
        ticket = file_at_three(contact_a, at)
        first = start_worker(tmp_path, "first", smtp_port, url)
        second = start_worker(tmp_path, "second", smtp_port, url)
        try:
            wait_until(lambda: pages(ticket, 2).exists(), [first, second], tmp_path,
                       "the secondary's page")
            move_back_last_page(ticket)
            # Kill one worker (and its beat) without warning while the other works on.
            time.sleep(0.5)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
            engineers = User.objects.filter(role=Role.ENGINEER, is_active=True)
            everyone = sorted({*engineers.values_list("pk", flat=True), tam.pk})
            assert len(everyone) == 3 + len(extra) + 1  # the day shift's engineer too
            wait_until(everything_delivered(received, calls, 2 + len(everyone)), [second],
                       tmp_path, "the pages of everyone")
            time.sleep(4)
        finally:
            _stop(first)
            _stop(second)
    assert_exactly_once(ticket, received, calls, everyone)
