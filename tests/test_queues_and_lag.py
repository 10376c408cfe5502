"""The SLA clock never waits behind e-mail (issue "Nothing lost, nothing late", defect 2):
the scan and the mail run on separate queues, a late scan catches up in full, and its lag is
on /readyz."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sla import jobs
from support_portal.celery import app
from tests.factories import file_ticket
from tests.test_compose import command_words, service
from tickets.models import Ticket


@pytest.mark.parametrize(("task", "queue"), [
    ("sla.tasks.scan_sla", "sla"),
    ("tickets.notifications.tasks.deliver_outbox", "mail"),
    ("tickets.notifications.tasks.poll_inbound_mail", "mail"),
    ("accounts.tasks.clear_expired_sessions", "celery"),
])
def test_each_task_goes_to_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def _queues(words: list[str]) -> set[str]:
    flag = next(w for w in ("--queues", "-Q") if w in words)
    return set(words[words.index(flag) + 1].split(","))


def test_compose_runs_the_sla_queue_on_its_own_worker_and_covers_every_queue():
    sla = _queues(command_words(service("worker-sla")["command"]))
    mail = _queues(command_words(service("worker")["command"]))
    assert sla == {"sla"}
    assert "sla" not in mail
    assert sla | mail == {q.name for q in app.conf.task_queues}


@pytest.mark.django_db
def test_a_late_scan_flags_everything_due_in_one_run(contact_a):
    past = timezone.now() - timedelta(minutes=10)
    tickets = [file_ticket(contact_a, subject=f"T{n}") for n in range(7)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        response_due_at=past, response_warn_at=past - timedelta(minutes=5))
    assert jobs.scan_lag() >= 600
    assert jobs.flag_breaches(batch=2) == 7  # batches of 2, all in this one run
    assert jobs.scan_lag() == 0


@pytest.mark.django_db
def test_readyz_shows_the_scan_lag_and_the_outbox(client, contact_a, settings):
    ticket = file_ticket(contact_a)
    due = timezone.now() - timedelta(seconds=95)
    Ticket.objects.filter(pk=ticket.pk).update(response_due_at=due,
                                               response_warn_at=due - timedelta(minutes=5))
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert 95 <= body["details"]["sla"]["scan_lag_seconds"] < 120
    assert body["details"]["sla"]["scan_interval_seconds"] == settings.SLA_SCAN_SECONDS
    assert body["details"]["outbox"]["pending"] == 1  # the acknowledgement
    jobs.scan()
    assert client.get("/readyz").json()["details"]["sla"]["scan_lag_seconds"] == 0
