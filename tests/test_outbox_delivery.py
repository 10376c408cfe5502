"""E-mail delivery never gives up silently (issue "Nothing lost, nothing late"), against a real
SMTP server on loopback (tests/smtp_fault_server.py) that the tests stop, start and make refuse.

- while the server cannot be reached, no attempt is spent, however many runs pass;
- a refused message is retried on its own schedule, exponential backoff with jitter;
- after the last attempt it is failed, logged as an error, counted on /readyz, resendable;
- a claim left by a dead worker is taken back after 4 SMTP timeouts, and the resend carries
  the same Message-ID.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import file_ticket
from tests.smtp_fault_server import SmtpSink
from tickets.models import OutboundEmail
from tickets.notifications.delivery import deliver_outbox, retry_delay, stale_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings):
    server = SmtpSink().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    settings.EMAIL_MAX_ATTEMPTS = 8
    yield server
    server.stop()


def test_it_spends_no_attempt_while_the_mail_server_is_down(sink, contact_a, caplog):
    for n in range(3):
        file_ticket(contact_a, subject=f"Scanner stops {n}")
    sink.stop()
    with caplog.at_level(logging.WARNING, logger="tickets.notifications.delivery"):
        for _ in range(20):  # twenty sweeps of an outage: more than EMAIL_MAX_ATTEMPTS
            assert deliver_outbox() == 0
    assert "unreachable" in caplog.text
    rows = OutboundEmail.objects.all()
    assert [(r.attempts, r.failed_at, r.sent_at) for r in rows] == [(0, None, None)] * 3

    sink.start()
    assert deliver_outbox() == 3
    assert sorted(m.subject for m in sink.received()) == sorted(r.subject for r in rows)
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


def test_a_tarpit_server_costs_one_timeout_and_no_attempt(sink, contact_a, settings):
    settings.EMAIL_TIMEOUT = 1
    file_ticket(contact_a)
    sink.tarpit()
    started = timezone.now()
    assert deliver_outbox() == 0
    assert (timezone.now() - started).total_seconds() < 3
    assert OutboundEmail.objects.get().attempts == 0
    sink.start()
    assert deliver_outbox() == 1


def test_a_refused_message_is_retried_on_its_own_backoff_schedule(sink, contact_a, contact_b):
    file_ticket(contact_a)
    file_ticket(contact_b)
    sink.refuse.add(contact_a.email)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert deliver_outbox() == 1  # contact_b's goes; contact_a's is refused
        refused = OutboundEmail.objects.get(to=contact_a.email)
        assert refused.attempts == 1
        assert "550" in refused.last_error
        wait = refused.next_attempt_at - start
        assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)  # base 30 s, jitter
        for _ in range(5):  # runs before its time do not touch it
            deliver_outbox()
        assert OutboundEmail.objects.get(pk=refused.pk).attempts == 1

    with time_machine.travel(refused.next_attempt_at + timedelta(seconds=1), tick=False):
        deliver_outbox()
        again = OutboundEmail.objects.get(pk=refused.pk)
        assert again.attempts == 2
        second_wait = again.next_attempt_at - (refused.next_attempt_at + timedelta(seconds=1))
        assert timedelta(seconds=30) <= second_wait <= timedelta(seconds=60)  # doubled


def test_the_backoff_doubles_is_capped_and_jittered(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 600
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (12, 600)]:
        delays = {retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)
        assert len(delays) > 1  # jitter: not one fixed instant for every row


def test_after_the_last_attempt_it_is_failed_logged_counted_and_resendable(
    sink, contact_a, settings, caplog, client, admin
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    file_ticket(contact_a)
    sink.refuse.add(contact_a.email)
    now = timezone.now()
    with caplog.at_level(logging.WARNING, logger="tickets.notifications.delivery"):
        for hop in range(4):
            with time_machine.travel(now + timedelta(hours=hop), tick=False):
                deliver_outbox()
    row = OutboundEmail.objects.get()
    assert row.attempts == 2
    assert row.failed_at is not None
    assert row.sent_at is None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert contact_a.email in errors[0].getMessage()

    details = client.get("/readyz").json()["details"]
    assert details["outbox"]["failed"] == 1
    assert details["outbox"]["pending"] == 0

    client.force_login(admin)
    listing = client.get("/admin/tickets/outboundemail/?failed_at__isnull=False")
    assert listing.status_code == 200
    assert contact_a.email in listing.content.decode()
    sink.refuse.clear()
    response = client.post("/admin/tickets/outboundemail/", {
        "action": "resend", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.failed_at, row.attempts) == (None, 0)
    assert deliver_outbox() == 1
    assert [m.to for m in sink.received()] == [[contact_a.email]]
    assert client.get("/readyz").json()["details"]["outbox"]["failed"] == 0


def test_a_stale_claim_is_taken_back_after_four_smtp_timeouts_with_the_same_message_id(
    sink, contact_a, settings
):
    settings.EMAIL_TIMEOUT = 30
    assert stale_claim() == timedelta(minutes=2)
    ticket = file_ticket(contact_a)
    file_ticket(contact_a, subject="Second")  # a reply-style row of the same contact
    assert deliver_outbox() == 2
    first = sink.received()
    # A worker sent these, then died before recording it: claimed, not sent.
    claimed_at = timezone.now()
    OutboundEmail.objects.update(sent_at=None, claimed_at=claimed_at)
    with time_machine.travel(claimed_at + timedelta(seconds=119), tick=False):
        assert deliver_outbox() == 0  # the claim may still be a live worker's
    with time_machine.travel(claimed_at + timedelta(seconds=121), tick=False):
        assert deliver_outbox() == 2
    second = sink.received()[2:]
    assert sorted(m.message_id for m in second) == sorted(m.message_id for m in first)
    assert f"<ts-{ticket.pk}@" in " ".join(m.message_id for m in first)


def test_an_e_mail_without_a_ticket_has_a_stable_message_id(sink, contact_a):
    from tickets.outbox import email_users

    email_users([contact_a], ticket=None, event=None, compose=lambda: ("Hello", "Body"))
    row = OutboundEmail.objects.get()
    assert deliver_outbox() == 1
    OutboundEmail.objects.update(sent_at=None, claimed_at=None)  # sent again (e.g. resent)
    assert deliver_outbox() == 1
    ids = [m.message_id for m in sink.received()]
    assert ids == [f"<out-{row.pk}@portal.example.com>"] * 2


def test_a_message_that_drops_the_connection_every_time_ends_failed_not_blocking_the_rest(
    sink, contact_a, contact_b, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 2
    file_ticket(contact_a, subject="Poison")
    file_ticket(contact_b, subject="Healthy")
    sink.data_reply = ("Poison", "421 4.3.0 Closing connection")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert deliver_outbox() == 0  # the run stops at the 421: the rest waits, unspent
    poison = OutboundEmail.objects.get(to=contact_a.email)
    assert poison.attempts == 1
    assert OutboundEmail.objects.get(to=contact_b.email).attempts == 0
    with time_machine.travel(now + timedelta(seconds=1), tick=False):
        assert deliver_outbox() == 1  # the poison waits for its backoff; the rest goes
    with time_machine.travel(now + timedelta(hours=1), tick=False):
        assert deliver_outbox() == 0
    poison.refresh_from_db()
    assert poison.attempts == 2
    assert poison.failed_at is not None
    assert [m.subject for m in sink.received()] == [
        OutboundEmail.objects.get(to=contact_b.email).subject]
