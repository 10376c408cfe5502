"""A broker outage never fails or slows a request, and loses no work (SPEC §4, queueing.py).

The work is in PostgreSQL (the e-mail outbox, the SLA columns); the broker only carries a nudge
after commit. With the broker on a dead port, filing a ticket still answers 201 at once, the
acknowledgement waits in the outbox, and the SLA scan still flags the ticket from the database.
"""

import logging
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from sla.jobs import scan
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tickets.models import EventKind, Notification, OutboundEmail, Ticket, TicketEvent
from tickets.notifications.delivery import deliver_outbox

DEAD_BROKER = "redis://127.0.0.1:1/0"
FAST = 1.5  # seconds; filing a ticket takes well under 0.1 s here


def _forget_broker_connections(app) -> None:
    """The app keeps a connection pool for the URL it first used; start again from the URL."""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """The broker is unreachable. Celery reads CELERY_BROKER_URL before its own setting, so
    both are changed. Call the returned function to bring the real broker back."""
    app = current_app._get_current_object()
    real = app.conf.broker_url
    assert real != DEAD_BROKER

    with pytest.MonkeyPatch.context() as patch:
        def restore() -> None:
            patch.undo()
            _forget_broker_connections(app)

        patch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
        patch.setitem(app.conf, "broker_url", DEAD_BROKER)
        _forget_broker_connections(app)
        assert app.conf.broker_url == DEAD_BROKER
        assert app.main == "support_portal"
        yield restore
        restore()
    assert app.conf.broker_url == real


@pytest.fixture
def people(db, reference_data):
    tam = UserFactory(role=Role.TAM)
    engineer = UserFactory(role=Role.ENGINEER)
    contact = ContactFactory(company=CompanyFactory(tam=tam)).user
    return {"tam": tam, "engineer": engineer, "contact": contact}


def _enqueue_failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "support_portal.kernel.queueing" and "could not enqueue" in r.getMessage()]


def _file_through_the_api(api, contact) -> tuple[object, float]:
    started = time.monotonic()
    response = api(contact).post("/api/v1/tickets/", {
        "subject": "Scanner stops", "description": "The on-access scanner stops.",
        "severity": 1,
    }, format="json")
    return response, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_it_files_a_ticket_at_once_and_sends_the_acknowledgement_once_the_broker_is_back(
    api, people, dead_broker, caplog
):
    contact = people["contact"]
    with caplog.at_level(logging.WARNING, logger="support_portal.kernel.queueing"):
        response, elapsed = _file_through_the_api(api, contact)

    assert response.status_code == 201, response.content
    # A refused connection is not retried: kombu's reconnect loop alone would sleep 2 s.
    assert elapsed < FAST, f"the request took {elapsed:.2f} s"
    # The after-commit nudge really went to the dead broker, and failed quietly.
    failures = _enqueue_failures(caplog)
    assert len(failures) == 1, caplog.text
    assert "tickets.notifications.tasks.deliver_outbox" in failures[0]
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester == contact
    assert ticket.response_due_at is not None
    waiting = OutboundEmail.objects.get(ticket=ticket, to=contact.email)
    assert waiting.sent_at is None
    assert ticket.number in waiting.subject
    assert mail.outbox == []

    # A premium severity-1 ticket with nobody on call also paged everyone (SPEC §11): the
    # engineer and the TAM, their e-mails in the same outbox.
    pages = OutboundEmail.objects.filter(ticket=ticket).exclude(to=contact.email)
    assert sorted(pages.values_list("to", flat=True)) == sorted(
        [people["engineer"].email, people["tam"].email])

    dead_broker()  # the broker is back; the periodic job (here called directly) delivers
    assert deliver_outbox() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [contact.email, people["engineer"].email, people["tam"].email])
    assert all(ticket.number in m.subject for m in mail.outbox)
    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert deliver_outbox() == 0
    assert len(mail.outbox) == 3

    # And the after-commit nudge reaches the live broker again.
    app = current_app._get_current_object()
    app.control.purge()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="support_portal.kernel.queueing"):
        response, _elapsed = _file_through_the_api(api, contact)
    assert response.status_code == 201
    assert _enqueue_failures(caplog) == []
    assert app.control.purge() == 1  # exactly the one deliver_outbox message


@pytest.mark.django_db(transaction=True)
def test_it_still_flags_the_ticket_from_the_database_while_the_broker_is_down(
    api, people, dead_broker, caplog
):
    response, _elapsed = _file_through_the_api(api, people["contact"])
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    past = timezone.now() - timedelta(minutes=1)
    Ticket.objects.filter(pk=ticket.pk).update(response_due_at=past,
                                               response_warn_at=past - timedelta(minutes=5))
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="support_portal.kernel.queueing"):
        assert scan() == {"warnings": 0, "breaches": 1}
    assert len(_enqueue_failures(caplog)) == 1  # the breach e-mails' nudge, lost harmlessly

    ticket.refresh_from_db()
    assert ticket.response_breached_at == past
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACH).count() == 1
    assert set(Notification.objects.filter(ticket=ticket).values_list("user_id", flat=True)) \
        == {people["tam"].pk, people["engineer"].pk}
    breach_mail = OutboundEmail.objects.filter(ticket=ticket, event__kind=EventKind.SLA_BREACH)
    assert breach_mail.count() == 2
    assert not breach_mail.filter(sent_at__isnull=False).exists()

    dead_broker()
    # The acknowledgement, the two pages of the filing (nobody on call: everyone, SPEC §11)
    # and the two breach e-mails.
    assert deliver_outbox() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [people["contact"].email, *[people["tam"].email, people["engineer"].email] * 2])
    assert scan() == {"warnings": 0, "breaches": 0}
